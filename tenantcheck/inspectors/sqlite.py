"""The ``sqlite`` backend: D1 and KV read straight from their SQLite files, opened read-only.

Two layouts are understood, so one backend covers both local targets:

- the reference target's data directory: ``d1.sqlite`` (the contract's tables) and ``kv.sqlite`` with one
  ``kv_entries(namespace, key, value)`` table for every namespace;
- wrangler's local state (``.wrangler/state/v3``), where miniflare keeps each D1 database and each KV
  namespace in its own file named by a hash of the database or namespace id (``d1_path``/``kv_path``
  point at the state directory, ``database`` and ``files_namespace``/``cache_namespace`` give the ids).

Files are opened with ``mode=ro`` and ``query_only``, and an authorizer lets the engine itself refuse
anything but reading: a write cannot happen even if the textual guard had a hole.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tenantcheck.inspectors.base import CACHE, FILES, InspectorError, ReadOnlyViolation, Row, StorageInspector
from tenantcheck.inspectors.readonly import FORBIDDEN_FUNCTIONS, check_select

REFERENCE_D1 = "d1.sqlite"
REFERENCE_KV = "kv.sqlite"
D1_OBJECT = "miniflare-D1DatabaseObject"
KV_OBJECT = "miniflare-KVNamespaceObject"

ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                             getattr(sqlite3, "SQLITE_RECURSIVE", 33)})


def miniflare_object_id(unique_key: str, name: str) -> str:
    """The file name miniflare gives a durable object's SQLite file (``idFromName`` of its namespace):
    what ties ``database_id``/``id`` in wrangler.toml to a file under ``.wrangler/state/v3``."""
    key = hashlib.sha256(unique_key.encode()).digest()
    name_mac = hmac.new(key, name.encode(), "sha256").digest()[:16]
    return (name_mac + hmac.new(key, name_mac, "sha256").digest()[:16]).hex()


def state_root(path: Path) -> Path | None:
    """The ``v3`` state directory when ``path`` is (inside) a wrangler project or its state, else None."""
    for candidate in (path, path / "v3", path / "state" / "v3", path / ".wrangler" / "state" / "v3"):
        if (candidate / "d1").is_dir() or (candidate / "kv").is_dir():
            return candidate
    return None


def _authorize(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
    if action not in ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").upper() in FORBIDDEN_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read ``path`` (URI ``mode=ro``, ``query_only``, an authorizer)."""
    if not path.is_file():
        raise InspectorError(f"no SQLite file at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_authorize)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        raise InspectorError(f"cannot open {path} read-only: {error}") from None
    return conn


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[Row]:
    try:
        cursor = conn.execute(sql, tuple(params))
    except sqlite3.DatabaseError as error:
        if "not authorized" in str(error):
            raise ReadOnlyViolation(f"refused by the read-only authorizer: {error}") from None
        raise InspectorError(f"query failed: {error}") from None
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class SqliteInspector(StorageInspector):
    """D1 from one SQLite file; KV from the reference's ``kv.sqlite`` or miniflare's per-namespace files."""

    kind = "sqlite"

    def __init__(self, d1_path: Path, kv_path: Path, *, database: str | None = None,
                 namespaces: dict[str, str] | None = None) -> None:
        self.d1_path = d1_path
        self.database = database
        self.kv_path = kv_path
        self.namespaces = {FILES: FILES, CACHE: CACHE, **(namespaces or {})}
        self._d1 = open_read_only(self._d1_file(d1_path))
        self._kv: dict[str, sqlite3.Connection] = {}
        # Checks read on several threads. One read at a time: a connection shared by threads deadlocks
        # when one thread's prepare calls the authorizer (wanting the GIL) while another, holding the GIL,
        # waits for the connection's mutex in a call that does not release it.
        self._reading = threading.Lock()
        self._kv_root = state_root(kv_path) if kv_path.is_dir() else None
        if self._kv_root is None and kv_path.exists():
            self._kv[""] = open_read_only(kv_path)
            tables = {row["name"] for row in _rows(self._kv[""], "SELECT name FROM sqlite_master", ())}
            if "kv_entries" not in tables:
                raise InspectorError(f"{kv_path} has no kv_entries table (the reference target's KV layout)")

    def _d1_file(self, path: Path) -> Path:
        root = state_root(path) if path.is_dir() else None
        if root is None:
            return path / REFERENCE_D1 if path.is_dir() else path
        database = self.database
        files = sorted(p for p in (root / "d1" / D1_OBJECT).glob("*.sqlite") if p.name != "metadata.sqlite")
        if database:
            return root / "d1" / D1_OBJECT / f"{miniflare_object_id(D1_OBJECT, database)}.sqlite"
        if len(files) == 1:
            return files[0]
        raise InspectorError(f"{root} holds {len(files)} local D1 databases: set [inspector] database to the "
                             "database_id of wrangler.toml")

    def describe(self) -> str:
        return f"sqlite (D1 {self.d1_path}, KV {self.kv_path})"

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        check_select(sql)
        with self._reading:
            return _rows(self._d1, sql, params)

    def kv_keys(self, namespace: str, prefix: str = "") -> list[str]:
        name = self.namespaces.get(namespace, namespace)
        span = len(prefix)
        if self._kv_root is None and "" not in self._kv:
            raise InspectorError(f"no KV store at {self.kv_path} (only the SQL database {self.d1_path} is read)")
        with self._reading:
            if self._kv_root is None:
                rows = _rows(self._kv[""], "SELECT key FROM kv_entries WHERE namespace = ? AND substr(key, 1, ?) = ? "
                             "ORDER BY key", (name, span, prefix))
            else:
                now_ms = int(time.time() * 1000)
                rows = _rows(self._miniflare_kv(name), "SELECT key FROM _mf_entries WHERE substr(key, 1, ?) = ? "
                             "AND (expiration IS NULL OR expiration > ?) ORDER BY key", (span, prefix, now_ms))
        return [str(row["key"]) for row in rows]

    def _miniflare_kv(self, namespace_id: str) -> sqlite3.Connection:
        if namespace_id not in self._kv:
            self._kv[namespace_id] = self._open_miniflare_kv(namespace_id)
        return self._kv[namespace_id]

    def _open_miniflare_kv(self, namespace_id: str) -> sqlite3.Connection:
        assert self._kv_root is not None
        path = self._kv_root / "kv" / KV_OBJECT / f"{miniflare_object_id(KV_OBJECT, namespace_id)}.sqlite"
        if not path.is_file():
            known = sorted(p.name for p in (self._kv_root / "kv").iterdir() if p.name != KV_OBJECT) \
                if (self._kv_root / "kv").is_dir() else []
            raise InspectorError(f"no local state for KV namespace id {namespace_id!r} in {self._kv_root}/kv "
                                 f"(namespaces with data: {', '.join(known) or 'none'}); set [inspector] "
                                 "files_namespace/cache_namespace to the ids in wrangler.toml")
        return open_read_only(path)

    def close(self) -> None:
        for conn in (self._d1, *self._kv.values()):
            conn.close()
        self._kv.clear()


def sqlite_inspector(*, d1_path: str | Path, kv_path: str | Path | None = None, database: str | None = None,
                     files_namespace: str | None = None, cache_namespace: str | None = None) -> SqliteInspector:
    """Build a ``SqliteInspector``; a directory is the reference's data dir or wrangler's state."""
    d1 = Path(d1_path)
    kv = Path(kv_path) if kv_path is not None else (d1 if d1.is_dir() else d1.with_name(REFERENCE_KV))
    if kv.is_dir() and state_root(kv) is None:
        kv = kv / REFERENCE_KV
    if kv_path is not None and not kv.exists():
        raise InspectorError(f"no SQLite file at {kv} ([inspector] kv_path)")
    names = {FILES: files_namespace or FILES, CACHE: cache_namespace or CACHE}
    return SqliteInspector(d1, kv, database=database, namespaces=names)
