"""Storage: the D1 database and the KV namespaces, owned by one dedicated thread.

All database work runs on that thread (`await store.run(fn)`), one unit of work at a time, so concurrent
requests never interleave inside a transaction and nothing is stored partially: `transaction()` commits
D1 and KV together or rolls both back. The files use WAL, so an inspector can read them while we run.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from tenantcheck.reference import d1
from tenantcheck.reference.kv import KV_SCHEMA, KVNamespace

T = TypeVar("T")

D1_FILE = "d1.sqlite"
KV_FILE = "kv.sqlite"
BACKUP_DIR = "backups"
BACKUP_ID_RE = re.compile(r"^bak_[0-9a-f]{16}$")


class BackupNotFoundError(LookupError):
    """No backup with that id."""


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit at the driver level: transactions are explicit BEGIN/COMMIT in `transaction()`.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 5000")  # an inspector may hold a read lock briefly
    return conn


class Store:
    """D1 (`d1.sqlite`) and KV (`kv.sqlite`, namespaces FILES and CACHE) under one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenantcheck-reference-db")
        self._closed = False
        self.fts = self._executor.submit(self._open).result()

    def _open(self) -> bool:
        self.d1 = _connect(self.data_dir / D1_FILE)
        self.kv = _connect(self.data_dir / KV_FILE)
        self.kv.executescript(KV_SCHEMA)
        self.files = KVNamespace(self.kv, "FILES")
        self.cache = KVNamespace(self.kv, "CACHE")
        return d1.create_schema(self.d1)

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run fn(store) on the storage thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self)

    def call(self, fn: Callable[[Store], T]) -> T:
        """Run fn(store) on the storage thread from synchronous code (setup, tests)."""
        return self._executor.submit(fn, self).result()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit over D1 and KV (call on the storage thread)."""
        self.d1.execute("BEGIN IMMEDIATE")
        self.kv.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.d1.execute("ROLLBACK")
            self.kv.execute("ROLLBACK")
            raise
        self.d1.execute("COMMIT")
        self.kv.execute("COMMIT")

    # --- backup and restore (call on the storage thread) -----------------------------------------------

    def backup(self) -> str:
        """Copy D1 and KV (SQLite backup API, at one point in time) to backups/<id>/; returns the id."""
        backup_id = f"bak_{secrets.token_hex(8)}"
        target = self.data_dir / BACKUP_DIR / backup_id
        target.mkdir(parents=True)
        try:
            for source, name in ((self.d1, D1_FILE), (self.kv, KV_FILE)):
                copy = sqlite3.connect(target / name)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return backup_id

    def restore(self, backup_id: str, *, restore_kv: bool = True, owner: str | None = None) -> None:
        """Replace D1 (and KV unless restore_kv is False) by a backup, then empty the response cache.

        `owner` reassigns every data row to one tenant afterwards (the `restore-drops-owner` flaw);
        `restore_kv=False` is the `restore-drops-files` flaw.
        """
        source_dir = self.backup_path(backup_id)
        pairs = [(D1_FILE, self.d1)] + ([(KV_FILE, self.kv)] if restore_kv else [])
        for name, live in pairs:
            copy = sqlite3.connect(f"file:{source_dir / name}?mode=ro", uri=True)
            try:
                copy.backup(live)
            finally:
                copy.close()
        with self.transaction():
            if owner is not None:
                d1.reassign_all_rows(self.d1, owner)
            self.cache.delete_prefix("")

    def backup_path(self, backup_id: str) -> Path:
        """The directory of a backup; BackupNotFoundError for a malformed or unknown id."""
        path = self.data_dir / BACKUP_DIR / backup_id
        if (
            not BACKUP_ID_RE.match(backup_id)
            or not (path / D1_FILE).is_file()
            or not (path / KV_FILE).is_file()
        ):
            raise BackupNotFoundError(backup_id)
        return path

    def close(self) -> None:
        """Close the connections on their thread and stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True

        def close_all(store: Store) -> None:
            store.d1.close()
            store.kv.close()

        self._executor.submit(close_all, self).result()
        self._executor.shutdown(wait=True)
