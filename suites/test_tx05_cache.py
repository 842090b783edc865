"""TX-05 cache isolation: the victim warms a cached URL, then the attacker requests the same URL."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import control, items_of


@pytest.mark.case("TX-05")
@pytest.mark.over(operations=["projects.list", "api.search"])
def test_warm_cache_is_not_shared(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    op = world.operation(operation)
    world.seeded_project(victim)
    values = {"query": world.search_word}
    assert world.http is not None
    with world.http.writes.exclusive():  # a write beside it would empty the cache between warm-up and attempt
        control(world, victim, operation, values, expect=world.markers[victim])  # warms the victim's cache
        reply = world.actor(attacker).call(op, {**world.values_base(attacker), **values})
    items_of(check, reply, world, operation)  # a foreign marker in it is a canary finding
