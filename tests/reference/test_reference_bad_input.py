"""Bad input never breaks the target: a 4xx in the error shape, never a 500, and nothing stored."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from starlette.routing import Route

from tenantcheck.reference import ReferenceConfig, create_app
from tenantcheck.reference.app import runtime_of, tenant_endpoint
from tenantcheck.reference.operations import OpResult


@pytest.fixture(scope="module")
def target(targets):
    return targets(auth="token", strict=True)


@pytest.fixture
def a(target):
    return target.tenant("a")


def snapshot(target, tenant):
    """Everything the tenant has, as rows and keys, to show that nothing was stored."""
    tables = {
        t: target.sql(f"SELECT * FROM {t} WHERE tenant_id = ? ORDER BY id", (tenant.tenant_id,))
        for t in ("projects", "deployments", "file_metadata", "search_index")
    }
    return tables, target.kv_keys("FILES", f"{tenant.tenant_id}:")


BAD_PROJECT_BODIES = {
    "malformed": b'{"name": ',
    "not-json": b"name=x",
    "empty": b"",
    "array": b'["name"]',
    "string": b'"name"',
    "null": b"null",
    "number": b"42",
    "nan": b'{"name": NaN}',
    "bad-utf8": b'{"name": "\xff\xfe"}',
    "lone-surrogate": b'{"name": "\\ud800"}',
    "deep": b'{"name": "x", "metadata": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}",
    "very-deep": b"[" * 100_000 + b"]" * 100_000,
    "huge-int": b'{"name": "x", "metadata": {"n": ' + b"9" * 5000 + b"}}",
    "missing-name": b'{"description": "x"}',
    "empty-name": b'{"name": ""}',
    "blank-name": b'{"name": "   "}',
    "null-name": b'{"name": null}',
    "number-name": b'{"name": 5}',
    "list-name": b'{"name": ["x"]}',
    "long-name": b'{"name": "' + b"x" * 201 + b'"}',
    "metadata-list": b'{"name": "x", "metadata": [1]}',
    "metadata-string": b'{"name": "x", "metadata": "{}"}',
    "description-number": b'{"name": "x", "description": 1}',
}


@pytest.mark.parametrize("body", BAD_PROJECT_BODIES.values(), ids=BAD_PROJECT_BODIES.keys())
def test_bad_project_bodies(target, a, code, body):
    before = snapshot(target, a)
    response = a.client.post("/api/projects", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert code(response) == "invalid_request"
    assert snapshot(target, a) == before
    assert a.logs()[0]["success"] is False  # logged as a failed request of the caller


@pytest.mark.parametrize(
    "body",
    [b'{"name": 1}', b"[]", b"{", b'{"metadata": 3}', b'{"description": []}'],
    ids=["number-name", "array", "malformed", "metadata", "description"],
)
def test_bad_update_bodies_change_nothing(a, code, body):
    project = a.project()
    response = a.client.put(f"/api/projects/{project['id']}", content=body)
    assert response.status_code == 400 and code(response) == "invalid_request"
    assert a.client.get(f"/api/projects/{project['id']}").json() == project


BAD_PATHS = {
    "dotdot": "../x",
    "inner-dotdot": "a/../../b",
    "dot": "./a",
    "leading-slash": "/etc/passwd",
    "backslash": "a\\b",
    "nul": "a\x00b",
    "empty": "",
    "empty-segment": "a//b",
    "trailing-slash": "a/",
    "too-long": "x" * 600,
}


@pytest.mark.parametrize("path", BAD_PATHS.values(), ids=BAD_PATHS.keys())
def test_bad_file_paths(target, a, code, path):
    project = a.project()
    before = snapshot(target, a)
    response = a.client.post(f"/api/projects/{project['id']}/files", json={"path": path, "content": "x"})
    assert response.status_code == 400, response.text
    assert code(response) == "invalid_request"
    assert snapshot(target, a) == before


@pytest.mark.parametrize(
    "url_path",
    ["..%2F..%2Fx", "a/%2E%2E/b", "%2Fetc", "a%5Cb", "a%00b"],
    ids=["dotdot", "inner-dotdot", "leading-slash", "backslash", "nul"],
)
def test_bad_file_paths_on_read(a, code, url_path):
    project = a.project()
    response = a.client.get(f"/api/projects/{project['id']}/files/{url_path}")
    assert response.status_code == 400, response.text
    assert code(response) == "invalid_request"


BAD_FILE_BODIES = {
    "no-path": {"content": "x"},
    "no-content": {"path": "a"},
    "number-content": {"path": "a", "content": 1},
    "null-content": {"path": "a", "content": None},
    "list-path": {"path": ["a"], "content": "x"},
}


@pytest.mark.parametrize("body", BAD_FILE_BODIES.values(), ids=BAD_FILE_BODIES.keys())
def test_bad_file_bodies(target, a, code, body):
    project = a.project()
    before = snapshot(target, a)
    response = a.client.post(f"/api/projects/{project['id']}/files", json=body)
    assert response.status_code == 400 and code(response) == "invalid_request"
    assert snapshot(target, a) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"project_id": 1, "provider": "x"},
        {"project_id": "p"},
        {"project_id": "p", "provider": ""},
        {"provider": "x"},
    ],
    ids=["empty", "number-id", "no-provider", "empty-provider", "no-project"],
)
def test_bad_deploy_bodies(target, a, code, body):
    before = snapshot(target, a)
    response = a.client.post("/api/deploy", json=body)
    assert response.status_code == 400 and code(response) == "invalid_request"
    assert snapshot(target, a) == before


def test_unknown_ids_are_404(a, code):
    for method, path, body in [
        ("GET", "/api/projects/nope", None),
        ("PUT", "/api/projects/nope", {"name": "x"}),
        ("DELETE", "/api/projects/nope", None),
        ("GET", "/api/projects/nope/deployments", None),
        ("GET", "/api/deployments/nope", None),
        ("POST", "/api/projects/nope/files", {"path": "a", "content": "b"}),
        ("GET", "/api/projects/nope/files", None),
        ("GET", "/api/projects/nope/files/a", None),
        ("POST", "/api/deploy", {"project_id": "nope", "provider": "x"}),
    ]:
        response = a.client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert code(response) == "not_found"


def test_oversized_bodies_are_413(target, a, code):
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = a.client.post("/api/projects", content=big)
    assert response.status_code == 413 and code(response) == "payload_too_large"

    def chunks():
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    chunked = a.client.post("/api/projects", content=chunks())
    assert chunked.status_code == 413 and code(chunked) == "payload_too_large"
    project = a.project()
    file_body = b'{"path": "big.txt", "content": "' + b"y" * (1024 * 1024 + 1) + b'"}'
    too_big_file = a.client.post(f"/api/projects/{project['id']}/files", content=file_body)
    assert too_big_file.status_code == 413
    assert a.client.get(f"/api/projects/{project['id']}/files").json() == {"files": []}
    admin_big = target.admin.post("/admin/tenants", content=big)
    assert admin_big.status_code == 413 and code(admin_big) == "payload_too_large"


def test_a_body_just_under_the_limit_is_accepted(a):
    project = a.project()
    content = "z" * (1024 * 1024 - 100)
    a.file(project["id"], "near-limit.txt", content)
    assert len(a.client.get(f"/api/projects/{project['id']}/files/near-limit.txt").text) == len(content)


def test_bad_queries_and_keys(target, a, code):
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "x" * 501}):
        response = a.client.get("/api/search", params=params)
        assert response.status_code == 400 and code(response) == "invalid_request"
    for query in ('"', "*", "%", "a OR b", "NEAR(", "'; DROP TABLE projects; --"):
        assert a.client.get("/api/search", params={"q": query}).status_code == 200
    long_key = a.client.get(f"/api/download/{a.tenant_id}:" + "k" * 600)
    assert long_key.status_code == 400 and code(long_key) == "invalid_request"
    assert a.client.get("/api/access-logs", params={"limit": "many"}).status_code == 400
    bad_restore = target.admin.post("/admin/restore", json={"backup_id": "../../etc"})
    assert bad_restore.status_code == 404 and code(bad_restore) == "not_found"
    assert target.admin.post("/admin/restore", json={"backup_id": 7}).status_code == 400
    assert target.admin.get("/admin/access-logs", params={"success": "maybe"}).status_code == 400


def test_unknown_routes_and_methods(target, code):
    missing = target.anon.get("/api/nothing-here")
    assert missing.status_code == 404 and code(missing) == "not_found"
    wrong_method = target.anon.request("PATCH", "/api/projects")
    assert wrong_method.status_code == 405 and code(wrong_method) == "method_not_allowed"


def test_an_unexpected_exception_still_answers_in_the_error_shape(tmp_path, code):
    app = create_app(ReferenceConfig(data_dir=tmp_path))
    try:
        app.state.reference.store.close()  # storage gone: every operation now fails unexpectedly
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

        async def call() -> list[httpx.Response]:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return [
                    await client.get("/api/projects", headers={"X-Tenant-ID": "abc"}),
                    await client.get("/admin/tenants", headers={"Authorization": "Bearer x"}),
                ]

        broken, admin = asyncio.run(call())
        assert broken.status_code == 500 and code(broken) == "internal_error"
        assert admin.status_code == 401
    finally:
        app.state.reference.close()


# A number too large for a float (1e999) parses to infinity: refused like the NaN/Infinity literals, wherever
# it sits. `%s` is the project name, which the tenant's list must not show afterwards.
NON_FINITE_PROJECT_BODIES = {
    "top-level": b'{"name": "%s", "n": 1e999}',
    "top-level-negative": b'{"name": "%s", "n": -1e999}',
    "metadata": b'{"name": "%s", "metadata": {"n": 1e999}}',
    "metadata-negative": b'{"name": "%s", "metadata": {"n": -1e999}}',
    "metadata-nested": b'{"name": "%s", "metadata": {"a": {"b": {"c": 1.5e400}}}}',
    "metadata-array": b'{"name": "%s", "metadata": {"xs": [1, 2.5, 1e999]}}',
    "top-level-array": b'{"name": "%s", "tags": [[-1e999]]}',
    "nan-literal": b'{"name": "%s", "metadata": {"n": NaN}}',
    "infinity-literal": b'{"name": "%s", "metadata": {"n": Infinity}}',
    "negative-infinity-literal": b'{"name": "%s", "metadata": {"xs": [-Infinity]}}',
}


@pytest.mark.parametrize("body", NON_FINITE_PROJECT_BODIES.values(), ids=NON_FINITE_PROJECT_BODIES.keys())
def test_non_finite_numbers_on_create_are_400_and_store_nothing(target, a, code, body):
    existing = a.project(metadata={"k": 1})
    listed = a.client.get("/api/projects")  # cached from here on
    assert listed.status_code == 200, listed.text
    before = snapshot(target, a)
    name = f"inf-{a.tenant_id}"
    response = a.client.post(
        "/api/projects", content=body % name.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert code(response) == "invalid_request"
    assert snapshot(target, a) == before
    assert a.logs()[0]["success"] is False  # logged as a failed request of the caller
    for _ in range(2):  # a fresh read, then a cached one
        after = a.client.get("/api/projects")
        assert after.status_code == 200, after.text
        assert after.json() == listed.json()
        assert name not in after.text
    assert a.client.get(f"/api/projects/{existing['id']}").json() == existing


NON_FINITE_UPDATE_BODIES = {
    "top-level": b'{"name": "renamed", "n": 1e999}',
    "metadata": b'{"metadata": {"n": 1e999}}',
    "metadata-negative": b'{"metadata": {"n": -1e999}}',
    "metadata-array": b'{"metadata": {"xs": [1, 1e999]}}',
    "top-level-array": b'{"description": "d", "tags": [-1e999]}',
    "nan-literal": b'{"metadata": {"n": NaN}}',
    "infinity-literal": b'{"name": "renamed", "metadata": {"n": Infinity}}',
}


@pytest.mark.parametrize("body", NON_FINITE_UPDATE_BODIES.values(), ids=NON_FINITE_UPDATE_BODIES.keys())
def test_non_finite_numbers_on_update_are_400_and_change_nothing(target, a, code, body):
    project = a.project(metadata={"k": 1})
    listed = a.client.get("/api/projects")  # cached from here on
    assert listed.status_code == 200, listed.text
    before = snapshot(target, a)
    response = a.client.put(
        f"/api/projects/{project['id']}", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert code(response) == "invalid_request"
    assert snapshot(target, a) == before
    reread = a.client.get(f"/api/projects/{project['id']}")
    assert reread.status_code == 200 and reread.json() == project
    for _ in range(2):  # a fresh read, then a cached one
        after = a.client.get("/api/projects")
        assert after.status_code == 200 and after.json() == listed.json()


def test_an_answer_that_cannot_be_serialized_rolls_its_write_back(tmp_path, code):
    # Defence in depth behind the validation: should a non-finite number ever reach an answer, the answer
    # is serialized before the commit, so the request is a 500 and what it wrote (row, cache) is rolled back.
    app = create_app(ReferenceConfig(data_dir=tmp_path, auth="header"))
    runtime = runtime_of(app)
    name = "unsendable-project"

    def unsendable(ops, store, caller, req):
        created = ops.create_project(store, caller, dataclasses.replace(req, body={"name": name}))
        ops.list_projects(store, caller, dataclasses.replace(req, url="/api/projects"))  # caches the list
        return OpResult(status=201, payload={**created.payload, "score": float("inf")})

    endpoint = tenant_endpoint(unsendable, "project", "create")
    app.router.routes.append(Route("/api/unsendable", endpoint, methods=["POST"]))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post("/api/unsendable", headers={"X-Tenant-ID": "abc"})

        response = asyncio.run(call())
        assert response.status_code == 500 and code(response) == "internal_error"

        def stored(store):
            rows = store.d1.execute("SELECT COUNT(*) FROM projects WHERE name = ?", (name,)).fetchone()[0]
            return rows, store.cache.get("abc:/api/projects")

        assert runtime.store.call(stored) == (0, None)
    finally:
        runtime.close()


def test_serialize_refuses_non_finite_numbers_and_keeps_the_bare_shape():
    result = OpResult(status=200, payload={"projects": [{"n": 1.5}]}, list_key="projects")
    result.serialize("bare")
    assert result.body == b'[{"n":1.5}]'
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError):
            OpResult(status=200, payload={"projects": [{"n": bad}]}).serialize("contract")
