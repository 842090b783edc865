"""The ``sqlite`` backend on real files: the reference target's data directory and wrangler's local state."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tenantcheck.config.environment import Inspector
from tenantcheck.config.profile import AuditTable, KeyValue, Table
from tenantcheck.inspectors import CACHE, FILES, InspectorError, ReadOnlyViolation, build_inspector
from tenantcheck.inspectors.queries import failed_accesses, rows_of, stored_keys
from tenantcheck.inspectors.sqlite import D1_OBJECT, KV_OBJECT, miniflare_object_id, open_read_only, sqlite_inspector
from tenantcheck.reference import ReferenceConfig, RunningReference, running_reference


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[RunningReference, dict[str, str]]]:
    """A running reference target with one tenant, one project and one file (ids returned)."""
    with running_reference(ReferenceConfig()) as ref, httpx.Client(base_url=ref.base_url, timeout=10) as http:
        admin = {"Authorization": f"Bearer {ref.admin_token}"}
        key = http.post("/admin/tenants", json={"tenant_id": "acme-inspected", "name": "Acme"},
                        headers=admin).json()["api_key"]
        auth = {"Authorization": f"Bearer {key}"}
        project = http.post("/api/projects", json={"name": "Site"}, headers=auth).json()["id"]
        assert http.post(f"/api/projects/{project}/files", json={"path": "a/b.md", "content": "hi"},
                         headers=auth).status_code == 201
        assert http.get("/api/projects", headers=auth).status_code == 200  # a cached response
        assert http.get("/api/projects/prj_missing", headers=auth).status_code == 404  # a failed access
        yield ref, {"tenant": "acme-inspected", "project": project}


def test_reads_rows_and_keys_of_the_reference_data_dir(reference: tuple[RunningReference, dict[str, str]]) -> None:
    ref, ids = reference
    with build_inspector(Inspector(kind="sqlite"), data_dir=ref.data_dir) as inspector:
        assert rows_of(inspector, Table(table="projects"), [ids["project"]]) == [
            {"id": ids["project"], "owner": ids["tenant"]}]
        assert rows_of(inspector, Table(table="file_metadata", id_column="file_path"), ["a/b.md"]) == [
            {"id": "a/b.md", "owner": ids["tenant"]}]
        assert inspector.kv_keys(FILES, prefix=f"{ids['tenant']}:") == [f"{ids['tenant']}:{ids['project']}:a/b.md"]
        files = KeyValue(key="{tenant_id}:{project_id}:{file_path}", namespace="FILES")
        assert f"{ids['tenant']}:{ids['project']}:a/b.md" in stored_keys(inspector, files)
        kv_table = KeyValue(key="{tenant_id}:{id}", table="file_metadata", key_column="kv_key")
        assert stored_keys(inspector, kv_table) == [f"{ids['tenant']}:{ids['project']}:a/b.md"]
        assert f"{ids['tenant']}:/api/projects" in inspector.kv_keys(CACHE)
        assert inspector.kv_keys(FILES, prefix="nobody:") == []
        assert failed_accesses(inspector, AuditTable(table="tenant_access_logs"), ids["tenant"],
                               "prj_missing")[0]["success"] == 0


def test_explicit_paths_work_like_the_data_dir(reference: tuple[RunningReference, dict[str, str]]) -> None:
    ref, ids = reference
    section = Inspector(kind="sqlite", d1_path=str(ref.data_dir / "d1.sqlite"), kv_path=str(ref.data_dir / "kv.sqlite"))
    with build_inspector(section) as inspector:
        assert inspector.query("SELECT tenant_id FROM projects WHERE id = ?", [ids["project"]]) == [
            {"tenant_id": ids["tenant"]}]


def test_write_is_refused_by_the_guard_and_by_the_engine(reference: tuple[RunningReference, dict[str, str]]) -> None:
    """Given the guard bypassed (a raw connection), when a write is tried, then SQLite itself refuses it."""
    ref, ids = reference
    with build_inspector(Inspector(kind="sqlite"), data_dir=ref.data_dir) as inspector, \
            pytest.raises(ReadOnlyViolation):
        inspector.query("UPDATE projects SET tenant_id = 'default'")
    conn = open_read_only(ref.data_dir / "d1.sqlite")
    for sql in ("UPDATE projects SET tenant_id = 'default'", "DELETE FROM projects",
                "ATTACH DATABASE ':memory:' AS x", "CREATE TABLE evil (a)"):
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(sql)
    conn.close()
    with build_inspector(Inspector(kind="sqlite"), data_dir=ref.data_dir) as inspector:
        assert inspector.query("SELECT tenant_id FROM projects WHERE id = ?", [ids["project"]]) == [
            {"tenant_id": ids["tenant"]}]


def test_miniflare_object_ids_match_wrangler_4_86() -> None:
    """The file names wrangler 4.86 gave the D1 database and KV namespace ids of a probe project."""
    assert miniflare_object_id(D1_OBJECT, "00000000-0000-0000-0000-000000000001") == (
        "a36f84ea60804f30bb0c7f7cad9f5336a6cca0165abdab8b9241d93dbf0b6006")
    assert miniflare_object_id(KV_OBJECT, "11111111111111111111111111111111") == (
        "42a14b3d6499ce0dcdd06a2371c3642c49412cd8c3e8bd4d1d315f08760f1e0d")


def make_wrangler_state(root: Path, database: str, namespaces: dict[str, list[str]]) -> Path:
    """A ``.wrangler/state/v3`` tree laid out as miniflare lays it out (same tables, same file names)."""
    state = root / ".wrangler" / "state" / "v3"
    (state / "d1" / D1_OBJECT).mkdir(parents=True)
    d1_file = state / "d1" / D1_OBJECT / f"{miniflare_object_id(D1_OBJECT, database)}.sqlite"
    with closing(sqlite3.connect(d1_file)) as db:
        db.execute("CREATE TABLE projects (id TEXT, tenant_id TEXT)")
        db.execute("INSERT INTO projects VALUES ('prj_1', 'acme')")
        db.commit()
    (state / "kv" / KV_OBJECT).mkdir(parents=True)
    for namespace, keys in namespaces.items():
        path = state / "kv" / KV_OBJECT / f"{miniflare_object_id(KV_OBJECT, namespace)}.sqlite"
        with closing(sqlite3.connect(path)) as kv:
            kv.execute("CREATE TABLE _mf_entries (key TEXT PRIMARY KEY, blob_id TEXT NOT NULL, expiration INTEGER, "
                       "metadata TEXT)")
            kv.executemany("INSERT INTO _mf_entries VALUES (?, 'blob', ?, NULL)",
                           [(key, 1 if key.startswith("expired") else None) for key in keys])
            kv.commit()
    return state


def test_reads_wrangler_local_state(tmp_path: Path) -> None:
    files, cache = "a" * 32, "b" * 32
    make_wrangler_state(tmp_path, "db-id", {files: ["acme:prj_1:x.md", "expired:key"], cache: ["acme:/api"]})
    with sqlite_inspector(d1_path=tmp_path, kv_path=tmp_path / ".wrangler", database="db-id",
                          files_namespace=files, cache_namespace=cache) as inspector:
        assert inspector.query("SELECT * FROM projects") == [{"id": "prj_1", "tenant_id": "acme"}]
        assert inspector.kv_keys(FILES) == ["acme:prj_1:x.md"]  # the expired key is gone, as in KV
        assert inspector.kv_keys(CACHE, prefix="acme:") == ["acme:/api"]


def test_unknown_kv_namespace_names_the_ones_with_data(tmp_path: Path) -> None:
    make_wrangler_state(tmp_path, "db-id", {"a" * 32: []})
    (tmp_path / ".wrangler" / "state" / "v3" / "kv" / ("a" * 32)).mkdir()
    with sqlite_inspector(d1_path=tmp_path, kv_path=tmp_path, files_namespace="c" * 32) as inspector, \
            pytest.raises(InspectorError, match="no local state for KV namespace id 'ccc.*aaaa"):
        inspector.kv_keys(FILES)


def test_several_local_databases_need_the_database_id(tmp_path: Path) -> None:
    state = make_wrangler_state(tmp_path, "one", {})
    sqlite3.connect(state / "d1" / D1_OBJECT / "other.sqlite").close()
    with pytest.raises(InspectorError, match="set \\[inspector\\] database"):
        sqlite_inspector(d1_path=tmp_path)


@pytest.mark.parametrize("problem", ["missing", "not-kv", "not-sqlite"])
def test_unusable_files_are_inspector_errors(tmp_path: Path, problem: str) -> None:
    d1 = tmp_path / "d1.sqlite"
    sqlite3.connect(d1).close()
    kv = tmp_path / "kv.sqlite"
    if problem == "not-kv":
        with closing(sqlite3.connect(kv)) as conn:
            conn.execute("CREATE TABLE other (a)")
    elif problem == "not-sqlite":
        kv.write_text("this is not a database, it is long enough to have a header " * 10)
    with pytest.raises(InspectorError):
        sqlite_inspector(d1_path=d1, kv_path=kv)


def test_sqlite_without_paths_needs_an_embedded_target() -> None:
    with pytest.raises(InspectorError, match="needs d1_path"):
        build_inspector(Inspector(kind="sqlite"), data_dir=None)
