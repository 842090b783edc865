"""TX-02 mass assignment: create and update with a body tenant_id naming another tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import rows_of_projects
from tenantcheck.oracles import items_of, ok, owner_field_is


def name_the_victim(world: World, check: Check, subject: Subject) -> tuple[Reply, dict[str, Any], str]:
    """The attacker creates or updates its own project with a body tenant id naming the victim:
    returns the answer, its object and the project's id (registered for removal)."""
    attacker, victim, operation = str(subject.attacker), str(subject.victim), str(subject.operation)
    field = world.settings.profile.identity.tenant_body_field
    if field is None:
        check.not_applicable("the profile names no tenant body field")
    spec = world.settings.profile.resource("projects")
    assert spec is not None
    op = world.operation(operation)
    values = world.values(attacker)
    if operation == "projects.update":
        values["id"] = world.new_project(attacker).id
    body = {**(op.render_body(values) or {}), field: world.tenant_id(victim)}
    if operation == "projects.create":
        reply, project_id, answer = world.create_project(attacker, values, body=body)
        return reply, answer, project_id
    reply = world.actor(attacker).call(op, values, body=body)
    answer = reply.object(op)
    if not ok(reply) or answer is None:
        check.inconclusive(f"{operation} with a body tenant id answered {reply.status}")
    return reply, answer, str(answer.get(spec.id_field) or values["id"])


@pytest.mark.case("TX-02")
@pytest.mark.over(operations=["projects.create", "projects.update"])
def test_body_tenant_is_ignored(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    spec = world.settings.profile.resource("projects")
    assert spec is not None
    reply, answer, project_id = name_the_victim(world, check, subject)
    owner_field_is(world, check, reply, answer, attacker, what=f"a project ({operation} naming {victim})",
                   resource="projects")
    victims_list = world.read(victim, "projects.list", {})
    ids = {str(item.get(spec.id_field)) for item in items_of(check, victims_list, world, "projects.list")
           if isinstance(item, dict)}
    if project_id in ids:
        check.fail(oracle="ownership", severity="high", replies=[reply, victims_list],
                   title=f"{attacker}'s project landed in {victim}'s tenant through a body tenant id")
    if not ok(world.read(attacker, "projects.get", {"id": project_id})):
        check.fail(oracle="ownership", severity="high", replies=[reply],
                   title=f"{attacker} lost its own project after naming {victim} in the body")
    check.rests_on("data", f"{attacker}'s project {project_id} and {victim}'s list were read after the attempt")


@pytest.mark.case("TX-02")
@pytest.mark.over(operations=["projects.create", "projects.update"], variants=["storage"])
@pytest.mark.needs("inspector")
def test_owner_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    reply, _, project_id = name_the_victim(world, check, subject)
    rows = rows_of_projects(inspector, "projects", [project_id])
    if not rows:
        check.inconclusive(f"project {project_id} is not in {inspector.describe()}: does [inspector] point at "
                           "the target's database?")
    expected = world.tenant_id(attacker)
    if rows[0].get("tenant_id") != expected:
        check.fail(oracle="storage", severity="high", replies=[reply],
                   title=f"{attacker}'s project is stored with tenant id {rows[0].get('tenant_id')!r} after "
                   f"{operation} named {victim} in the body",
                   detail=f"projects.tenant_id of {project_id} is {rows[0].get('tenant_id')!r}, expected "
                   f"{expected!r} (the caller); {victim} is {world.tenant_id(victim)!r}")
    check.rests_on("data", f"projects.tenant_id of {project_id} read from {inspector.describe()}")
