"""The D1-style SQLite database: Pom Bolt's combined schema (with tenant_id indexes) and its queries.

Every function takes the connection and runs inside the caller's transaction (see `store.py`); none of them
decides *who* may do something, that is `operations.py`'s job (and where the flaws live).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    api_key_hash TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_projects_tenant ON projects (tenant_id);
CREATE TABLE IF NOT EXISTS deployments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_deployments_tenant ON deployments (tenant_id);
CREATE INDEX IF NOT EXISTS idx_deployments_project ON deployments (project_id);
CREATE TABLE IF NOT EXISTS file_metadata (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    file_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    kv_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, file_path)
);
CREATE INDEX IF NOT EXISTS idx_file_metadata_tenant ON file_metadata (tenant_id);
CREATE TABLE IF NOT EXISTS search_index (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    file_path TEXT,
    content TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_search_index_tenant ON search_index (tenant_id);
CREATE INDEX IF NOT EXISTS idx_search_index_project ON search_index (project_id);
CREATE TABLE IF NOT EXISTS tenant_access_logs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    resource_id TEXT,
    resource_type TEXT NOT NULL,
    action TEXT NOT NULL,
    user_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    success INTEGER NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_tenant_access_logs_tenant ON tenant_access_logs (tenant_id);
CREATE INDEX IF NOT EXISTS idx_tenant_access_logs_timestamp ON tenant_access_logs (timestamp);
"""

# The full-text index follows search_index through triggers (an external-content FTS5 table), so the
# tenant-carrying rows stay in one ordinary table that an inspector can read.
FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts
    USING fts5 (content, content='search_index', content_rowid='rowid');
CREATE TRIGGER IF NOT EXISTS search_index_ai AFTER INSERT ON search_index BEGIN
    INSERT INTO search_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER IF NOT EXISTS search_index_ad AFTER DELETE ON search_index BEGIN
    INSERT INTO search_fts (search_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER IF NOT EXISTS search_index_au AFTER UPDATE OF content ON search_index BEGIN
    INSERT INTO search_fts (search_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO search_fts (rowid, content) VALUES (new.rowid, new.content);
END;
"""

DATA_TABLES = ("projects", "deployments", "file_metadata", "search_index")
"""The tables whose every row carries its owner's tenant_id (CONTRACT.md, Storage)."""

SEARCH_LIMIT = 100
SNIPPET_RADIUS = 60


def now_iso() -> str:
    """UTC timestamp with microseconds; the fixed format keeps string order equal to time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(prefix: str) -> str:
    """A random object id. The `_` keeps ids disjoint from tenant ids (so KV prefixes never collide)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def create_schema(conn: sqlite3.Connection) -> bool:
    """Create the tables; returns whether full-text search (FTS5) is available."""
    conn.executescript(SCHEMA)
    try:
        conn.executescript(FTS_SCHEMA)
    except sqlite3.OperationalError:
        return False
    return True


def has_fts(conn: sqlite3.Connection) -> bool:
    """Whether this database has the FTS5 index (a restored database may come from elsewhere)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_fts'").fetchone()
    return row is not None


def _dicts(cur: sqlite3.Cursor) -> list[Row]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _one(cur: sqlite3.Cursor) -> Row | None:
    rows = _dicts(cur)
    return rows[0] if rows else None


# --- tenants -------------------------------------------------------------------------------------------


def insert_tenant(conn: sqlite3.Connection, tenant_id: str, name: str, api_key_hash: str | None) -> Row:
    """Add a tenant; raises sqlite3.IntegrityError when the id exists."""
    row = {"tenant_id": tenant_id, "name": name, "api_key_hash": api_key_hash, "created_at": now_iso()}
    conn.execute(
        "INSERT INTO tenants (tenant_id, name, api_key_hash, created_at) "
        "VALUES (:tenant_id, :name, :api_key_hash, :created_at)",
        row,
    )
    return row


def tenant_exists(conn: sqlite3.Connection, tenant_id: str) -> bool:
    """Whether the tenant is provisioned."""
    return conn.execute("SELECT 1 FROM tenants WHERE tenant_id = ?", (tenant_id,)).fetchone() is not None


def tenant_for_key_hash(conn: sqlite3.Connection, api_key_hash: str) -> str | None:
    """The tenant owning an API key (looked up by its sha256, the key itself is never stored)."""
    row = conn.execute("SELECT tenant_id FROM tenants WHERE api_key_hash = ?", (api_key_hash,)).fetchone()
    return None if row is None else str(row[0])


def list_tenants(conn: sqlite3.Connection) -> list[Row]:
    """Every tenant, without key hashes."""
    return _dicts(
        conn.execute("SELECT tenant_id, name, created_at FROM tenants ORDER BY created_at, tenant_id")
    )


def delete_tenant(conn: sqlite3.Connection, tenant_id: str) -> tuple[int, list[str]]:
    """Remove every row of a tenant (its projects' children too); returns (rows removed, file KV keys)."""
    project_ids = [r[0] for r in conn.execute("SELECT id FROM projects WHERE tenant_id = ?", (tenant_id,))]
    kv_keys: list[str] = []
    removed = 0
    for project_id in project_ids:
        keys, count = delete_project(conn, project_id)
        kv_keys += keys
        removed += count
    kv_keys += [
        r[0] for r in conn.execute("SELECT kv_key FROM file_metadata WHERE tenant_id = ?", (tenant_id,))
    ]
    for table in (*DATA_TABLES, "tenant_access_logs", "tenants"):
        removed += conn.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,)).rowcount
    return removed, kv_keys


# --- projects ------------------------------------------------------------------------------------------


def _project(row: Row | None) -> Row | None:
    if row is not None:
        row["metadata"] = json.loads(row["metadata"])
    return row


def insert_project(conn: sqlite3.Connection, project: Row) -> None:
    """Store a new project (metadata as JSON text)."""
    conn.execute(
        "INSERT INTO projects (id, tenant_id, name, description, metadata, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            project["id"],
            project["tenant_id"],
            project["name"],
            project["description"],
            json.dumps(project["metadata"], allow_nan=False),
            project["created_at"],
            project["updated_at"],
        ),
    )


