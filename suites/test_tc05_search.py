"""TC-05 search isolation: every tenant's objects share a word; each searches it and the other's marker."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import items_of, victims_hold_data


@pytest.mark.case("TC-05")
@pytest.mark.over(operations=["api.search"], variants=["shared-word", "victim-marker"])
def test_search_holds_only_own_objects(world: World, check: Check, subject: Subject) -> None:
    attacker, victim = subject.attacker, subject.victim
    assert attacker and victim
    op = world.operation("api.search")
    own = world.seeded(attacker, world.main)
    victims_hold_data(world, check, [victim])
    field = world.settings.profile.api.search_id_field
    control = world.read(attacker, "api.search", {"query": world.search_word})
    if subject.variant == "shared-word":
        reply = control
    else:
        # The victim's search marker: the attacker knows it from now on, but not the victim's other markers.
        query = world.search_markers[victim]
        reply = world.actor(attacker).call(op, {**world.values_base(attacker), "query": query})
    mine = world.created_by(attacker)  # after the searches: every object of the attacker's in them is in here
    if own.id not in {str(item.get(field)) for item in items_of(check, control, world, "api.search")
                      if isinstance(item, dict)}:
        check.inconclusive(f"positive control failed: {attacker}'s search for the shared word misses its "
                           f"{own.describe()}")
    foreign = sorted({str(item.get(field)) for item in items_of(check, reply, world, "api.search")
                      if isinstance(item, dict)} - mine)
    if foreign:
        check.fail(oracle="search", severity="critical", replies=[reply],
                   title=f"{attacker}'s search ({subject.variant}) returned objects of other tenants",
                   detail=f"foreign ids: {', '.join(foreign[:5])}")
