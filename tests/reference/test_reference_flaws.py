"""Each flaw switch produces exactly the misbehaviour it names, and the correct target does not.

A scenario runs the same requests against a target and answers "did the named misbehaviour happen?";
it must answer True on the target with that one flaw and False on the correct target of the same mode.
Then every scenario runs against every other flaw, to show a flaw changes only what it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantcheck.reference import FLAWS


def list_unfiltered(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    return project["id"] in b.client.get("/api/projects").text


def get_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    response = b.client.get(f"/api/projects/{project['id']}")
    return response.status_code == 200 and project["name"] in response.text


def update_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    b.client.put(f"/api/projects/{project['id']}", json={"name": "changed-by-b"})
    return a.client.get(f"/api/projects/{project['id']}").json().get("name") == "changed-by-b"


def delete_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    b.client.delete(f"/api/projects/{project['id']}")
    return a.client.get(f"/api/projects/{project['id']}").status_code == 404


def deployments_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    deployment = a.deploy(project["id"])
    return deployment["id"] in b.client.get(f"/api/projects/{project['id']}/deployments").text


def deploy_foreign(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    response = b.client.post("/api/deploy", json={"project_id": project["id"], "provider": "evil"})
    return (
        response.status_code == 201
        and "evil" in a.client.get(f"/api/projects/{project['id']}/deployments").text
    )


def file_read_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    a.file(project["id"], "secret.txt", "secret-of-a")
    return "secret-of-a" in b.client.get(f"/api/projects/{project['id']}/files/secret.txt").text


def file_write_unchecked(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    a.file(project["id"], "index.html", "original")
    b.client.post(f"/api/projects/{project['id']}/files", json={"path": "index.html", "content": "defaced"})
    return a.client.get(f"/api/projects/{project['id']}/files/index.html").text == "defaced"


def search_unscoped(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    return project["id"] in b.client.get("/api/search", params={"q": project["name"]}).text


def tenant_not_persisted(target) -> bool:
    a = target.tenant("a")
    project = a.project()
    stored = target.sql("SELECT tenant_id FROM projects WHERE id = ?", (project["id"],))
    assert stored == [(project["tenant_id"],)]  # the response reflects the stored row
    return project["tenant_id"] == target.config.default_tenant


def denials_not_logged(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    deployment = a.deploy(a.project()["id"])
    assert b.client.get(f"/api/deployments/{deployment['id']}").status_code in (403, 404)
    b.client.get("/api/projects")
    entries = b.logs()
    assert ("list", True) in {(e["action"], e["success"]) for e in entries}  # successes are still logged
    return not any(e["resource_id"] == deployment["id"] and not e["success"] for e in entries)


def kv_unprefixed(target) -> bool:
    a = target.tenant("a")
    project = a.project()
    a.file(project["id"], "k.txt", "content")
    assert a.client.get(f"/api/projects/{project['id']}/files/k.txt").text == "content"  # owner reads work
    download = a.client.get(f"/api/download/{a.tenant_id}:{project['id']}:k.txt")
    keys = target.kv_keys("FILES", f"{project['id']}:")
    assert (download.status_code == 404) == bool(keys)
    return keys == [f"{project['id']}:k.txt"]


def default_sees_all(target) -> bool:
    a = target.tenant("a")
    deployment = a.deploy(a.project()["id"])
    return target.anon.get(f"/api/deployments/{deployment['id']}").status_code == 200


def default_in_lists(target) -> bool:
    created = target.anon.post("/api/projects", json={"name": "made without identity"})
    assert created.status_code == 201, created.text
    return created.json()["id"] in target.tenant("a").client.get("/api/projects").text


def strict_ignored(target) -> bool:
    response = target.anon.get("/api/projects")
    return response.status_code == 200


def header_overrides_token(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = b.project()
    return project["id"] in a.client.get("/api/projects", headers={"X-Tenant-ID": b.tenant_id}).text


def body_tenant_honored(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project(tenant_id=b.tenant_id)
    update = a.client.put(f"/api/projects/{project['id']}", json={"tenant_id": a.tenant_id, "name": "n"})
    assert update.status_code in (200, 403, 404)
    return project["tenant_id"] == b.tenant_id and project["id"] in b.client.get("/api/projects").text


def download_any_key(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    a.file(project["id"], "d.txt", "downloadable")
    return b.client.get(f"/api/download/{a.tenant_id}:{project['id']}:d.txt").text == "downloadable"


def error_leaks_data(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    project = a.project()
    deployment = a.deploy(project["id"])
    response = b.client.get(f"/api/deployments/{deployment['id']}")
    assert response.status_code in (403, 404)
    return project["name"] in response.text


def audit_unscoped(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    b.project()
    return b.tenant_id in {e["tenant_id"] for e in a.logs()}


def cache_key_shared(target) -> bool:
    a, b = target.tenant("a"), target.tenant("b")
    own = b.project()
    project = a.project()
    a.client.get("/api/projects")  # warm the cache
    seen = b.client.get("/api/projects").text
    return project["id"] in seen and own["id"] not in seen  # A's cached answer, not an unfiltered one


def request_state_shared(target) -> bool:
    tenants = [target.tenant(f"c{i}") for i in range(4)]
    calls = [(t, f"/api/projects/{t.project()['id']}") for t in tenants]
    for tenant, path in calls:
        assert tenant.client.get(path).status_code == 200  # each reads its own project, one at a time
    responses = target.burst(calls * 6)
    return any(response.status_code != 200 for response in responses)  # read as another tenant: denied


def list_state_shared(target) -> bool:
    tenants = [target.tenant(f"l{i}") for i in range(4)]
    owned = {tenant.tenant_id: tenant.project()["id"] for tenant in tenants}
    by_id = target.burst([(tenant, f"/api/projects/{owned[tenant.tenant_id]}") for tenant in tenants] * 6)
    assert all(response.status_code == 200 for response in by_id)  # reads by id stay correct
    calls = [(tenant, "/api/projects") for tenant in tenants] * 6
    lists = target.burst(calls)
    # A list answered as another tenant holds that tenant's project, not the requester's.
    return any([p["id"] for p in response.json()["projects"]] != [owned[tenant.tenant_id]]
               for (tenant, _), response in zip(calls, lists, strict=True))


def restore_drops_owner(target) -> bool:
    a = target.tenant("a")
    project = a.project()
    restore(target, backup(target))
    return a.client.get(f"/api/projects/{project['id']}").status_code != 200


def restore_drops_files(target) -> bool:
    a = target.tenant("a")
    project = a.project()
    a.file(project["id"], "f.txt", "kept")
    backup_id = backup(target)
    a.file(project["id"], "f.txt", "after backup")
    restore(target, backup_id)
    content = a.client.get(f"/api/projects/{project['id']}/files/f.txt")
    assert content.status_code in (200, 403, 404)
    return content.text == "after backup"


def backup(target) -> str:
    response = target.admin.post("/admin/backup")
    assert response.status_code == 201, response.text
    return str(response.json()["backup_id"])


def restore(target, backup_id: str) -> None:
    response = target.admin.post("/admin/restore", json={"backup_id": backup_id})
    assert response.status_code == 200, response.text


SCENARIOS: dict[str, tuple[Callable[[Any], bool], dict[str, Any]]] = {
    "list-unfiltered": (list_unfiltered, {}),
    "get-unchecked": (get_unchecked, {}),
    "update-unchecked": (update_unchecked, {}),
    "delete-unchecked": (delete_unchecked, {}),
    "deployments-unchecked": (deployments_unchecked, {}),
    "deploy-foreign": (deploy_foreign, {}),
    "file-read-unchecked": (file_read_unchecked, {}),
    "file-write-unchecked": (file_write_unchecked, {}),
    "search-unscoped": (search_unscoped, {}),
    "tenant-not-persisted": (tenant_not_persisted, {}),
    "denials-not-logged": (denials_not_logged, {}),
    "kv-unprefixed": (kv_unprefixed, {}),
    "default-sees-all": (default_sees_all, {"strict": False}),
    "default-in-lists": (default_in_lists, {"strict": False}),
    "strict-ignored": (strict_ignored, {}),
    "header-overrides-token": (header_overrides_token, {}),
    "body-tenant-honored": (body_tenant_honored, {}),
    "download-any-key": (download_any_key, {}),
    "error-leaks-data": (error_leaks_data, {}),
    "audit-unscoped": (audit_unscoped, {}),
    "cache-key-shared": (cache_key_shared, {}),
    "request-state-shared": (request_state_shared, {}),
    "list-state-shared": (list_state_shared, {}),
    "restore-drops-owner": (restore_drops_owner, {}),
    "restore-drops-files": (restore_drops_files, {}),
}


def test_every_flaw_has_a_scenario():
    assert set(SCENARIOS) == set(FLAWS)
    assert len(FLAWS) == 25


@pytest.mark.parametrize("flawed", [False, True], ids=["correct", "flawed"])
@pytest.mark.parametrize("flaw", SCENARIOS)
def test_flaw_produces_its_misbehaviour(targets, flaw, flawed):
    scenario, base = SCENARIOS[flaw]
    target = targets(**base, flaws={flaw} if flawed else set())
    assert scenario(target) is flawed


# (flaw switched on, scenario it trips) where the flaw breaks exactly what the scenario observes.
EXPECTED_OVERLAP = {
    ("tenant-not-persisted", "restore-drops-owner"),  # rows never had their owner, restore or not
    ("list-unfiltered", "default-in-lists"),  # an unfiltered list shows the default tenant's projects too
    ("list-unfiltered", "list-state-shared"),  # every list holds every tenant's projects
    ("request-state-shared", "list-state-shared"),  # shares the state of every request, lists included
    ("cache-key-shared", "list-state-shared"),  # a list cached for one tenant is served to the next
}
# Flaws under which other scenarios cannot even set up (their positive controls fail): every project
# belongs to the default tenant, so its creator is denied its own project.
BREAKS_SETUP = {"tenant-not-persisted"}


@pytest.mark.parametrize("flaw", SCENARIOS)
def test_flaw_changes_only_what_it_names(targets, flaw):
    tripped = {}
    for other, (scenario, base) in SCENARIOS.items():
        if other == flaw or (flaw, other) in EXPECTED_OVERLAP:
            continue
        try:
            tripped[other] = scenario(targets(**base, flaws={flaw}))
        except AssertionError as exc:
            tripped[other] = "setup failed" if flaw in BREAKS_SETUP else f"error: {exc!r}"[:300]
    assert {name: result for name, result in tripped.items() if result not in (False, "setup failed")} == {}
