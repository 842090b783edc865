"""Concurrent isolation: 8 tenants x 50 requests at once, each sees only its own data on the correct target;
the same burst against `request-state-shared` shows requests acting as each other's tenant."""

from __future__ import annotations

import pytest

TENANTS = 8
PER_TENANT = 50


def run_burst(target):
    """Seed 8 tenants (a project and a file each, named with a marker), then send 8 x 50 mixed GETs at once.
    Returns (calls, responses, markers)."""
    tenants = [target.tenant(f"c{i}") for i in range(TENANTS)]
    markers, projects = {}, {}
    for tenant in tenants:
        markers[tenant.tenant_id] = "cc" + tenant.tenant_id.replace("-", "")
        project = tenant.project(name=markers[tenant.tenant_id])
        tenant.file(project["id"], "m.txt", markers[tenant.tenant_id])
        projects[tenant.tenant_id] = project["id"]
    paths = lambda t: [  # noqa: E731
        "/api/projects",
        f"/api/projects/{projects[t.tenant_id]}",
        f"/api/search?q={markers[t.tenant_id]}",
        f"/api/projects/{projects[t.tenant_id]}/files/m.txt",
        "/api/access-logs",
    ]
    calls = [(t, paths(t)[i % 5]) for i in range(PER_TENANT) for t in tenants]
    return calls, target.burst(calls), markers, projects


def wrong_answers(calls, responses, markers, projects):
    """Responses that are not exactly the caller's own data."""
    wrong = []
    for (tenant, path), response in zip(calls, responses, strict=True):
        own, others = markers[tenant.tenant_id], set(markers.values()) - {markers[tenant.tenant_id]}
        ok = response.status_code == 200 and not any(other in response.text for other in others)
        if ok and path == "/api/projects":
            ok = [p["id"] for p in response.json()["projects"]] == [projects[tenant.tenant_id]]
        elif ok and path.startswith("/api/search"):
            ok = {r["project_id"] for r in response.json()["results"]} == {projects[tenant.tenant_id]}
        elif ok and path.endswith("m.txt"):
            ok = response.text == own
        elif ok and path == "/api/access-logs":
            ok = {e["tenant_id"] for e in response.json()["entries"]} == {tenant.tenant_id}
        elif ok:
            ok = response.json()["tenant_id"] == tenant.tenant_id
        if not ok:
            wrong.append((tenant.tenant_id, path, response.status_code, response.text[:200]))
    return wrong


@pytest.mark.parametrize("auth", ["token", "header"])
def test_each_tenant_sees_only_its_own_data_under_load(targets, auth):
    calls, responses, markers, projects = run_burst(targets(auth=auth))
    assert len(responses) == TENANTS * PER_TENANT
    assert wrong_answers(calls, responses, markers, projects) == []


def test_shared_request_state_makes_tenants_cross(targets):
    calls, responses, markers, projects = run_burst(targets(flaws={"request-state-shared"}))
    wrong = wrong_answers(calls, responses, markers, projects)
    assert len(wrong) > PER_TENANT  # not a fluke: many requests acted as another tenant
