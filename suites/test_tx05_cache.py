"""TX-05 cache isolation: the victim warms a cached URL, then the attacker requests the same URL."""

from __future__ import annotations

import secrets

import pytest

from tenantcheck.config.profile import Profile
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.errors import Inconclusive
from tenantcheck.families import Target, main_resource
from tenantcheck.oracles import REFUSALS, control, denied, items_of, ok


def cached_reads(profile: Profile) -> list[Target]:
    """The main resource's list and the search: the answers a target caches per URL."""
    return [*main_resource("list")(profile), Target("api.search")]


@pytest.mark.case("TX-05")
@pytest.mark.over(operations=cached_reads)
def test_warm_cache_is_not_shared(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    op = world.operation(operation)
    world.seeded(victim, world.main)
    values = {"query": world.search_word}
    assert world.http is not None
    # A URL of this check's own (a nonce in the query), so that what other checks left in a shared cache
    # cannot answer the victim's warm-up; a target that refuses unknown parameters gets the plain URL.
    suffix = f"?tcnonce={secrets.token_hex(6)}"
    with world.http.writes.exclusive():  # a write beside it would empty the cache between warm-up and attempt
        try:
            control(world, victim, operation, values, expect=world.markers[victim], path_suffix=suffix)
        except Inconclusive:
            suffix = ""
            control(world, victim, operation, values, expect=world.markers[victim])
        # The very URL the victim warmed (where a path names the tenant, the victim's): a cache keyed by
        # URL alone serves the victim's answer; a correct target refuses or answers the attacker's own.
        reply = world.actor(attacker).call(op, {**world.values_base(victim), **values}, path_suffix=suffix)
    if ok(reply):
        items_of(check, reply, world, operation)  # a foreign marker in it is a canary finding
        return
    denied(world, check, reply, what="the victim's cached URL", refusals=REFUSALS)
