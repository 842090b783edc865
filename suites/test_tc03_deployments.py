"""TC-03 deployment isolation: B lists A's project deployments, reads A's deployment, deploys A's project."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.oracles import control, denied, unchanged


@pytest.mark.case("TC-03")
@pytest.mark.over(operations=["deployments.list", "deployments.get", "deployments.create"])
def test_foreign_deployments(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    op = world.operation(operation)
    project = world.seeded_project(victim)
    deployment = world.seeded_deployment(victim)
    listing = {"project_id": project.id}
    values = {**world.values_base(attacker), "project_id": project.id, "id": deployment.id,
              "provider": "tenantcheck-intrusion"}
    if operation == "deployments.get":
        control(world, victim, operation, {"id": deployment.id, "project_id": project.id}, expect=deployment.id)
        denied(world, check, world.actor(attacker).call(op, values), what="a deployment read")
        return
    before = control(world, victim, "deployments.list", listing, expect=deployment.id)
    attempt = world.actor(attacker).call(op, values)
    if operation == "deployments.create":
        list_op = world.operation("deployments.list")

        def count(reply: Reply) -> int:
            return len(reply.items(list_op) or [])

        unchanged(world, check, victim, "deployments.list", listing, extract=count, expected=count(before),
                  attempt=attempt, what="the deployments of a project")
    denied(world, check, attempt, what="a deployment" if operation == "deployments.create" else "the deployments")
