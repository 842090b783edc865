"""TC-06 database verification: rows carry their creator's tenant id; denied attempts are logged.

What the API shows (owner fields of created objects, the access logs) is checked for every target; with an
inspector, the rows themselves, where the profile's storage mappings say they are: every row of the run's
objects carries its creator's tenant id, and a denied attempt is a failed row of ``audit_storage``. Without
an inspector or a mapping the storage part is not-applicable (never passed).
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.families import holders, main_resource, stored_tables
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import failed_accesses, poll, rows_of
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
@pytest.mark.over(operations=stored_tables, pairs="each")
@pytest.mark.needs("inspector")
def test_rows_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    """Every row the profile's storage mappings say a table holds about the owner's objects carries the
    owner's tenant id; the seeded object's home row must be there (else the inspector reads elsewhere)."""
    owner, table = subject.attacker, (subject.variant or "").removeprefix("storage.")
    assert owner is not None
    expected = world.tenant_id(owner)
    rows, home = [], False
    for resource in holders(world.settings.profile, table):
        mappings = world.spec(resource).storage.tables  # type: ignore[union-attr]
        mapping = next(entry for entry in mappings if entry.table == table)
        found = rows_of(inspector, mapping, sorted(world.created_by(owner, resource)))
        seeded = world.seed(owner).objects.get(resource)
        if mapping is mappings[0] and seeded is not None:
            home = True
            if not any(str(row["id"]) == seeded.id for row in found):
                check.inconclusive(f"{inspector.describe()} holds no {table} row of {owner}'s seeded "
                                   f"{seeded.describe()}: does [inspector] point at the target's database?")
        rows += found
    if not rows:
        if not home:  # a table that holds rows about objects (not the objects themselves) may hold none
            check.not_applicable(f"the target keeps no {table} rows about {owner}'s objects")
        check.inconclusive(f"{inspector.describe()} holds no {table} rows of {owner}'s objects to check")
    wrong = [row for row in rows if row.get("owner") != expected]
    if wrong:
        check.fail(oracle="storage", severity="high",
                   title=f"{table} rows of {owner}'s objects are stored with another tenant id",
                   detail=f"expected owner {expected!r} in {inspector.describe()}; found "
                   + "; ".join(f"id={row['id']!r} owner={row['owner']!r}" for row in wrong[:5])
                   + f" ({len(wrong)} row(s))")
    check.rests_on("data", f"{len(rows)} {table} row(s) of {owner}'s objects in {inspector.describe()}")


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
    audit = world.settings.profile.audit_storage
    if audit is None:
        check.not_applicable("the profile names no audit_storage table")
    attacker_id = world.tenant_id(attacker)
    policy = world.settings.env.policy
    rows = poll(lambda: failed_accesses(inspector, audit, attacker_id, project.id), bool,
                window=policy.consistency_window, interval=policy.poll_interval)
    if not rows:
        check.fail(oracle="storage", severity="high", replies=[attempt],
                   title=f"a denied attempt of {attacker} is not in {audit.table}",
                   detail=f"no row with {audit.tenant_column}={attacker_id!r}, {audit.resource_column}={project.id!r}, "
                   f"{audit.success_column}=0 in {inspector.describe()}")
    check.rests_on("data", f"{audit.table} holds {attacker}'s denied attempt on {project.id}")
