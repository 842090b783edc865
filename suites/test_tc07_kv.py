"""TC-07 KV prefixing: file contents live at {tenant_id}:{project_id}:{file_path}.

Through the API: the owner downloads its file by the contract's key. In storage (needs an inspector): every
FILES key of the run's projects and files is {tenant_id}:{project_id}:{file_path} with its owner's tenant id,
and no FILES or CACHE key of the run lacks a tenant prefix.
"""

from __future__ import annotations

import re

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.families import main_resource
from tenantcheck.inspectors import CACHE, FILES, StorageInspector
from tenantcheck.inspectors.queries import poll

TENANT_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}:")


@pytest.mark.case("TC-07")
@pytest.mark.over(operations=["api.download"], variants=["api"], pairs="each")
def test_file_at_prefixed_key(world: World, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    obj = world.downloadable(owner)
    template = world.settings.profile.api.download_key
    key = world.download_key(obj)
    reply = world.read(owner, "api.download", {"key": key})
    if reply.unavailable:
        check.inconclusive(f"download answered {reply.status}")
    if reply.status != 200 or world.markers[owner] not in reply.text:
        check.fail(oracle="storage", severity="high", replies=[reply],
                   title=f"{owner}'s file is not stored at its tenant-prefixed key",
                   detail=f"download of {template} answered {reply.status}; the content was stored elsewhere "
                   "(an unprefixed or wrongly prefixed KV key)")
    check.rests_on("data", f"{owner} downloaded its own {obj.describe()} at its tenant-prefixed key")


@pytest.mark.case("TC-07")
@pytest.mark.over(variants=["storage.files"], pairs="each")
@pytest.mark.needs("inspector")
def test_keys_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    file = world.seeded(owner, "files")
    tenant_id = world.tenant_id(owner)
    expected = f"{tenant_id}:{file.address['project_id']}:{file.id}"
    policy = world.settings.env.policy
    keys = poll(lambda: inspector.kv_keys(FILES), lambda found: expected in found,
                window=policy.consistency_window, interval=policy.poll_interval)
    projects = world.created_by(owner, "projects")  # after the listing: files go into registered projects only
    mine = [key for key in keys if world.path_markers[owner] in key or any(p in key for p in projects)]
    misplaced = [key for key in mine if not well_placed(key, tenant_id, projects)
                 and not any(p in key for p in foreign_projects(world, owner))]
    if expected not in keys or misplaced:
        check.fail(oracle="storage", severity="high",
                   title=f"{owner}'s files are not all stored at {{tenant_id}}:{{project_id}}:{{file_path}} in FILES",
                   detail=f"expected key {expected!r} {'present' if expected in keys else 'missing'}; keys of "
                   f"{owner}'s projects and files without that prefix: {misplaced[:5]} ({inspector.describe()})")
    check.rests_on("data", f"{len(mine)} FILES key(s) of {owner}'s projects and files in {inspector.describe()}")


def well_placed(key: str, tenant_id: str, projects: set[str]) -> bool:
    """``{tenant_id}:{project_id}:{file_path}`` with the owner's tenant id and one of its projects."""
    parts = key.split(":", 2)
    return len(parts) == 3 and parts[0] == tenant_id and parts[1] in projects and bool(parts[2])


def foreign_projects(world: World, owner: str) -> set[str]:
    """Projects of everyone else in the run (a key naming one of them is judged in its owner's check)."""
    return {obj.id for obj in list(world.created) if obj.owner != owner and obj.resource == "projects"}


@pytest.mark.case("TC-07")
@pytest.mark.over(operations=main_resource("list"), variants=["storage.cache"], pairs="each")
@pytest.mark.needs("inspector")
def test_cache_keys_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    world.seeded(owner, world.main)  # what is cached holds marked data (else a misplaced entry shows nothing)
    warmed = [world.read(owner, str(subject.operation), {})]
    if world.settings.profile.operation("api.search"):
        warmed.append(world.read(owner, "api.search", {"query": world.search_word}))
    run = world.settings.run_id
    of_the_run = [key for key in inspector.kv_keys(CACHE) if run in key]
    if not of_the_run:
        check.not_applicable(f"the target keeps no CACHE entries of the run's requests ({inspector.describe()})")
    unprefixed = [key for key in of_the_run if not TENANT_PREFIX.match(key)]
    if unprefixed:
        check.fail(oracle="storage", severity="high", replies=warmed,
                   title="cached responses of the run are stored under keys without a tenant prefix",
                   detail=f"CACHE keys that must start with {{tenant_id}}: {unprefixed[:5]} ({inspector.describe()})")
    check.rests_on("data", f"{len(of_the_run)} CACHE key(s) of the run in {inspector.describe()}")
