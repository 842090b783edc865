"""The reference target's OpenAPI document: valid OpenAPI 3.1, exactly the app's routes, served publicly at
`/openapi.json`, and true to what the target answers (security, statuses, bodies, media types)."""

from __future__ import annotations

import re

import httpx
import pytest

from tenantcheck.reference import ReferenceConfig, running_reference
from tenantcheck.reference.app import routes
from tenantcheck.reference.openapi import openapi_document
from tests.openapi_checks import assert_valid_and_exactly, check_answer, documented

UNDOCUMENTED = {"/openapi.json", "/admin/chaos"}


def route_table():
    """(METHOD, path template) of every route of the app, `{file_path:path}` written as `{file_path}`."""
    return {
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in routes()
        if route.path not in UNDOCUMENTED
        for method in route.methods - {"HEAD"}
    }



@pytest.fixture(scope="module")
def reference():
    """A correct reference target in its default configuration (strict, token identity)."""
    with running_reference(ReferenceConfig()) as ref, httpx.Client(base_url=ref.base_url, timeout=10) as http:
        yield http


def test_the_document_is_valid_openapi_3_1_and_describes_exactly_the_routes():
    assert_valid_and_exactly(openapi_document(), route_table())


def test_it_is_served_without_credentials(reference):
    response = reference.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi_document()


def test_admin_operations_need_the_admin_token_and_the_rest_a_tenant():
    document = openapi_document()
    assert document["security"][0] == {"bearerAuth": []}
    for method, path in documented(document):
        security = document["paths"][path][method.lower()].get("security")
        expected = [{"adminBearer": []}] if path.startswith("/admin/") else [] if path == "/api/health" else None
        assert security == expected, (method, path)


def test_only_the_public_operations_answer_without_identity(reference):
    # Strict mode: a request without identity is served exactly where the document needs no security.
    document = openapi_document()
    for method, path in documented(document):
        public = document["paths"][path][method.lower()].get("security", document["security"]) == []
        response = reference.request(method, re.sub(r"\{\w+\}", "x", path))
        assert (response.status_code != 401) == public, (method, path, response.text)
        check_answer(document, path, response)


def test_the_answers_are_the_documented_ones(targets):
    # Given the owner's objects, a foreign tenant and the admin
    document = openapi_document()
    target = targets()
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project(description="openapi")
    path = "docs/readme.txt"
    a.file(project["id"], path, "hello")
    ids = {
        "project_id": project["id"],
        "deployment_id": a.deploy(project["id"])["id"],
        "file_path": path,
        "key": f"{a.tenant_id}:{project['id']}:{path}",
        "tenant_id": b.tenant_id,
    }
    project_path = "/api/projects/{project_id}"
    calls = [
        (a.client, "POST", "/api/projects", {"json": {"name": "second", "metadata": {"k": 1}}}),
        (a.client, "GET", "/api/projects", {}),
        (a.client, "GET", project_path, {}),
        (a.client, "PUT", project_path, {"json": {"description": None}}),
        (b.client, "GET", project_path, {}),
        (a.client, "POST", "/api/deploy", {"json": {"project_id": project["id"], "provider": "pages"}}),
        (a.client, "GET", project_path + "/deployments", {}),
        (a.client, "GET", "/api/deployments/{deployment_id}", {}),
        (a.client, "POST", project_path + "/files", {"json": {"path": "b.txt", "content": "b"}}),
        (a.client, "GET", project_path + "/files", {}),
        (a.client, "GET", project_path + "/files/{file_path}", {}),
        (a.client, "GET", "/api/download/{key}", {}),
        (a.client, "GET", "/api/search", {"params": {"q": "hello"}}),
        (a.client, "GET", "/api/search", {}),
        (a.client, "GET", "/api/access-logs", {"params": {"limit": 5}}),
        (target.admin, "POST", "/admin/tenants", {"json": {"name": "Generated"}}),
        (target.admin, "GET", "/admin/tenants", {}),
        (target.admin, "GET", "/admin/access-logs", {"params": {"tenant_id": a.tenant_id, "success": "false"}}),
        (a.client, "DELETE", project_path, {}),
        (a.client, "GET", project_path, {}),
        (target.admin, "DELETE", "/admin/tenants/{tenant_id}", {}),
    ]
    # When each operation is called, then its answer is one the document declares
    for client, method, template, kwargs in calls:
        check_answer(document, template, client.request(method, template.format(**ids), **kwargs))


def test_backup_and_restore_answers_are_documented(fresh_target):
    document = openapi_document()
    target = fresh_target()
    backup = target.admin.post("/admin/backup")
    check_answer(document, "/admin/backup", backup)
    for body in ({"backup_id": backup.json()["backup_id"]}, {"backup_id": "missing"}, {}):
        check_answer(document, "/admin/restore", target.admin.post("/admin/restore", json=body))
