"""TC-01 list isolation: each tenant lists every top-level resource and sees exactly its own objects."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.families import own_lists
from tenantcheck.oracles import items_of, owner_field_is, victims_hold_data


@pytest.mark.case("TC-01")
@pytest.mark.over(operations=own_lists, pairs="each")
def test_list_holds_exactly_own(world: World, check: Check, subject: Subject) -> None:
    owner, operation = subject.attacker, subject.operation
    assert owner is not None and operation is not None
    resource = operation.split(".", 1)[0]
    spec = world.spec(resource)
    seeded = world.seeded(owner, resource)
    victims_hold_data(world, check, [label for label in world.tenants if label != owner], resource)
    reply = world.read(owner, operation, {})
    own = world.created_by(owner, resource)  # after the listing: every object in it the owner made is in here
    items = items_of(check, reply, world, operation)
    ids = {str(item.get(spec.id_field)) for item in items if isinstance(item, dict)}
    if seeded.id not in ids:
        check.inconclusive(f"{owner}'s own seeded {resource} {seeded.id} is missing from its list")
    strangers = sorted(ids - own)
    for item in items:  # ownership is judged only on objects the lister itself created
        if isinstance(item, dict) and str(item.get(spec.id_field)) in own:
            owner_field_is(world, check, reply, item, owner, what=f"a listed {resource} object", resource=resource)
    if strangers:
        check.fail(oracle="list", severity="critical", replies=[reply],
                   title=f"{operation} returns objects {owner} did not create",
                   detail=f"{len(strangers)} foreign item(s): {', '.join(strangers[:5])}")
