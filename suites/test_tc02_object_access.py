"""Object access across tenants, for every resource of the profile: TC-02 (top-level objects) and, for
nested resources, TC-03 / TC-04 (the case a resource names; children under a foreign parent).

By id, the attacker reads, updates, deletes and calls every extra operation on the victim's object;
under the victim's parent, it lists and creates children. Each attempt has a positive control (the
victim sees its object first), the denial oracle, and for writes the state oracle (the victim re-reads:
still there, unchanged). Where a path names the caller's tenant (``/orgs/{tenant_id}/...``), every
attempt is made twice: with the attacker's own tenant in the path (the object looked up by id alone)
and with the victim's (``victim-path``: a foreign scope the target must refuse).
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.config.profile import ACCESS_CASES
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import Obj, World, parent_address
from tenantcheck.families import FOREIGN_PATH, object_access
from tenantcheck.oracles import control, denied, object_state, ok, unchanged


def scope(world: World, attacker: str, victim: str, subject: Subject) -> dict[str, Any]:
    """The caller's tenant as the attempt names it: its own, or the victim's (``victim-path``)."""
    return world.values_base(victim if subject.variant == FOREIGN_PATH else attacker)


@pytest.mark.over(operations=object_access, cases=ACCESS_CASES)
def test_foreign_object(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    resource, kind = operation.split(".", 1)
    spec = world.spec(resource)
    if kind in ("list", spec.creator):
        children(world, check, subject, resource)
        return
    if spec.getter is None:
        check.not_applicable(f"the profile has no {resource}.get: the victim could not see its object first")
    op = world.operation(operation)
    getter = f"{resource}.{spec.getter}"
    reads = op.method == "GET"
    # Writes go to a fresh object, so a flawed target cannot spoil the seeded one for other checks.
    obj = world.seeded(victim, resource) if reads else world.spare(victim, resource)
    before = control(world, victim, getter, obj.address, expect=world.expected(obj))
    values = {**world.values(attacker, resource, attack=True), **obj.address, **scope(world, attacker, victim, subject)}
    attempt = world.actor(attacker).call(op, values)
    if not reads:
        extract = object_state(world, resource)
        unchanged(world, check, victim, getter, obj.address, extract=extract, expected=extract(before),
                  attempt=attempt, what=f"a {resource} object")
    # Titles never hold ids (fingerprints stay stable across runs); the evidence shows them.
    word = {"get": "a read", "read": "a read", "update": "an update", "delete": "a delete"}.get(kind, f"{kind!r}")
    denied(world, check, attempt, what=f"{word} of a {resource} object", operation=op)


def children(world: World, check: Check, subject: Subject, resource: str) -> None:
    """Children under the victim's parent (or in the victim's tenant): listed, or created there."""
    attacker, victim, operation = str(subject.attacker), str(subject.victim), str(subject.operation)
    spec = world.spec(resource)
    op = world.operation(operation)
    tenant = scope(world, attacker, victim, subject)
    if operation.endswith(".list"):
        child = world.seeded(victim, resource)
        where = parent_address(spec, child.parent)
        control(world, victim, operation, where, expect=child.id)
        denied(world, check, world.actor(attacker).call(op, {**where, **tenant}),
               what=f"the {resource} list of {describe_parent(child.parent, victim)}", operation=op)
        return
    # A fresh parent with a fresh child: a flawed target adds to or overwrites these, not the seeded ones.
    # In a foreign tenant's scope (no parent) only a create that names the id has a victim object to
    # overwrite; the victim's whole list changes with every other check, so a 2xx is the evidence there.
    parent = world.spare(victim, spec.parent) if spec.parent else None
    target = world.spare(victim, resource, parent) if parent or spec.id_from == "request" else None
    where = parent_address(spec, parent)
    values = {**world.values(attacker, resource, attack=True), **where, **tenant}
    if target is not None and spec.id_from == "request":  # a create that names the id: the victim's
        values[spec.id_key] = target.id
    state = state_check(world, victim, resource, target) if target is not None else None
    attempt = world.actor(attacker).call(op, values)
    if state is not None:
        name, address, extract, before = state
        unchanged(world, check, victim, name, address, extract=extract, expected=extract(before), attempt=attempt,
                  what=f"the {resource} of {describe_parent(parent, victim)}")
    if ok(attempt) and spec.id_from != "request":
        world.adopt(victim, resource, attempt, values, parent)  # it is in the victim's scope: removed with it
    denied(world, check, attempt, what=f"a {resource} object created under {describe_parent(parent, victim)}",
           operation=op)


def state_check(world: World, victim: str, resource: str, target: Obj) -> tuple[str, dict[str, Any], Any, Reply] | None:
    """How the victim sees whether a create under its parent changed anything: the object a request-named
    create would overwrite, else the parent's child list (its length); ``None`` without a way to read."""
    spec = world.spec(resource)
    if spec.id_from == "request" and spec.getter:
        name, address, extract = f"{resource}.{spec.getter}", target.address, object_state(world, resource)
    elif spec.list is not None:
        list_op = world.operation(f"{resource}.list")
        name, address = f"{resource}.list", parent_address(spec, target.parent)

        def extract(reply: Reply) -> Any:
            return len(reply.items(list_op) or [])
    else:
        return None
    before = control(world, victim, name, address, expect=target.id if name.endswith(".list") else
                     world.expected(target))
    return name, address, extract, before


def describe_parent(obj: Obj | None, victim: str) -> str:
    """What a child is under, for a title (no ids: fingerprints stay stable): its parent, or (top-level)
    the victim's tenant."""
    return f"a {obj.resource} object" if obj is not None else f"{victim}'s tenant"
