"""TX-03 KV key access: ``[api] download`` with another tenant's keys and tricks on them.

tenant-a's id is a prefix of every other tenant's id, so the "exact" variant with attacker tenant-a also
catches a key check that forgets the separator.
"""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import REFUSALS, control, denied

VARIANTS = ["exact", "unprefixed", "traversal", "encoded-traversal", "encoded-separator", "doubled-prefix"]


@pytest.mark.case("TX-03")
@pytest.mark.over(operations=["api.download"], variants=VARIANTS)
def test_foreign_keys(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, variant = subject.attacker, subject.victim, subject.variant
    assert attacker and victim and variant
    op = world.operation("api.download")
    obj = world.downloadable(victim)
    victim_key = world.download_key(obj)
    control(world, victim, "api.download", {"key": victim_key}, expect=world.markers[victim])
    mine, theirs = world.tenant_id(attacker), world.tenant_id(victim)
    separator = victim_key[len(theirs)] if victim_key.startswith(theirs) and len(victim_key) > len(theirs) else ":"
    key = {
        "exact": victim_key,
        "unprefixed": victim_key.removeprefix(theirs + separator),
        "traversal": f"{mine}{separator}../{victim_key}",
        "encoded-traversal": f"{mine}{separator}..%2F{victim_key}",
        "encoded-separator": victim_key.replace(separator, f"%{ord(separator):02X}"),
        "doubled-prefix": f"{mine}{separator}{victim_key}",
    }[variant]
    reply = world.actor(attacker).call(op, {**world.values_base(attacker), "key": key})
    if world.markers[victim] in reply.text:
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"{attacker} downloaded a {obj.resource} object of {victim} by key ({variant})")
    denied(world, check, reply, what=f"a download by key ({variant})", refusals=REFUSALS)
