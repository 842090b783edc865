"""TC-06 database verification: rows carry their creator's tenant id; denied attempts are logged.

What the API shows (owner fields of created objects, the access logs) is checked for every target; with an
inspector, the rows themselves: every row of the run's objects carries its creator's tenant id, and a denied
attempt is a tenant_access_logs row with success = 0. Without an inspector the storage part is
not-applicable (never passed).
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.families import main_resource
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import DATA_TABLES, failed_accesses, poll, rows_of_projects
from tenantcheck.oracles import denied, ok, owner_field_is


@pytest.mark.case("TC-06")
@pytest.mark.over(operations=main_resource("create"), variants=["api"], pairs="each")
def test_created_objects_carry_creator(world: World, check: Check, subject: Subject) -> None:
    owner, operation = subject.attacker, str(subject.operation)
    assert owner is not None
    resource = world.main
    reply, obj = world.create(owner, resource, world.values(owner, resource))
    owner_field_is(world, check, reply, reply.object(world.operation(operation)), owner,
                   what=f"a {resource} object", resource=resource)
    getter = f"{resource}.{world.spec(resource).getter}"
    reread = world.read(owner, getter, obj.address)
    if not ok(reread):
        check.fail(oracle="ownership", severity="high", replies=[reply, reread],
                   title=f"a {resource} object created by {owner} is not readable by {owner}",
                   detail=f"create answered {reply.status}, the creator's read {reread.status}: "
                   "it was stored under another tenant id")
    owner_field_is(world, check, reread, reread.object(world.operation(getter)), owner,
                   what=f"a {resource} object", resource=resource)
    check.rests_on("data", f"{owner} read back {obj.describe()} it created")


def is_failure(value: Any) -> bool:
    return value in (False, 0, "false", "0")


@pytest.mark.case("TC-06")
@pytest.mark.over(operations=main_resource("get"), variants=["audit"])
def test_denied_attempts_are_logged(world: World, check: Check, subject: Subject) -> None:
    attacker, victim = subject.attacker, subject.victim
    assert attacker and victim
    project = world.seeded(victim, world.main)
    logs = world.settings.profile.operation("admin.access_logs") if world.admin else None
    reader = world.admin if logs else None
    if logs is None:
        logs, reader = world.operation("api.access_logs"), world.actor(attacker)
    assert reader is not None
    attempt = world.actor(attacker).call(world.operation(str(subject.operation)),
                                         {**world.values_base(attacker), **project.address})
    if attempt.status not in world.settings.deny_statuses:
        denied(world, check, attempt, what=f"a read of a {world.main} object")
    defaults = world.settings.profile.defaults
    attacker_id = world.tenant_id(attacker)

    def logged(reply: Reply) -> bool:
        return any(isinstance(entry, dict) and entry.get(defaults.log_tenant_field) == attacker_id
                   and str(entry.get(defaults.log_resource_field)) == project.id
                   and is_failure(entry.get(defaults.log_success_field))
                   for entry in reply.items(logs) or [])

    reply = world.poll(lambda: reader.call(logs, {"tenant_id": attacker_id}), logged)
    if not ok(reply) or reply.items(logs) is None:
        check.inconclusive(f"the access logs could not be read: {reply.status}")
    if not logged(reply):
        check.fail(oracle="audit", severity="high", replies=[attempt, reply],
                   title=f"a denied attempt of {attacker} is missing from the access logs",
                   detail=f"no entry with {defaults.log_tenant_field}={attacker_id}, "
                   f"{defaults.log_resource_field}={project.id}, {defaults.log_success_field}=false")
    check.rests_on("data", f"the access logs hold {attacker}'s denied attempt on {project.id}")


@pytest.mark.case("TC-06")
@pytest.mark.over(variants=[f"storage.{table}" for table in DATA_TABLES], pairs="each")
@pytest.mark.needs("inspector")
def test_rows_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    owner, table = subject.attacker, (subject.variant or "").removeprefix("storage.")
    assert owner is not None
    expected = world.tenant_id(owner)
    project_ids = sorted(world.created_by(owner, "projects"))
    rows = rows_of_projects(inspector, table, project_ids)
    seeded = seeded_row(world, owner, table)
    if table == "search_index" and not rows:
        check.not_applicable(f"the target keeps no search_index rows for {owner}'s projects")
    if seeded is not None and not any(seeded.items() <= row.items() for row in rows):
        check.inconclusive(f"{inspector.describe()} does not hold {owner}'s seeded {table} row {seeded}: "
                           "does [inspector] point at the target's database?")
    if not rows:
        check.inconclusive(f"{inspector.describe()} holds no {table} rows of {owner}'s objects to check")
    wrong = [row for row in rows if row.get("tenant_id") != expected]
    if wrong:
        check.fail(oracle="storage", severity="high",
                   title=f"{len(wrong)} {table} row(s) of {owner}'s objects are stored with another tenant id",
                   detail=f"expected tenant_id {expected!r} in {inspector.describe()}; found "
                   + "; ".join(describe_row(row) for row in wrong[:5]))
    check.rests_on("data", f"{len(rows)} {table} row(s) of {owner}'s objects in {inspector.describe()}")


def seeded_row(world: World, owner: str, table: str) -> dict[str, Any] | None:
    """What the owner's seeded object looks like in ``table`` (it must be there), or None."""
    seeded = world.seed(owner).objects
    if table == "projects" and "projects" in seeded:
        return {"id": seeded["projects"].id}
    if table == "deployments" and "deployments" in seeded:
        return {"id": seeded["deployments"].id}
    if table == "file_metadata" and "files" in seeded:
        return {"project_id": seeded["files"].address["project_id"], "file_path": seeded["files"].id}
    return None


def describe_row(row: dict[str, Any]) -> str:
    return ", ".join(f"{column}={value!r}" for column, value in row.items())


@pytest.mark.case("TC-06")
@pytest.mark.over(operations=main_resource("get"), variants=["storage.audit"])
@pytest.mark.needs("inspector")
def test_denials_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    attacker, victim = subject.attacker, subject.victim
    assert attacker and victim
    project = world.seeded(victim, world.main)
    attempt = world.actor(attacker).call(world.operation(str(subject.operation)),
                                         {**world.values_base(attacker), **project.address})
    if attempt.status not in world.settings.deny_statuses:
        denied(world, check, attempt, what=f"a read of a {world.main} object")
    attacker_id = world.tenant_id(attacker)
    policy = world.settings.env.policy
    rows = poll(lambda: failed_accesses(inspector, attacker_id, project.id), bool,
                window=policy.consistency_window, interval=policy.poll_interval)
    if not rows:
        check.fail(oracle="storage", severity="high", replies=[attempt],
                   title=f"a denied attempt of {attacker} is not in tenant_access_logs",
                   detail=f"no row with tenant_id={attacker_id!r}, resource_id={project.id!r}, success=0 "
                   f"in {inspector.describe()}")
    check.rests_on("data", f"tenant_access_logs holds {attacker}'s denied attempt on {project.id}")
