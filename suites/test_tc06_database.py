"""TC-06 database verification: rows carry their creator's tenant id; denied attempts are logged.

Without an inspector the storage part is not-applicable (never passed); what the API shows (owner fields
of created objects, the access logs) is checked here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.checks import Check, Subject
from tenantcheck.http import Reply
from tenantcheck.oracles import denied, ok, owner_field_is
from tenantcheck.world import World


@pytest.mark.case("TC-06")
@pytest.mark.over(operations=["projects.create"], variants=["api"], pairs="each")
def test_created_objects_carry_creator(world: World, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    op = world.operation("projects.create")
    values = world.values(owner)
    reply = world.actor(owner).call(op, values)
    created = reply.object(op)
    if not ok(reply) or created is None:
        check.inconclusive(f"{owner} could not create a project: {reply.status}")
    spec = world.settings.profile.resource("projects")
    assert spec is not None
    world.created.append((owner, str(created.get(spec.id_field))))
    owner_field_is(world, check, reply, created, owner, what="a project", resource="projects")
    reread = world.read(owner, "projects.get", {"id": str(created.get(spec.id_field))})
    if not ok(reread):
        check.fail(oracle="ownership", severity="high", replies=[reply, reread],
                   title=f"a project created by {owner} is not readable by {owner}",
                   detail=f"create answered {reply.status}, the creator's read {reread.status}: "
                   "the row was stored under another tenant id")
    owner_field_is(world, check, reread, reread.object(world.operation("projects.get")), owner,
                   what="a project", resource="projects")


def is_failure(value: Any) -> bool:
    return value in (False, 0, "false", "0")


@pytest.mark.case("TC-06")
@pytest.mark.over(operations=["projects.get"], variants=["audit"])
def test_denied_attempts_are_logged(world: World, check: Check, subject: Subject) -> None:
    attacker, victim = subject.attacker, subject.victim
    assert attacker and victim
    project = world.seeded_project(victim)
    logs = world.settings.profile.operation("admin.access_logs") if world.admin else None
    reader = world.admin if logs else None
    if logs is None:
        logs, reader = world.operation("api.access_logs"), world.actor(attacker)
    assert reader is not None
    attempt = world.actor(attacker).call(world.operation("projects.get"),
                                         {**world.values_base(attacker), "id": project.id})
    if attempt.status not in world.settings.deny_statuses:
        denied(world, check, attempt, what="a read of a project")
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


@pytest.mark.case("TC-06")
@pytest.mark.over(variants=["storage"], pairs="none")
@pytest.mark.needs("inspector")
def test_rows_in_storage(world: World, check: Check) -> None:
    check.not_applicable(f"no storage reader for inspector kind {world.settings.env.inspector.kind!r} yet")  # type: ignore[union-attr]
