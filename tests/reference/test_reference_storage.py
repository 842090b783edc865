"""What an inspector can read: Pom Bolt's tables and tenant_id indexes, hashed API keys, tenant-prefixed KV
keys, and deletions that leave nothing of a tenant or project behind. Also the KV semantics and config."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tenantcheck.reference import FLAWS, ReferenceConfig, UnknownFlawError
from tenantcheck.reference.kv import KV_SCHEMA, KVKeyError, KVNamespace


@pytest.fixture(scope="module")
def target(targets):
    return targets(auth="token", strict=True)


def test_schema_tables_and_tenant_indexes(target):
    tables = {r[0] for r in target.sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "projects",
        "deployments",
        "file_metadata",
        "search_index",
        "tenant_access_logs",
        "tenants",
    } <= tables
    columns = [r[1] for r in target.sql("PRAGMA table_info(tenant_access_logs)")]
    assert columns == [
        "id",
        "tenant_id",
        "resource_id",
        "resource_type",
        "action",
        "user_id",
        "ip_address",
        "user_agent",
        "success",
        "timestamp",
    ]
    assert [r[1] for r in target.sql("PRAGMA table_info(tenants)")] == [
        "tenant_id",
        "name",
        "api_key_hash",
        "created_at",
    ]
    indexes = {r[0] for r in target.sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {
        "idx_projects_tenant",
        "idx_deployments_tenant",
        "idx_file_metadata_tenant",
        "idx_search_index_tenant",
        "idx_tenant_access_logs_tenant",
    } <= indexes
    assert target.sql("PRAGMA journal_mode") == [("wal",)]
    assert target.sql("PRAGMA journal_mode", db="kv.sqlite") == [("wal",)]


def test_api_keys_are_stored_hashed(target):
    tenant = target.tenant("a")
    rows = target.sql("SELECT api_key_hash FROM tenants WHERE tenant_id = ?", (tenant.tenant_id,))
    assert rows == [(hashlib.sha256(tenant.api_key.encode()).hexdigest(),)]
    for table in ("tenants", "tenant_access_logs"):
        assert tenant.api_key not in str(target.sql(f"SELECT * FROM {table}"))


def test_rows_carry_their_owner_and_access_logs_have_request_details(target):
    a = target.tenant("a")
    project = a.project(description="d")
    a.deploy(project["id"])
    a.file(project["id"], "x/y.txt", "z")
    for table in ("projects", "deployments", "file_metadata", "search_index"):
        column = "id" if table == "projects" else "project_id"
        owners = target.sql(f"SELECT DISTINCT tenant_id FROM {table} WHERE {column} = ?", (project["id"],))
        assert owners == [(a.tenant_id,)], table
    ip, agent, success = target.sql(
        "SELECT ip_address, user_agent, success FROM tenant_access_logs WHERE tenant_id = ? "
        "ORDER BY rowid DESC LIMIT 1",
        (a.tenant_id,),
    )[0]
    assert ip == "127.0.0.1" and agent.startswith("python-httpx") and success == 1


def test_kv_keys_are_tenant_prefixed_and_cache_is_per_tenant(target):
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    a.file(project["id"], "dir/file.txt", "content")
    assert target.kv_keys("FILES", f"{a.tenant_id}:") == [f"{a.tenant_id}:{project['id']}:dir/file.txt"]
    a.client.get("/api/projects")
    b.client.get("/api/search", params={"q": "anything"})
    assert target.kv_keys("CACHE", f"{a.tenant_id}:") == [f"{a.tenant_id}:/api/projects"]
    assert target.kv_keys("CACHE", f"{b.tenant_id}:") == [f"{b.tenant_id}:/api/search?q=anything"]
    assert all(key.split(":", 1)[0] != "" and not key.startswith("/") for key in target.kv_keys("CACHE"))
    a.project()  # a write drops the tenant's cached answers
    assert target.kv_keys("CACHE", f"{a.tenant_id}:") == []
    assert target.kv_keys("CACHE", f"{b.tenant_id}:") != []


def test_cache_key_shared_keys_by_url(targets):
    target = targets(flaws={"cache-key-shared"})
    a = target.tenant("a")
    a.client.get("/api/search", params={"q": a.tenant_id})
    assert f"/api/search?q={a.tenant_id}" in target.kv_keys("CACHE", "/")


def test_project_deletion_leaves_nothing(target):
    a = target.tenant("a")
    project, kept = a.project(), a.project()
    a.deploy(project["id"])
    a.file(project["id"], "a.txt", "x")
    a.file(kept["id"], "b.txt", "y")
    assert a.client.delete(f"/api/projects/{project['id']}").status_code == 204
    for table in ("deployments", "file_metadata", "search_index"):
        assert target.sql(f"SELECT count(*) FROM {table} WHERE project_id = ?", (project["id"],)) == [(0,)]
    assert target.kv_keys("FILES", f"{a.tenant_id}:") == [f"{a.tenant_id}:{kept['id']}:b.txt"]


@pytest.mark.parametrize("flaws", [set(), {"kv-unprefixed"}], ids=["correct", "kv-unprefixed"])
def test_tenant_deletion_removes_every_row_and_key(targets, flaws):
    target = targets(flaws=flaws)
    a, b = target.tenant("a"), target.tenant("b")
    for tenant in (a, b):
        project = tenant.project()
        tenant.deploy(project["id"])
        tenant.file(project["id"], "f.txt", tenant.tenant_id)
        tenant.client.get("/api/projects")
    file_keys = target.sql("SELECT kv_key FROM file_metadata WHERE tenant_id = ?", (a.tenant_id,))
    assert target.admin.delete(f"/admin/tenants/{a.tenant_id}").status_code == 204
    for table in (
        "projects",
        "deployments",
        "file_metadata",
        "search_index",
        "tenant_access_logs",
        "tenants",
    ):
        assert target.sql(f"SELECT count(*) FROM {table} WHERE tenant_id = ?", (a.tenant_id,)) == [(0,)], (
            table
        )
        assert target.sql(f"SELECT count(*) FROM {table} WHERE tenant_id = ?", (b.tenant_id,)) != [(0,)], (
            table
        )
    assert target.kv_keys("FILES", f"{a.tenant_id}:") == target.kv_keys("CACHE", f"{a.tenant_id}:") == []
    assert all(target.kv_keys("FILES", key) == [] for (key,) in file_keys)
    assert target.kv_keys("CACHE", f"{b.tenant_id}:") != []
    assert len(b.client.get("/api/projects").json()["projects"]) == 1


def test_kv_namespace_semantics(tmp_path):
    conn = sqlite3.connect(tmp_path / "kv.sqlite", isolation_level=None)
    try:
        conn.executescript(KV_SCHEMA)
        files, cache = KVNamespace(conn, "FILES"), KVNamespace(conn, "CACHE")
        conn.execute("BEGIN")
        for i in range(2500):
            files.put(f"t1:{i:05d}", b"v")
        conn.execute("COMMIT")
        files.put("t2:x", b"other")
        cache.put("t1:x", b"cached")
        assert (
            files.get("t1:00001") == b"v" and files.get("missing") is None and cache.get("t1:00001") is None
        )
        pages, cursor = [], None
        while True:
            page = files.list(prefix="t1:", cursor=cursor)
            pages.append(page.keys)
            if page.list_complete:
                assert page.cursor is None
                break
            cursor = page.cursor
        assert [len(p) for p in pages] == [1000, 1000, 500]
        assert sum(pages, []) == [f"t1:{i:05d}" for i in range(2500)]
        assert files.list(prefix="t1:", limit=2).keys == ["t1:00000", "t1:00001"]
        with pytest.raises(ValueError):
            files.list(limit=1001)
        files.put("t2:x", b"replaced")
        assert files.get("t2:x") == b"replaced"
        files.delete("t2:x")
        files.delete("t2:x")  # deleting a missing key is fine, as in Cloudflare
        assert files.get("t2:x") is None
        files.put("k" * 512, b"ok")  # exactly at the limit
        for bad in ("k" * 513, "é" * 257, "", "."):
            with pytest.raises(KVKeyError):
                files.put(bad, b"x")
        assert files.delete_prefix("t1:") == 2500 and cache.get("t1:x") == b"cached"
    finally:
        conn.close()


def test_config_validation():
    assert ReferenceConfig().flaws == frozenset()
    assert ReferenceConfig(flaws={"list-unfiltered"}).flaws == frozenset({"list-unfiltered"})
    with pytest.raises(UnknownFlawError) as error:
        ReferenceConfig(flaws={"list-unfiltered", "no-such-flaw"})
    assert isinstance(error.value, ValueError)
    assert "no-such-flaw" in str(error.value) and all(name in str(error.value) for name in FLAWS)
    for bad in (
        {"host": "0.0.0.0"},
        {"host": "example.com"},
        {"auth": "cookie"},
        {"shape": "xml"},
        {"default_tenant": "Default"},
        {"latency_ms": -1},
        {"port": 70000},
        {"admin_token": ""},
    ):
        with pytest.raises(ValueError):
            ReferenceConfig(**bad)
    assert ReferenceConfig(host="::1").host == "::1"
    token = ReferenceConfig().with_admin_token().admin_token
    assert token and len(token) >= 32 and token != ReferenceConfig().with_admin_token().admin_token
    assert all(description for description in FLAWS.values())
