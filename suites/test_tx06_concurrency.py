"""TX-06 concurrent isolation: every read kind of every tenant at once; each answer is the requester's own.

A target that keeps request state where concurrent requests share it (a global "current tenant", a
per-process cache of the caller) answers some requests as another tenant. Only requests that overlap show
it, so this check makes them overlap itself, whatever runs beside it (also at ``--concurrency 1``): every
tenant's lists, search, child lists, access logs and reads by id, interleaved, a few times each. Each
answer must show the requester's own data (its marker, or where a resource has no marked field its seeded
object's id; for logs its tenant id); a foreign marker in any of them is a canary finding of this check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantcheck.engine.checks import Check
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World, parent_address
from tenantcheck.families import main_resource

ROUNDS = 3
PER_TENANT = 2


def own_reads(world: World, owner: str) -> dict[str, tuple[dict[str, Any], tuple[str, ...]]]:
    """Every read kind the profile has, with its values and what the owner's own answer shows (any of):
    each resource's read by id (its marker or id), its list under the owner's seeded parent and search
    (one of the owner's markers, or the seeded object's id: a long list may be cut short before it), the
    access logs (its tenant id)."""
    profile = world.settings.profile
    seeded = world.seed(owner).objects
    if world.main not in seeded:
        world.seeded(owner, world.main)  # not-applicable or inconclusive, with the reason
    markers = (world.markers[owner], world.path_markers[owner])
    candidates: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
    for resource, obj in seeded.items():
        spec = world.spec(resource)
        if spec.getter:
            candidates[f"{resource}.{spec.getter}"] = (obj.address, (world.expected(obj),))
        if spec.list is not None:
            candidates[f"{resource}.list"] = (parent_address(spec, obj.parent), (*markers, obj.id))
    candidates["api.search"] = ({"query": world.search_word}, (*markers, seeded[world.main].id))
    candidates["api.access_logs"] = ({}, (world.tenant_id(owner),))
    return {name: read for name, read in candidates.items() if profile.operation(name) is not None}


@pytest.mark.case("TX-06")
@pytest.mark.over(operations=main_resource("get"), variants=["interleaved"], pairs="none")
def test_interleaved_tenants(world: World, check: Check) -> None:
    reads = {owner: own_reads(world, owner) for owner in world.tenants}

    def read(owner: str, name: str) -> Callable[[], tuple[str, str, Reply | None]]:
        """One read; its reply is kept only when it is not the owner's own answer (evidence), so that at
        N = 20 hundreds of list answers are not all held at once."""
        values = {**world.values_base(owner), **reads[owner][name][0]}
        operation = world.operation(name)

        def call() -> tuple[str, str, Reply | None]:
            reply = world.actor(owner).call(operation, values)
            own = not reply.unavailable and any(expected in reply.text for expected in reads[owner][name][1])
            return owner, name, None if own else reply

        return call

    kinds = sorted({name for per_owner in reads.values() for name in per_owner})
    # Every kind of every tenant side by side, so each request overlaps other tenants' requests of its kind,
    # ROUNDS times over: all at once (the cap on requests in flight keeps them overlapping, round after round).
    calls = [read(owner, name) for _ in range(ROUNDS * PER_TENANT) for name in kinds for owner in reads
             if name in reads[owner]]
    for owner, name, reply in world.http.gather(calls):  # type: ignore[union-attr]
        if reply is None:
            continue
        if reply.unavailable:
            check.inconclusive(f"the target answered {reply.status} under concurrent load")
        check.finding(oracle="concurrency", severity="critical", replies=[reply], attacker=owner,
                      title=f"under concurrent load a tenant's own {name} was answered as another tenant",
                      detail=f"{owner} got {reply.status} without its own seeded object")
    check.rests_on("data", f"{len(calls)} concurrent reads ({', '.join(kinds)}; {ROUNDS * PER_TENANT} of each "
                   "kind per tenant), each tenant reading its own marked data")
    check.conclude()
