"""TX-03 KV key access: /api/download/{key} with another tenant's keys and tricks on them.

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
    file = world.seeded_file(victim)
    template = world.settings.profile.api.download_key
    victim_key = template.format(tenant_id=world.tenant_id(victim), project_id=file.project_id, file_path=file.path)
    control(world, victim, "api.download", {"key": victim_key}, expect=world.markers[victim])
    mine = world.tenant_id(attacker)
    key = {
        "exact": victim_key,
        "unprefixed": f"{file.project_id}:{file.path}",
        "traversal": f"{mine}:../{victim_key}",
        "encoded-traversal": f"{mine}:..%2F{victim_key}",
        "encoded-separator": victim_key.replace(":", "%3A"),
        "doubled-prefix": f"{mine}:{victim_key}",
    }[variant]
    reply = world.actor(attacker).call(op, {**world.values_base(attacker), "key": key})
    if file.content in reply.text:
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"{attacker} downloaded a file of {victim} by KV key ({variant})")
    denied(world, check, reply, what=f"a download by key ({variant})", refusals=REFUSALS)
