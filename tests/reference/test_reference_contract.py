"""Every endpoint of CONTRACT.md: success for the owner and denial for everyone else, in both identity modes
(token, header) and both strictness settings."""

from __future__ import annotations

import hashlib

import pytest

MODES = [
    pytest.param({"auth": "token", "strict": True}, id="token-strict"),
    pytest.param({"auth": "token", "strict": False}, id="token-lenient"),
    pytest.param({"auth": "header", "strict": True}, id="header-strict"),
    pytest.param({"auth": "header", "strict": False}, id="header-lenient"),
]


@pytest.fixture(params=MODES)
def target(request, targets):
    """A correct target in each identity mode and strictness."""
    return targets(**request.param)


@pytest.fixture
def a(target):
    return target.tenant("a")


@pytest.fixture
def b(target):
    return target.tenant("b")


def test_health_needs_no_identity(target):
    response = target.anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_project_lifecycle_for_the_owner(a):
    created = a.project(description="first", metadata={"k": [1, 2]}, tenant_id="someone-else")
    assert created["tenant_id"] == a.tenant_id  # the body tenant_id is ignored
    assert set(created) == {"id", "tenant_id", "name", "description", "metadata", "created_at", "updated_at"}
    assert created["metadata"] == {"k": [1, 2]}
    assert a.client.get(f"/api/projects/{created['id']}").json() == created

    listed = a.client.get("/api/projects")
    assert listed.status_code == 200
    assert listed.json() == {"projects": [created]}

    updated = a.client.put(
        f"/api/projects/{created['id']}",
        json={"name": "renamed", "metadata": {}, "tenant_id": "someone-else"},
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "renamed"
    assert updated.json()["description"] == "first"
    assert updated.json()["tenant_id"] == a.tenant_id
    assert a.client.get("/api/projects").json()["projects"][0]["name"] == "renamed"  # cache invalidated

    assert a.client.delete(f"/api/projects/{created['id']}").status_code == 204
    gone = a.client.get(f"/api/projects/{created['id']}")
    assert gone.status_code == 404
    assert a.client.get("/api/projects").json() == {"projects": []}


def test_foreign_project_is_denied_and_left_unchanged(a, b, code):
    project = a.project(description="secret")
    for method, kwargs in [("GET", {}), ("PUT", {"json": {"name": "pwned"}}), ("DELETE", {})]:
        response = b.client.request(method, f"/api/projects/{project['id']}", **kwargs)
        assert response.status_code == 403, (method, response.text)
        assert code(response) == "tenant_access_denied"
        assert project["name"] not in response.text
    assert a.client.get(f"/api/projects/{project['id']}").json() == project
    assert project["id"] not in b.client.get("/api/projects").text


def test_unknown_project_is_not_found(a, code):
    response = a.client.get("/api/projects/prj_doesnotexist")
    assert response.status_code == 404
    assert code(response) == "not_found"


def test_deployments(a, b, code):
    project = a.project()
    deployment = a.deploy(project["id"])
    assert set(deployment) == {"id", "tenant_id", "project_id", "provider", "status", "url", "created_at"}
    assert deployment["tenant_id"] == a.tenant_id
    assert deployment["project_id"] == project["id"]
    assert deployment["url"].startswith("https://")
    listed = a.client.get(f"/api/projects/{project['id']}/deployments")
    assert listed.json() == {"deployments": [deployment]}
    assert a.client.get(f"/api/deployments/{deployment['id']}").json() == deployment

    denied = [
        b.client.post("/api/deploy", json={"project_id": project["id"], "provider": "x"}),
        b.client.get(f"/api/projects/{project['id']}/deployments"),
        b.client.get(f"/api/deployments/{deployment['id']}"),
    ]
    for response in denied:
        assert response.status_code == 403, response.text
        assert code(response) == "tenant_access_denied"
    assert a.client.get(f"/api/projects/{project['id']}/deployments").json() == {"deployments": [deployment]}
    failed = [(e["action"], e["resource_id"]) for e in b.logs() if not e["success"]]
    assert failed == [("read", deployment["id"]), ("list", project["id"]), ("deploy", project["id"])]


def test_files(a, b, code):
    project = a.project()
    meta = a.file(project["id"], "src/index.html", "<h1>hello é</h1>")
    assert set(meta) == {"id", "tenant_id", "project_id", "file_path", "size", "hash", "created_at"}
    data = "<h1>hello é</h1>".encode()
    assert (meta["tenant_id"], meta["size"], meta["hash"]) == (
        a.tenant_id,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    read = a.client.get(f"/api/projects/{project['id']}/files/src/index.html")
    assert read.status_code == 200
    assert read.headers["content-type"].startswith("text/plain")
    assert read.text == "<h1>hello é</h1>"

    replaced = a.file(project["id"], "src/index.html", "v2")
    assert replaced["id"] == meta["id"] and replaced["size"] == 2
    assert a.client.get(f"/api/projects/{project['id']}/files/src/index.html").text == "v2"
    assert a.client.get(f"/api/projects/{project['id']}/files").json() == {"files": [replaced]}

    denied = [
        b.client.post(
            f"/api/projects/{project['id']}/files", json={"path": "src/index.html", "content": "evil"}
        ),
        b.client.get(f"/api/projects/{project['id']}/files"),
        b.client.get(f"/api/projects/{project['id']}/files/src/index.html"),
    ]
    for response in denied:
        assert response.status_code == 403, response.text
        assert code(response) == "tenant_access_denied"
        assert "v2" not in response.text
    assert a.client.get(f"/api/projects/{project['id']}/files/src/index.html").text == "v2"
    missing = a.client.get(f"/api/projects/{project['id']}/files/nope.txt")
    assert missing.status_code == 404 and code(missing) == "not_found"


def test_search_is_scoped_to_the_caller(a, b):
    shared = "sharedword" + a.tenant_id.replace("-", "")
    a_mark, b_mark = "amark" + a.tenant_id.replace("-", ""), "bmark" + b.tenant_id.replace("-", "")
    pa = a.project(name=f"{shared} {a_mark}")
    pb = b.project(name=f"{shared} {b_mark}", description="plain")
    a.file(pa["id"], "docs/readme.md", f"the {shared} text of a")
    results_a = a.client.get("/api/search", params={"q": shared}).json()["results"]
    assert {r["project_id"] for r in results_a} == {pa["id"]}
    assert {r.get("file_path") for r in results_a} == {None, "docs/readme.md"}
    assert all(shared in r["snippet"] for r in results_a)
    results_b = b.client.get("/api/search", params={"q": shared}).json()["results"]
    assert [r["project_id"] for r in results_b] == [pb["id"]]
    assert b.client.get("/api/search", params={"q": a_mark}).json() == {"results": []}
    # the response cache is per tenant and dropped on writes
    b.file(pb["id"], "x.txt", a_mark)
    assert [
        r.get("file_path") for r in b.client.get("/api/search", params={"q": a_mark}).json()["results"]
    ] == ["x.txt"]


def test_download_own_keys_only(a, b, code):
    project = a.project()
    a.file(project["id"], "a/b.txt", "raw content")
    key = f"{a.tenant_id}:{project['id']}:a/b.txt"
    own = a.client.get(f"/api/download/{key}")
    assert own.status_code == 200 and own.content == b"raw content"
    foreign = b.client.get(f"/api/download/{key}")
    assert foreign.status_code == 403 and code(foreign) == "tenant_access_denied"
    assert "raw content" not in foreign.text
    prefixed_trick = b.client.get(f"/api/download/{b.tenant_id}:../{key}")
    assert prefixed_trick.status_code == 404
    missing = a.client.get(f"/api/download/{a.tenant_id}:{project['id']}:nope")
    assert missing.status_code == 404 and code(missing) == "not_found"


def test_access_logs_are_own_and_record_denials(a, b):
    project = a.project()
    assert b.client.get(f"/api/projects/{project['id']}").status_code == 403
    a.client.get(f"/api/projects/{project['id']}")
    a_entries = a.logs()
    assert {e["tenant_id"] for e in a_entries} == {a.tenant_id}
    assert set(a_entries[0]) == {
        "id",
        "tenant_id",
        "resource_id",
        "resource_type",
        "action",
        "success",
        "timestamp",
    }
    assert [(e["action"], e["resource_id"], e["success"]) for e in a_entries[:2]] == [
        ("read", project["id"], True),
        ("create", project["id"], True),
    ]
    assert [e["timestamp"] for e in a_entries] == sorted((e["timestamp"] for e in a_entries), reverse=True)
    b_entries = b.logs()
    assert {e["tenant_id"] for e in b_entries} == {b.tenant_id}
    assert (project["id"], "read", False) in {
        (e["resource_id"], e["action"], e["success"]) for e in b_entries
    }


def test_no_identity(target, a, code):
    own = a.project()
    response = target.anon.get("/api/projects")
    if target.config.strict:
        assert response.status_code == 401 and code(response) == "tenant_required"
        assert target.anon.post("/api/projects", json={"name": "x"}).status_code == 401
        assert target.anon.get(f"/api/projects/{own['id']}").status_code == 401
        return
    assert response.status_code == 200
    assert own["id"] not in response.text
    created = target.anon.post("/api/projects", json={"name": "anon project"})
    assert created.status_code == 201 and created.json()["tenant_id"] == "default"
    foreign = target.anon.get(f"/api/projects/{own['id']}")
    assert foreign.status_code == 403 and code(foreign) == "tenant_access_denied"
    assert target.anon.delete(f"/api/projects/{created.json()['id']}").status_code == 204


INVALID_IDS = {
    "upper": "AB",
    "short": "x",
    "leading-dash": "-abc",
    "too-long": "a" * 65,
    "underscore": "abc_def",
    "sql": "' OR '1'='1",
    "percent": "t%",
    "star": "*",
    "lookalike": "ａbc",
    "empty": "",
}


@pytest.mark.parametrize("value", INVALID_IDS.values(), ids=INVALID_IDS.keys())
def test_invalid_tenant_header_is_400(target, value, code):
    headers = {"X-Tenant-ID": value.encode("utf-8")}
    response = target.anon.get("/api/projects", headers=headers)
    assert response.status_code == 400 and code(response) == "invalid_tenant"


def test_query_tenant_never_changes_identity(a, b):
    project = a.project()
    assert (
        b.client.get(f"/api/projects/{project['id']}", params={"tenant_id": a.tenant_id}).status_code == 403
    )
    assert project["id"] not in b.client.get("/api/projects", params={"tenant_id": a.tenant_id}).text


def test_token_mode_identity(targets, code):
    target = targets(auth="token", strict=True)
    a, b = target.tenant("a"), target.tenant("b")
    project = b.project()
    for header in ("X-Tenant-ID", "X-Bolt-Tenant-ID", "x-tenant-id"):
        spoofed = a.client.get(f"/api/projects/{project['id']}", headers={header: b.tenant_id})
        assert spoofed.status_code == 403 and code(spoofed) == "tenant_mismatch"
        assert project["name"] not in spoofed.text
    assert a.client.get("/api/projects", headers={"X-Tenant-ID": a.tenant_id}).status_code == 200
    assert {(e["success"], e["resource_id"]) for e in a.logs()} >= {(False, project["id"])}
    for auth in ("Bearer nope", "Basic abc", "Bearer", f"Bearer {target.ref.admin_token}"):
        response = target.anon.get("/api/projects", headers={"Authorization": auth})
        assert response.status_code == 401 and code(response) == "unauthorized"
    bare_header = target.anon.get("/api/projects", headers={"X-Tenant-ID": b.tenant_id})
    assert bare_header.status_code == 401 and code(bare_header) == "tenant_required"
    lenient = targets(auth="token", strict=False)
    claimed = lenient.anon.get("/api/projects", headers={"X-Tenant-ID": "someone"})
    assert claimed.status_code == 403 and code(claimed) == "tenant_mismatch"


def test_header_mode_identity(targets, code):
    target = targets(auth="header", strict=True)
    a = target.tenant("a")
    project = a.project()
    self_asserted = target.anon.get(
        f"/api/projects/{project['id']}", headers={"X-Bolt-Tenant-ID": a.tenant_id}
    )
    assert self_asserted.status_code == 200  # identity is self-asserted in header mode
    unknown = target.anon.get("/api/projects", headers={"X-Tenant-ID": "never-provisioned"})
    assert unknown.status_code == 200 and unknown.json() == {"projects": []}
    both = target.anon.get(
        "/api/projects", headers={"X-Tenant-ID": a.tenant_id, "X-Bolt-Tenant-ID": "other-one"}
    )
    assert both.status_code == 403 and code(both) == "tenant_mismatch"
    assert (False, "list") in {(e["success"], e["action"]) for e in a.logs()}


def test_admin_endpoints(targets, code):
    target = targets(auth="token", strict=True)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": target.ref.admin_token}):
        response = target.anon.get("/admin/tenants", headers=headers)
        assert response.status_code == 401 and code(response) == "unauthorized"
    tenant = target.tenant("c")
    generated = target.admin.post("/admin/tenants", json={"name": "Generated"})
    assert generated.status_code == 201
    assert set(generated.json()) == {"tenant_id", "name", "api_key"}
    listed = target.admin.get("/admin/tenants").json()["tenants"]
    ids = {t["tenant_id"] for t in listed}
    assert {tenant.tenant_id, generated.json()["tenant_id"], "default"} <= ids
    assert all(set(t) == {"tenant_id", "name", "created_at"} for t in listed)
    duplicate = target.admin.post("/admin/tenants", json={"tenant_id": tenant.tenant_id, "name": "again"})
    assert duplicate.status_code == 400 and code(duplicate) == "invalid_request"
    bad_id = target.admin.post("/admin/tenants", json={"tenant_id": "Bad Id", "name": "x"})
    assert bad_id.status_code == 400 and code(bad_id) == "invalid_tenant"

    project = tenant.project()
    other = target.tenant("d")
    other.client.get(f"/api/projects/{project['id']}")
    logs = target.admin.get("/admin/access-logs", params={"tenant_id": other.tenant_id, "success": "false"})
    assert [(e["tenant_id"], e["resource_id"], e["success"]) for e in logs.json()["entries"]] == [
        (other.tenant_id, project["id"], False)
    ]
    since = logs.json()["entries"][0]["timestamp"]
    later = target.admin.get("/admin/access-logs", params={"since": since}).json()["entries"]
    assert later and all(e["timestamp"] >= since for e in later)
    assert target.admin.get("/admin/access-logs", params={"since": "yesterday"}).status_code == 400

    assert target.admin.delete(f"/admin/tenants/{other.tenant_id}").status_code == 204
    assert other.client.get("/api/projects").status_code == 401  # its key is gone with it
    missing = target.admin.delete("/admin/tenants/never-was-here")
    assert missing.status_code == 404 and code(missing) == "not_found"
