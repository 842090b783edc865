"""TX-08 upsert and bulk writes: a sync, import or bulk operation that takes objects by id, and maybe an
owner value, attacked with another tenant's ids and owner value.

- ``overwrite``: the attacker writes the victim's object id with its own owner value;
- ``overwrite-as-owner``: the same, naming the victim as the owner (a copy that looks like the victim's);
- ``plant``: a new id with the victim as the owner.

Whatever the status, the victim re-reads (through its read by id, else its list): an overwritten or
vanished object is a critical state finding; a planted object the victim sees as its own is a high
ownership finding. A planted object is registered for removal by whoever ended up owning it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import Obj, World
from tenantcheck.families import upserts
from tenantcheck.oracles import ABSENT, ok, state_of


def upsert(world: World, attacker: str, resource: str, identifier: str, owner: str) -> Reply:
    """The attacker's upsert of one object ``identifier`` with attack values and ``owner``'s tenant id as
    the owner value; the path keeps the attacker's own tenant."""
    op = world.operation(f"{resource}.upsert")
    spec = world.spec(resource)
    values: dict[str, Any] = {**world.values(attacker, resource, attack=True), "id": identifier,
                              spec.id_key: identifier}
    body = op.render_body({**values, "tenant_id": world.tenant_id(owner)})
    return world.actor(attacker).call(op, {**values, **world.values_base(attacker)}, body=body)


@pytest.mark.case("TX-08")
@pytest.mark.over(operations=upserts)
def test_upsert_foreign_objects(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation, variant = subject.attacker, subject.victim, subject.operation, subject.variant
    assert attacker and victim and operation and variant
    resource = operation.split(".", 1)[0]
    if variant == "plant":
        plant(world, check, attacker, victim, resource)
        return
    obj = world.spare(victim, resource)
    _, before = state_of(world, victim, obj)
    if before is ABSENT:
        check.inconclusive(f"positive control failed: {victim} could not find its own {resource} before the upsert")
    check.rests_on("data", f"{victim} read its {resource} before and after the attempt")
    owner = victim if variant == "overwrite-as-owner" else attacker
    attempt = upsert(world, attacker, resource, obj.id, owner)
    reread, after = state_of(world, victim, obj)
    named = "naming it as the owner" if owner == victim else "with its own owner value"
    if after is ABSENT:
        check.fail(oracle="state", severity="critical", replies=[attempt, reread],
                   title=f"{attacker} made {victim}'s {resource} object vanish through an upsert of its id ({named})",
                   detail=f"the upsert got {attempt.status}; {victim} no longer finds the object")
    if after != before:
        check.fail(oracle="state", severity="critical", replies=[attempt, reread],
                   title=f"{attacker} overwrote {victim}'s {resource} object through an upsert of its id ({named})",
                   detail=f"the upsert got {attempt.status}; before: {before!r}; after: {after!r}")


def plant(world: World, check: Check, attacker: str, victim: str, resource: str) -> None:
    """A new object with the victim as the owner must not become the victim's: the victim's list (else its
    read by id) must not show it as the victim's."""
    spec = world.spec(resource)
    mine = world.seeded(attacker, resource)
    identifier = str(uuid.uuid4())
    attempt = upsert(world, attacker, resource, identifier, victim)
    planted = Obj(resource=resource, id=identifier, owner=victim, values={},
                  address={"id": identifier, spec.id_key: identifier})
    reread, seen = state_of(world, victim, planted, listed=True)
    if seen is not ABSENT or ok(attempt):  # written somewhere: removed by whoever may own it
        world.register(victim if seen is not ABSENT else attacker, resource, identifier, {})
    _, own = state_of(world, victim, world.seeded(victim, resource), listed=True)
    if own is ABSENT:
        check.inconclusive(f"{victim} could not find its own seeded {resource}: its view proves nothing")
    check.rests_on("data", f"{victim}'s view of its {resource} (holding its own) was read after the attempt")
    if seen is ABSENT:
        return
    owner = seen.get(spec.owner_field) if isinstance(seen, dict) and spec.owner_field else None
    through_list = spec.list is not None  # top-level (``upserts`` has no nested resources): state_of listed
    # A list that shows every tenant's objects (TC-01's finding) shows the planted one too: it is the
    # victim's only if it names the victim as its owner, or if that list does not show the attacker's own.
    foreign_in_view = through_list and state_of(world, victim, mine, listed=True)[1] is not ABSENT
    if owner == world.tenant_id(victim) or (through_list and not foreign_in_view):
        check.fail(oracle="ownership", severity="high", replies=[attempt, reread],
                   title=f"{attacker} planted a {resource} object in {victim}'s tenant through an upsert "
                   "naming it as the owner",
                   detail=f"the upsert got {attempt.status}; {victim} sees the new object"
                   + (f" with {spec.owner_field} = {owner!r}" if owner is not None else ""))
