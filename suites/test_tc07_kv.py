"""TC-07 KV prefixing: file contents live at {tenant_id}:{project_id}:{file_path}.

Through the API: the owner downloads its file by the contract's key. In storage: needs an inspector.
"""

from __future__ import annotations

import pytest

from tenantcheck.checks import Check, Subject
from tenantcheck.world import World


@pytest.mark.case("TC-07")
@pytest.mark.over(operations=["api.download"], variants=["api"], pairs="each")
def test_file_at_prefixed_key(world: World, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    file = world.seeded_file(owner)
    template = world.settings.profile.api.download_key
    key = template.format(tenant_id=world.tenant_id(owner), project_id=file.project_id, file_path=file.path)
    reply = world.read(owner, "api.download", {"key": key})
    if reply.server_error:
        check.inconclusive(f"download answered {reply.status}")
    if reply.status != 200 or reply.text != file.content:
        check.fail(oracle="storage", severity="high", replies=[reply],
                   title=f"{owner}'s file is not stored at its tenant-prefixed key",
                   detail=f"download of {template} answered {reply.status}; the content was stored elsewhere "
                   "(an unprefixed or wrongly prefixed KV key)")


@pytest.mark.case("TC-07")
@pytest.mark.over(variants=["storage"], pairs="none")
@pytest.mark.needs("inspector")
def test_keys_in_storage(world: World, check: Check) -> None:
    check.not_applicable(f"no storage reader for inspector kind {world.settings.env.inspector.kind!r} yet")  # type: ignore[union-attr]
