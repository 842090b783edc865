"""KV namespaces (FILES, CACHE) with Cloudflare Workers KV semantics, stored in their own SQLite file.

Semantics kept from Cloudflare: string keys of at most 512 bytes (UTF-8), byte values, `list` by prefix in
key order with pages of at most 1000 keys and an opaque cursor. All namespaces share one table,
`kv_entries(namespace, key, value)`, so an inspector can read every key with one query.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass

MAX_KEY_BYTES = 512
MAX_LIST_LIMIT = 1000

KV_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv_entries (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""


class KVKeyError(ValueError):
    """A key Cloudflare KV would refuse (empty, `.`/`..`, or longer than 512 bytes)."""


@dataclass(frozen=True, kw_only=True)
class KVListPage:
    """One page of `list`: keys in order, whether the listing is complete, the cursor for the next page."""

    keys: list[str]
    list_complete: bool
    cursor: str | None


def check_key(key: str) -> None:
    """Raise KVKeyError for a key Cloudflare KV refuses."""
    if key in ("", ".", ".."):
        raise KVKeyError(f"invalid KV key {key!r}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise KVKeyError("KV key is not valid UTF-8") from exc
    if size > MAX_KEY_BYTES:
        raise KVKeyError(f"KV key is {size} bytes, the limit is {MAX_KEY_BYTES}")


class KVNamespace:
    """One KV namespace over a SQLite connection; the caller owns the connection and its transactions."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self.conn = conn
        self.name = name

    def get(self, key: str) -> bytes | None:
        """The value at key, or None."""
        check_key(key)
        row = self.conn.execute(
            "SELECT value FROM kv_entries WHERE namespace = ? AND key = ?", (self.name, key)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, key: str, value: bytes) -> None:
        """Store value at key, replacing what was there."""
        check_key(key)
        self.conn.execute(
            "INSERT INTO kv_entries (namespace, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            (self.name, key, value),
        )

    def delete(self, key: str) -> None:
        """Remove key (no error when absent, as in Cloudflare)."""
        check_key(key)
        self.conn.execute("DELETE FROM kv_entries WHERE namespace = ? AND key = ?", (self.name, key))

    def list(self, prefix: str = "", limit: int = MAX_LIST_LIMIT, cursor: str | None = None) -> KVListPage:
        """Keys starting with prefix, in key order, one page of at most `limit` (<= 1000) keys."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
        after = _decode_cursor(cursor) if cursor else None
        sql = "SELECT key FROM kv_entries WHERE namespace = ? AND substr(key, 1, ?) = ?"
        params: list[object] = [self.name, len(prefix), prefix]
        if after is not None:
            sql += " AND key > ?"
            params.append(after)
        sql += " ORDER BY key LIMIT ?"
        params.append(limit + 1)
        keys = [row[0] for row in self.conn.execute(sql, params)]
        if len(keys) <= limit:
            return KVListPage(keys=keys, list_complete=True, cursor=None)
        keys = keys[:limit]
        return KVListPage(keys=keys, list_complete=False, cursor=_encode_cursor(keys[-1]))

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with prefix (list + delete, done in one statement); returns the count."""
        cur = self.conn.execute(
            "DELETE FROM kv_entries WHERE namespace = ? AND substr(key, 1, ?) = ?",
            (self.name, len(prefix), prefix),
        )
        return cur.rowcount


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError) as exc:
        raise ValueError("invalid cursor") from exc