def get_project(conn: sqlite3.Connection, project_id: str) -> Row | None:
    """One project by id, whoever owns it."""
    return _project(_one(conn.execute("SELECT * FROM projects WHERE id = ?", (project_id,))))


def list_projects(conn: sqlite3.Connection, tenant_ids: Sequence[str] | None) -> list[Row]:
    """Projects of these tenants, oldest first; every tenant's when tenant_ids is None."""
    if tenant_ids is None:
        cur = conn.execute("SELECT * FROM projects ORDER BY created_at, id")
    else:
        marks = ", ".join("?" * len(tenant_ids))
        cur = conn.execute(f"SELECT * FROM projects WHERE tenant_id IN ({marks}) ORDER BY created_at, id",
                           tuple(tenant_ids))
    return [p for p in map(_project, _dicts(cur)) if p is not None]


def update_project(conn: sqlite3.Connection, project_id: str, changes: Row) -> None:
    """Apply a validated change set (name, description, metadata) and bump updated_at."""
    values = dict(changes)
    if "metadata" in values:
        values["metadata"] = json.dumps(values["metadata"], allow_nan=False)
    values["updated_at"] = now_iso()
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE projects SET {assignments} WHERE id = ?", (*values.values(), project_id))


def delete_project(conn: sqlite3.Connection, project_id: str) -> tuple[list[str], int]:
    """Remove a project with its deployments, files and index rows; returns (file KV keys, rows removed)."""
    kv_keys = [
        r[0] for r in conn.execute("SELECT kv_key FROM file_metadata WHERE project_id = ?", (project_id,))
    ]
    removed = 0
    for table in ("deployments", "file_metadata", "search_index"):
        removed += conn.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,)).rowcount
    removed += conn.execute("DELETE FROM projects WHERE id = ?", (project_id,)).rowcount
    return kv_keys, removed


# --- deployments ---------------------------------------------------------------------------------------


def insert_deployment(conn: sqlite3.Connection, deployment: Row) -> None:
    """Store a new deployment."""
    conn.execute(
        "INSERT INTO deployments (id, tenant_id, project_id, provider, status, url, created_at) "
        "VALUES (:id, :tenant_id, :project_id, :provider, :status, :url, :created_at)",
        deployment,
    )


