"""The Ledger's SQLite database: the schema (every row carries its owner org) and a thin query layer.

One connection serves every request. It is used only from the event loop's thread and no handler awaits
inside a transaction, so concurrent requests never interleave within one (the reference target uses a
storage thread instead; two designs, one contract). WAL lets an inspector read the file while we run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_FILE = "ledger.sqlite"

Row = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_users_org ON users (org_id);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    title TEXT NOT NULL,
    secret TEXT NOT NULL,
    amount NUMERIC NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_invoices_org ON invoices (org_id);
CREATE TABLE IF NOT EXISTS attachments (
    org_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    blob_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, name)
);
CREATE INDEX IF NOT EXISTS idx_attachments_org ON attachments (org_id);
CREATE TABLE IF NOT EXISTS blobs (
    key TEXT PRIMARY KEY,
    value BLOB
);
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_notes_org ON notes (org_id);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    ok INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_audit_org ON audit (org_id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

OWNED_TABLES = ("users", "sessions", "invoices", "attachments", "notes", "audit")
"""Tables whose every row names its owner in `org_id` (orgs are their own owner; blobs carry it in the key;
maintenance jobs belong to no org, and only `backup-on-get` writes any)."""


class Database:
    """The connection, its transactions and row-as-dict queries."""

    def __init__(self, path: Path) -> None:
        # check_same_thread=False: the in-process runner opens it on the caller's thread and uvicorn's
        # thread serves with it; never both at once. Autocommit at the driver: BEGIN/COMMIT are explicit.
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL: fsync at checkpoints, not every commit
            self.conn.execute("PRAGMA busy_timeout = 5000")  # an inspector may hold a read lock briefly
            self.conn.executescript(SCHEMA)
        except BaseException:
            self.conn.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: everything inside commits together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query, as dicts."""
        return [dict(row) for row in self.conn.execute(sql, params)]

    def row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        found = self.conn.execute(sql, params).fetchone()
        return None if found is None else dict(found)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self.conn.execute(sql, params).rowcount

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
