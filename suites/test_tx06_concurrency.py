"""TX-06 concurrent isolation: every tenant's requests interleave at once; every answer is scanned."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenantcheck.engine.checks import Check
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World

ROUNDS = 3
PER_TENANT = 4


@pytest.mark.case("TX-06")
@pytest.mark.over(operations=["projects.get"], variants=["interleaved"], pairs="none")
def test_interleaved_tenants(world: World, check: Check) -> None:
    op = world.operation("projects.get")
    owners = list(world.tenants)
    projects = {owner: world.seeded_project(owner) for owner in owners}

    def read(owner: str) -> Callable[[], tuple[str, Reply]]:
        values = {**world.values_base(owner), "id": projects[owner].id}
        return lambda: (owner, world.actor(owner).call(op, values))

    for _ in range(ROUNDS):
        calls = [read(owner) for _ in range(PER_TENANT) for owner in owners]
        for owner, reply in world.http.gather(calls):  # type: ignore[union-attr]
            if reply.unavailable:
                check.inconclusive(f"the target answered {reply.status} under concurrent load")
            if world.markers[owner] not in reply.text:
                check.finding(oracle="concurrency", severity="critical", replies=[reply], attacker=owner,
                              title="under concurrent load a tenant's own read was answered as another tenant",
                              detail=f"{owner} got {reply.status} without its own project")
    check.rests_on("data", f"{ROUNDS * PER_TENANT} concurrent reads per tenant, each of its own marked project")
    check.conclude()
