"""TX-05 cache isolation: the victim warms a cached URL, then the attacker requests the same URL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tenantcheck.config.profile import Profile
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.errors import Inconclusive
from tenantcheck.families import Target, main_resource
from tenantcheck.oracles import REFUSALS, control, denied, items_of, ok


def cached_reads(profile: Profile) -> list[Target]:
    """The main resource's list and the search: the answers a target caches per URL."""
    return [*main_resource("list")(profile), Target("api.search")]


def warm_and_attempt(world: World, victim: str, attacker: str, operation: str, values: dict[str, Any],
                     suffix: str) -> Reply:
    """The victim warms the URL (its positive control), then the attacker requests the very same URL
    (where a path names the tenant, the victim's): a cache keyed by URL alone serves the victim's answer;
    a correct target refuses or answers the attacker's own."""
    control(world, victim, operation, values, expect=world.markers[victim], path_suffix=suffix)
    return world.actor(attacker).call(world.operation(operation), {**world.values_base(victim), **values},
                                      path_suffix=suffix)


@pytest.mark.case("TX-05")
@pytest.mark.over(operations=cached_reads)
def test_warm_cache_is_not_shared(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    world.operation(operation)  # not-applicable first when the profile lacks it
    world.seeded(victim, world.main)
    values = {"query": world.search_word}
    assert world.http is not None
    # A URL of this check's own (a nonce in the query), so that what other checks left in a shared cache
    # cannot answer the victim's warm-up, and other TX-05 checks may test theirs meanwhile (``apart``: no
    # write, which would empty the cache between warm-up and attempt). A target that refuses unknown
    # parameters gets the plain URL, which every pair shares: then nothing else warms it meanwhile.
    try:
        with world.http.writes.apart():
            reply = warm_and_attempt(world, victim, attacker, operation, values, f"?tcnonce={secrets.token_hex(6)}")
    except Inconclusive:
        with world.http.writes.exclusive():
            reply = warm_and_attempt(world, victim, attacker, operation, values, "")
    if ok(reply):
        items_of(check, reply, world, operation)  # a foreign marker in it is a canary finding
        return
    denied(world, check, reply, what="the victim's cached URL", refusals=REFUSALS)