def list_deployments(conn: sqlite3.Connection, project_id: str) -> list[Row]:
    """Deployments of a project, oldest first."""
    return _dicts(
        conn.execute("SELECT * FROM deployments WHERE project_id = ? ORDER BY created_at, id", (project_id,))
    )


def get_deployment(conn: sqlite3.Connection, deployment_id: str) -> Row | None:
    """One deployment by id, whoever owns it."""
    return _one(conn.execute("SELECT * FROM deployments WHERE id = ?", (deployment_id,)))


# --- files ---------------------------------------------------------------------------------------------

FILE_COLUMNS = "id, tenant_id, project_id, file_path, size, hash, created_at"


def upsert_file(
    conn: sqlite3.Connection,
    *,
    tenant_id: str,
    project_id: str,
    file_path: str,
    size: int,
    sha256: str,
    kv_key: str,
) -> tuple[Row, str | None]:
    """Store or replace a file's metadata; returns (the row, the KV key it had before when it moved)."""
    now = now_iso()
    old = _one(
        conn.execute(
            "SELECT id, kv_key FROM file_metadata WHERE project_id = ? AND file_path = ?",
            (project_id, file_path),
        )
    )
    if old is None:
        conn.execute(
            "INSERT INTO file_metadata (id, tenant_id, project_id, file_path, size, hash, kv_key, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new_id("fil"), tenant_id, project_id, file_path, size, sha256, kv_key, now, now),
        )
        previous_key = None
    else:
        conn.execute(
            "UPDATE file_metadata SET tenant_id = ?, size = ?, hash = ?, kv_key = ?, created_at = ?, "
            "updated_at = ? WHERE id = ?",
            (tenant_id, size, sha256, kv_key, now, now, old["id"]),
        )
        previous_key = old["kv_key"] if old["kv_key"] != kv_key else None
    row = get_file(conn, project_id, file_path)
    assert row is not None
    return row, previous_key


def get_file(conn: sqlite3.Connection, project_id: str, file_path: str) -> Row | None:
    """Metadata of one file of a project (kv_key included, for reading the content)."""
    return _one(
        conn.execute(
            f"SELECT {FILE_COLUMNS}, kv_key FROM file_metadata WHERE project_id = ? AND file_path = ?",
            (project_id, file_path),
        )
    )


def list_files(conn: sqlite3.Connection, project_id: str) -> list[Row]:
    """File metadata of a project, by path."""
    return _dicts(
        conn.execute(
            f"SELECT {FILE_COLUMNS} FROM file_metadata WHERE project_id = ? ORDER BY file_path", (project_id,)
        )
    )


# --- search --------------------------------------------------------------------------------------------


def index_document(
    conn: sqlite3.Connection, *, tenant_id: str, project_id: str, file_path: str | None, content: str
) -> None:
    """(Re)index a project's name and description (file_path None) or a file's content."""
    if file_path is None:
        conn.execute("DELETE FROM search_index WHERE project_id = ? AND file_path IS NULL", (project_id,))
    else:
        conn.execute(
            "DELETE FROM search_index WHERE project_id = ? AND file_path = ?", (project_id, file_path)
        )
    conn.execute(
        "INSERT INTO search_index (id, tenant_id, project_id, file_path, content, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (new_id("idx"), tenant_id, project_id, file_path, content, now_iso()),
    )


def search(conn: sqlite3.Connection, query: str, tenant_id: str | None) -> list[Row]:
    """Documents matching every word of query, in one tenant (every tenant when None), with a snippet."""
    words = query.split()
    if not words:
        return []
    rows: list[Row] | None = None
    if has_fts(conn):
        rows = _search_fts(conn, words, tenant_id)
    if rows is None:
        rows = _search_like(conn, words, tenant_id)
    results = []
    for row in rows:
        result: Row = {"project_id": row["project_id"]}
        if row["file_path"] is not None:
            result["file_path"] = row["file_path"]
        result["snippet"] = snippet(row["content"], words)
        results.append(result)
    return results


