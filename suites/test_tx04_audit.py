"""TX-04 audit isolation: a tenant's access logs hold its own entries only."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import items_of, victims_hold_data


@pytest.mark.case("TX-04")
@pytest.mark.over(operations=["api.access_logs"])
def test_logs_hold_no_foreign_entries(world: World, check: Check, subject: Subject) -> None:
    reader, victim = subject.attacker, subject.victim
    assert reader and victim
    victims_hold_data(world, check, [victim])  # the victim made requests, so it has entries to leak
    field = world.settings.profile.defaults.log_tenant_field
    reply = world.read(reader, "api.access_logs", {})
    entries = [entry for entry in items_of(check, reply, world, "api.access_logs") if isinstance(entry, dict)]
    own_id, victim_id = world.tenant_id(reader), world.tenant_id(victim)
    if not any(entry.get(field) == own_id for entry in entries):
        check.inconclusive(f"positive control failed: {reader}'s access logs hold none of its own entries")
    foreign = [entry for entry in entries if entry.get(field) == victim_id]
    if foreign:
        check.fail(oracle="audit", severity="critical", replies=[reply],
                   title=f"{reader}'s access logs show entries of {victim}",
                   detail=f"{len(foreign)} entries with {field}={victim_id}")
