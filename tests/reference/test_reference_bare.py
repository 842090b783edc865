"""The `bare` shape: the same API with lists as bare JSON arrays and cross-tenant denials as 404."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def target(targets):
    return targets(shape="bare")


def test_lists_are_bare_arrays(target):
    a = target.tenant("a")
    project = a.project()
    deployment = a.deploy(project["id"])
    meta = a.file(project["id"], "f.txt", "bareword" + a.tenant_id.replace("-", ""))
    assert a.client.get("/api/projects").json() == [project]
    assert a.client.get(f"/api/projects/{project['id']}/deployments").json() == [deployment]
    assert a.client.get(f"/api/projects/{project['id']}/files").json() == [meta]
    results = a.client.get("/api/search", params={"q": "bareword" + a.tenant_id.replace("-", "")}).json()
    assert [r["project_id"] for r in results] == [project["id"]]
    logs = a.client.get("/api/access-logs").json()
    assert isinstance(logs, list) and logs[0]["tenant_id"] == a.tenant_id
    tenants = target.admin.get("/admin/tenants").json()
    assert isinstance(tenants, list) and a.tenant_id in {t["tenant_id"] for t in tenants}
    admin_logs = target.admin.get("/admin/access-logs", params={"tenant_id": a.tenant_id}).json()
    assert isinstance(admin_logs, list) and len(admin_logs) == len(logs) + 1


def test_denials_are_404_not_found(target, code):
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    deployment = a.deploy(project["id"])
    a.file(project["id"], "f.txt", "x")
    for method, path in [
        ("GET", f"/api/projects/{project['id']}"),
        ("PUT", f"/api/projects/{project['id']}"),
        ("DELETE", f"/api/projects/{project['id']}"),
        ("GET", f"/api/projects/{project['id']}/deployments"),
        ("GET", f"/api/deployments/{deployment['id']}"),
        ("GET", f"/api/projects/{project['id']}/files/f.txt"),
        ("GET", f"/api/download/{a.tenant_id}:{project['id']}:f.txt"),
    ]:
        response = b.client.request(method, path, json={"name": "x"} if method == "PUT" else None)
        assert response.status_code == 404, (method, path, response.text)
        assert code(response) == "not_found"
        assert project["name"] not in response.text
    assert a.client.get(f"/api/projects/{project['id']}").json() == project
    assert [(e["resource_id"], e["success"]) for e in b.logs()][-1] == (project["id"], False)


def test_bare_with_error_leaks_still_leaks(targets):
    target = targets(shape="bare", flaws={"error-leaks-data"})
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    response = b.client.get(f"/api/projects/{project['id']}")
    assert response.status_code == 404 and project["name"] in response.text
