"""TX-02 mass assignment: create and update with a body tenant id naming another tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.families import main_resource
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import rows_of
from tenantcheck.oracles import items_of, ok, owner_field_is


def name_the_victim(world: World, check: Check, subject: Subject) -> tuple[Reply, dict[str, Any], str]:
    """The attacker creates or updates its own object with a body tenant id naming the victim: returns
    the answer, its object and the object's id (registered for removal)."""
    attacker, victim, operation = str(subject.attacker), str(subject.victim), str(subject.operation)
    field = world.settings.profile.identity.tenant_body_field
    if field is None:
        check.not_applicable("the profile names no tenant body field")
    resource = world.main
    spec = world.spec(resource)
    op = world.operation(operation)
    values = world.values(attacker, resource, attack=True)  # it may land in the victim's tenant
    updating = not operation.endswith(f".{spec.creator}")
    if updating:
        values.update(world.spare(attacker, resource).address)
    rendered = op.render_body(values)
    if not isinstance(rendered, dict):
        check.not_applicable(f"{operation} has no JSON or form body to name a tenant in")
    body = {**rendered, field: world.tenant_id(victim)}
    if not updating:
        reply, obj = world.create(attacker, resource, values, body=body)
        return reply, reply.object(op) or {}, obj.id
    reply = world.actor(attacker).call(op, values, body=body)
    answer = reply.object(op)
    if not ok(reply) or answer is None:
        check.inconclusive(f"{operation} with a body tenant id answered {reply.status}")
    return reply, answer, str(values["id"])


@pytest.mark.case("TX-02")
@pytest.mark.over(operations=main_resource("create", "update"))
def test_body_tenant_is_ignored(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    resource = world.main
    spec = world.spec(resource)
    reply, answer, object_id = name_the_victim(world, check, subject)
    owner_field_is(world, check, reply, answer, attacker, what=f"a {resource} object ({operation} naming {victim})",
                   resource=resource)
    victims_list = world.read(victim, f"{resource}.list", {})
    ids = {str(item.get(spec.id_field)) for item in items_of(check, victims_list, world, f"{resource}.list")
           if isinstance(item, dict)}
    # Landed in the victim's tenant only if the victim's list does not show the attacker's other objects
    # too (that is a list leak, TC-01's).
    if object_id in ids and world.seeded(attacker, resource).id not in ids:
        check.fail(oracle="ownership", severity="high", replies=[reply, victims_list],
                   title=f"{attacker}'s {resource} object landed in {victim}'s tenant through a body tenant id")
    getter = f"{resource}.{spec.getter}"
    if not ok(world.read(attacker, getter, {"id": object_id, spec.id_key: object_id})):
        check.fail(oracle="ownership", severity="high", replies=[reply],
                   title=f"{attacker} lost its own {resource} object after naming {victim} in the body")
    check.rests_on("data", f"{attacker}'s {resource} {object_id} and {victim}'s list were read after the attempt")


@pytest.mark.case("TX-02")
@pytest.mark.over(operations=main_resource("create", "update"), variants=["storage"])
@pytest.mark.needs("inspector")
def test_owner_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    reply, _, object_id = name_the_victim(world, check, subject)
    spec = world.spec(world.main)
    if spec.storage is None or not spec.storage.tables:
        check.not_applicable(f"the profile maps no storage table for {world.main}")
    home = spec.storage.tables[0]
    rows = rows_of(inspector, home, [object_id])
    if not rows:
        check.inconclusive(f"{home.table} row {object_id} is not in {inspector.describe()}: does [inspector] "
                           "point at the target's database?")
    expected = world.tenant_id(attacker)
    if rows[0].get("owner") != expected:
        check.fail(oracle="storage", severity="high", replies=[reply],
                   title=f"{attacker}'s {world.main} object is stored as another tenant's after {operation} "
                   f"named {victim} in the body",
                   detail=f"{home.table}.{home.owner_column} of {object_id} is {rows[0].get('owner')!r}, expected "
                   f"{expected!r} (the caller); {victim} is {world.tenant_id(victim)!r}")
    check.rests_on("data", f"{home.table}.{home.owner_column} of {object_id} read from {inspector.describe()}")