def _search_fts(conn: sqlite3.Connection, words: list[str], tenant_id: str | None) -> list[Row] | None:
    # Each word becomes a quoted FTS5 phrase, so user input is never parsed as FTS5 query syntax.
    match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    sql = (
        "SELECT s.project_id, s.file_path, s.content FROM search_fts JOIN search_index AS s "
        "ON s.rowid = search_fts.rowid WHERE search_fts MATCH ?"
    )
    params: list[object] = [match]
    if tenant_id is not None:
        sql += " AND s.tenant_id = ?"
        params.append(tenant_id)
    sql += " ORDER BY rank LIMIT ?"
    params.append(SEARCH_LIMIT)
    try:
        return _dicts(conn.execute(sql, params))
    except sqlite3.OperationalError:
        return None  # a query FTS5 cannot take (e.g. only punctuation): fall back to LIKE


def _search_like(conn: sqlite3.Connection, words: list[str], tenant_id: str | None) -> list[Row]:
    clauses = ["content LIKE ? ESCAPE '\\'"] * len(words)
    params: list[object] = ["%" + re.sub(r"([\\%_])", r"\\\1", w) + "%" for w in words]
    if tenant_id is not None:
        clauses.append("tenant_id = ?")
        params.append(tenant_id)
    params.append(SEARCH_LIMIT)
    sql = (
        f"SELECT project_id, file_path, content FROM search_index WHERE {' AND '.join(clauses)} "
        "ORDER BY updated_at LIMIT ?"
    )
    return _dicts(conn.execute(sql, params))


def snippet(content: str, words: list[str]) -> str:
    """The text around the first matching word (or the start), on one line."""
    lowered = content.lower()
    positions = [p for p in (lowered.find(w.lower()) for w in words) if p >= 0]
    start = max(0, min(positions) - SNIPPET_RADIUS) if positions else 0
    text = content[start : start + 2 * SNIPPET_RADIUS]
    return " ".join(text.split())


# --- access logs ---------------------------------------------------------------------------------------

LOG_COLUMNS = "id, tenant_id, resource_id, resource_type, action, success, timestamp"
ADMIN_LOG_COLUMNS = LOG_COLUMNS + ", user_id, ip_address, user_agent"


def insert_log(
    conn: sqlite3.Connection,
    *,
    tenant_id: str,
    resource_type: str,
    resource_id: str | None,
    action: str,
    success: bool,
    ip_address: str | None,
    user_agent: str | None,
) -> None:
    """Record one tenant request in tenant_access_logs."""
    conn.execute(
        "INSERT INTO tenant_access_logs (id, tenant_id, resource_id, resource_type, action, user_id, "
        "ip_address, user_agent, success, timestamp) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        (
            new_id("log"),
            tenant_id,
            resource_id,
            resource_type,
            action,
            ip_address,
            user_agent,
            int(success),
            now_iso(),
        ),
    )


def list_logs(
    conn: sqlite3.Connection,
    *,
    tenant_id: str | None,
    success: bool | None = None,
    since: str | None = None,
    limit: int,
    admin: bool = False,
) -> list[Row]:
    """Access-log entries, newest first, optionally filtered; `admin` adds ip, user agent and user id."""
    clauses: list[str] = []
    params: list[object] = []
    if tenant_id is not None:
        clauses.append("tenant_id = ?")
        params.append(tenant_id)
    if success is not None:
        clauses.append("success = ?")
        params.append(int(success))
    if since is not None:
        clauses.append("timestamp >= ?")
        params.append(since)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    columns = ADMIN_LOG_COLUMNS if admin else LOG_COLUMNS
    rows = _dicts(
        conn.execute(
            f"SELECT {columns} FROM tenant_access_logs {where} ORDER BY rowid DESC LIMIT ?", (*params, limit)
        )
    )
    for row in rows:
        row["success"] = bool(row["success"])
    return rows


def reassign_all_rows(conn: sqlite3.Connection, tenant_id: str) -> None:
    """Give every data row to one tenant (what the `restore-drops-owner` flaw does after a restore)."""
    for table in DATA_TABLES:
        conn.execute(f"UPDATE {table} SET tenant_id = ?", (tenant_id,))
