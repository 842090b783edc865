"""TC-04 file storage isolation: B lists, reads and writes files of A's project."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.oracles import control, denied, unchanged


def text(reply: Reply) -> str:
    return reply.text


@pytest.mark.case("TC-04")
@pytest.mark.over(operations=["files.list", "files.read", "files.write"])
def test_foreign_files(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    op = world.operation(operation)
    if operation == "files.write":
        # A fresh project and file: a flawed target overwrites these, not the seeded ones.
        project = world.new_project(victim)
        file = world.new_file(victim, project)
    else:
        project, file = world.seeded_project(victim), world.seeded_file(victim)
    where = {"project_id": project.id, "file_path": file.path}
    if operation == "files.list":
        control(world, victim, operation, where, expect=file.path)
        denied(world, check, world.actor(attacker).call(op, {**world.values_base(attacker), **where}),
               what="the file list of a project")
        return
    before = control(world, victim, "files.read", where, expect=world.markers[victim])
    if operation == "files.read":
        denied(world, check, world.actor(attacker).call(op, {**world.values_base(attacker), **where}),
               what="a file")
        return
    intrusion = {**world.values_base(attacker), **where, "content": f"overwritten by {attacker}\n"}
    attempt = world.actor(attacker).call(op, intrusion)
    unchanged(world, check, victim, "files.read", where, extract=text, expected=before.text, attempt=attempt,
              what="a file")
    denied(world, check, attempt, what="a file write")
