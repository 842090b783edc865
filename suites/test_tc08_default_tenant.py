"""TC-08 default tenant: a request without identity is refused (strict) or acts as the default tenant
and never sees another tenant's data (lenient)."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import ANONYMOUS, World
from tenantcheck.inspectors import FILES, StorageInspector
from tenantcheck.inspectors.queries import rows_of_projects
from tenantcheck.oracles import control, denied, items_of, ok, owner_field_is, victims_hold_data

OPERATIONS = ["projects.list", "projects.get", "projects.create", "files.read"]


@pytest.mark.case("TC-08")
@pytest.mark.over(operations=OPERATIONS, pairs="anonymous")
def test_request_without_identity(world: World, check: Check, subject: Subject) -> None:
    victim, operation = subject.victim, subject.operation
    assert victim and operation
    op = world.operation(operation)
    project = world.seeded_project(victim)
    values = {**world.values(ANONYMOUS), "id": project.id, "project_id": project.id}
    if operation == "files.read":
        file = world.seeded_file(victim)
        values["file_path"] = file.path
        control(world, victim, operation, {"project_id": project.id, "file_path": file.path},
                expect=world.markers[victim])
    elif operation == "projects.get":
        control(world, victim, operation, {"id": project.id}, expect=world.markers[victim])
    with world.gate.shared(ANONYMOUS):  # registered before a list of the anonymous sender is compared
        reply = world.actor(ANONYMOUS).call(op, values)
        created = world.adopt(ANONYMOUS, reply)[1] if operation == "projects.create" and ok(reply) else None
    if world.settings.env.target.strict:
        if reply.status in (401, 403, *world.settings.deny_statuses):
            check.rests_on("refusal", f"{operation} without identity was refused with {reply.status}")
            return
        if reply.unavailable:
            check.inconclusive(f"the target answered {reply.status}")
        check.fail(oracle="denial", severity="high", replies=[reply],
                   title=f"a strict environment answered {reply.status} to {operation} without identity",
                   detail="strict tenant validation must refuse it with 401 tenant_required")
    if operation in ("projects.get", "files.read"):
        denied(world, check, reply, what="a read without identity")
    elif operation == "projects.list":
        victims_hold_data(world, check, [victim])
        for item in items_of(check, reply, world, operation):
            owner_field_is(world, check, reply, item, ANONYMOUS, what="a project listed without identity",
                           resource="projects")
    else:
        if created is None:
            check.inconclusive(f"a create without identity answered {reply.status}")
        owner_field_is(world, check, reply, created, ANONYMOUS, what="a project created without identity",
                       resource="projects")
        check.rests_on("data", "the project created without identity was read from the create's answer")


@pytest.mark.case("TC-08")
@pytest.mark.over(operations=["projects.create", "files.write"], variants=["storage"], pairs="none")
@pytest.mark.needs("inspector", "projects.create", "files.write")
def test_default_tenant_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    if world.settings.env.target.strict:
        check.not_applicable("a strict environment refuses requests without identity: nothing is stored for "
                             "the default tenant")
    default = world.tenant_id(ANONYMOUS)
    project = world.new_project(ANONYMOUS)
    if subject.operation == "projects.create":
        rows = rows_of_projects(inspector, "projects", [project.id])
        found = [row.get("tenant_id") for row in rows]
        where = f"projects.tenant_id of {project.id}"
    else:
        file = world.new_file(ANONYMOUS, project)
        rows = rows_of_projects(inspector, "file_metadata", [project.id])
        found = [row.get("tenant_id") for row in rows if row.get("file_path") == file.path]
        keys = inspector.kv_keys(FILES, prefix=f"{default}:{project.id}:")
        if found and f"{default}:{project.id}:{file.path}" not in keys:
            check.fail(oracle="storage", severity="high",
                       title="a file stored without identity is not at the default tenant's KV key",
                       detail=f"expected FILES key {default}:{project.id}:{file.path}; keys with that prefix: "
                       f"{keys[:5]} ({inspector.describe()})")
        where = f"file_metadata.tenant_id of {file.path}"
    if not found:
        check.inconclusive(f"{where} is not in {inspector.describe()}: does [inspector] point at the target's "
                           "database?")
    if found != [default]:
        check.fail(oracle="storage", severity="high",
                   title=f"an object created without identity is stored with tenant id {found[0]!r}",
                   detail=f"{where} is {found}, expected the default tenant {default!r}")
    check.rests_on("data", f"{where} read from {inspector.describe()}")
