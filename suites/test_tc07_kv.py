"""TC-07 KV prefixing: stored contents live at keys with their tenant in its place.

Through the API: the owner downloads its object by the profile's ``download_key``. In storage (needs an
inspector and a ``storage.kv`` mapping): every stored key of the run's objects is the resource's key pattern
with its owner's tenant id (Pom Bolt: FILES keys {tenant_id}:{project_id}:{file_path}), and no CACHE key of
the run lacks a tenant prefix.
"""

from __future__ import annotations

import re

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import ANONYMOUS, World
from tenantcheck.families import keyed_contents, main_resource
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import poll, stored_keys


@pytest.mark.case("TC-07")
@pytest.mark.over(operations=["api.download"], variants=["api"], pairs="each")
def test_file_at_prefixed_key(world: World, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    template = world.settings.profile.api.download_key
    if "{tenant_id}" not in template:
        check.not_applicable(f"the profile's download_key {template!r} has no place for the tenant: no prefix to "
                             "check through the API")
    obj = world.downloadable(owner)
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
@pytest.mark.over(operations=keyed_contents, pairs="each")
@pytest.mark.needs("inspector")
def test_keys_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    """Every stored key of the owner's objects is the profile's key pattern with the owner's tenant in
    its place; the seeded object's key must be there."""
    owner, resource = subject.attacker, (subject.variant or "").removeprefix("storage.")
    assert owner is not None
    kv = world.spec(resource).storage.kv  # type: ignore[union-attr]
    assert kv is not None
    seeded = world.seeded(owner, resource)
    expected = world.stored_key(seeded, kv.key)
    policy = world.settings.env.policy
    keys = poll(lambda: stored_keys(inspector, kv), lambda found: expected in found,
                window=policy.consistency_window, interval=policy.poll_interval)
    objects = [obj for obj in list(world.created) if obj.owner == owner and obj.resource == resource]
    placed = {world.stored_key(obj, kv.key) for obj in objects}
    mine = [key for key in keys if any(obj.id in key for obj in objects)]
    misplaced = [key for key in mine if key not in placed]
    store = kv.namespace or kv.table
    if expected not in keys or misplaced:
        check.fail(oracle="storage", severity="high",
                   title=f"{owner}'s {resource} are not all stored at {kv.key} in {store}",
                   detail=f"expected key {expected!r} {'present' if expected in keys else 'missing'}; keys of "
                   f"{owner}'s {resource} that do not follow the pattern: {misplaced[:5]} ({inspector.describe()})")
    check.rests_on("data", f"{len(mine)} {store} key(s) of {owner}'s {resource} in {inspector.describe()}")


@pytest.mark.case("TC-07")
@pytest.mark.over(operations=main_resource("list"), variants=["storage.cache"], pairs="each")
@pytest.mark.needs("inspector")
def test_cache_keys_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    """Cached answers of the run are stored at keys that follow the profile's ``cache_storage`` pattern,
    with one of the run's tenants in its place."""
    owner = subject.attacker
    assert owner is not None
    cache = world.settings.profile.cache_storage
    if cache is None:
        check.not_applicable("the profile names no cache_storage")
    world.seeded(owner, world.main)  # what is cached holds marked data (else a misplaced entry shows nothing)
    warmed = [world.read(owner, str(subject.operation), {})]
    if world.settings.profile.operation("api.search"):
        warmed.append(world.read(owner, "api.search", {"query": world.search_word}))
    run = world.settings.run_id
    of_the_run = [key for key in stored_keys(inspector, cache) if run in key]
    store = cache.namespace or cache.table
    if not of_the_run:
        check.not_applicable(f"the target keeps no {store} entries of the run's requests ({inspector.describe()})")
    # Any tenant of the run may be in a key's tenant place (other workers' too: tc-<run>-w1-a).
    tenants = [re.escape(world.tenant_id(label)) for label in [*world.tenants, ANONYMOUS]]
    placed = key_pattern(cache.key, [*tenants, rf"tc-{re.escape(run)}(?:-w[0-9]+)?-[a-z]+"])
    misplaced = [key for key in of_the_run if not placed.fullmatch(key)]
    if misplaced:
        check.fail(oracle="storage", severity="high", replies=warmed,
                   title="cached responses of the run are stored under keys without their tenant",
                   detail=f"{store} keys that must follow {cache.key}: {misplaced[:5]} ({inspector.describe()})")
    check.rests_on("data", f"{len(of_the_run)} {store} key(s) of the run in {inspector.describe()}")


def key_pattern(pattern: str, tenants: list[str]) -> re.Pattern[str]:
    """A key pattern as a regular expression: {tenant_id} one of ``tenants`` (expressions), any other
    placeholder some text."""
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", pattern)
    alternatives = "|".join(tenants)
    return re.compile("".join(f"(?:{alternatives})" if part == "{tenant_id}" else ".+" if part.startswith("{")
                              else re.escape(part) for part in parts if part))
