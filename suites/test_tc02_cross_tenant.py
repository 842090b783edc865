"""TC-02 cross-tenant access: B reads, updates and deletes A's project by id."""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.oracles import control, denied, unchanged


def project_state(world: World) -> Any:
    """What an update could change: the fields the profile marks sensitive."""
    fields = world.settings.profile.resource("projects").sensitive  # type: ignore[union-attr]

    def extract(reply: Reply) -> Any:
        body = reply.object(world.operation("projects.get")) or {}
        return {name: body.get(name) for name in fields}

    return extract


@pytest.mark.case("TC-02")
@pytest.mark.over(operations=["projects.get", "projects.update", "projects.delete"])
def test_foreign_project_by_id(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    op = world.operation(operation)
    world.operation("projects.get")
    # Writes go to a fresh project, so a flawed target cannot spoil the seeded one for other checks.
    project = world.seeded_project(victim) if operation == "projects.get" else world.new_project(victim)
    before = control(world, victim, "projects.get", {"id": project.id}, expect=world.markers[victim])
    extract = project_state(world)
    attempt_values = {**world.values_base(attacker), "id": project.id,
                      "name": f"overwritten by {attacker}", "description": f"overwritten by {attacker}"}
    attempt = world.actor(attacker).call(op, attempt_values)
    what = {"projects.get": "a read", "projects.update": "an update", "projects.delete": "a delete"}[operation]
    if operation != "projects.get":
        unchanged(world, check, victim, "projects.get", {"id": project.id}, extract=extract,
                  expected=extract(before), attempt=attempt, what="a project")
    denied(world, check, attempt, what=f"{what} of a project")
