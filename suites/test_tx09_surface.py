"""TX-09 surface sweep: paths outside the resource model (the profile's ``[surface]`` and a built-in list of
common debug, admin, health, metrics and backup routes), each requested anonymously and as a foreign
tenant (placeholders name the victim's tenant and its main object).

401, 403, 404 and 405 keep a path shut. Any other answer is scanned: another tenant's marker is a canary
leak (the engine's scan, for every answer), and data that should need identity (environment or binding
names, credential presence, stack traces, database errors, server paths) is a finding.

With an inspector, one more check (``TX-09[writes]``) compares storage before and after the whole sweep,
sent beside the other checks while none of them writes (a removal could hide an added row: rows are
counted by rowid, keys listed; an update in place is not seen). Where rows or keys were added, by a GET of
the sweep or by a check beside it, it sweeps again with the target to itself (``Http.quiet``), and if
storage still grows, one path at a time to name the GETs that wrote. The run's own rows and keys (naming
its tenants, objects or run id) never count.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tenantcheck.config.profile import PLACEHOLDER
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.errors import Inconclusive, NotApplicable
from tenantcheck.families import surface
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import snapshot, written
from tenantcheck.oracles import victims_hold_data
from tenantcheck.surface import INTERNALS, SHUT, disclosures, surface_paths


def fill_path(world: World, path: str, victim: str) -> str:
    """The path with the victim's tenant id and its main object's id in place of the placeholders."""
    values: dict[str, Any] = {"tenant_id": world.tenant_id(victim)}
    if "id" in PLACEHOLDER.findall(path):
        try:
            values["id"] = world.seeded(victim, world.main).id
        except (NotApplicable, Inconclusive) as error:
            raise Inconclusive(f"{path} names {{id}}, and {victim} has no object to name: {error}") from None
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), path)


def sweep(world: World, *templates: str) -> tuple[str, list[tuple[str, Reply]]]:
    """The victim and what anonymous and a foreign tenant got for each of ``templates`` (all at once)."""
    labels = sorted(world.tenants)
    victim = labels[0]
    callers = ["anonymous", *labels[1:2]]
    calls = [(caller, partial(world.actor(caller).request, "GET", fill_path(world, template, victim),
                              template=f"GET {template}")) for template in templates for caller in callers]
    assert world.http is not None
    replies = world.http.gather([call for _, call in calls])
    return victim, [(caller, reply) for (caller, _), reply in zip(calls, replies, strict=True)]


@pytest.mark.case("TX-09")
@pytest.mark.over(operations=surface, pairs="none")
def test_surface_path(world: World, check: Check, subject: Subject) -> None:
    template = str(subject.variant)
    victim, got = sweep(world, template)
    answered = [(caller, reply) for caller, reply in got if reply.status not in SHUT]
    if not answered:
        check.rests_on("refusal", f"{template} was shut to {' and '.join(caller for caller, _ in got)} "
                       f"({', '.join(str(status) for status in sorted({reply.status for _, reply in got}))})")
        return
    disclosed = [(caller, reply, found) for caller, reply in answered if (found := disclosures(reply.text))]
    if disclosed:
        caller, reply, found = disclosed[0]
        who = "anyone (no identity)" if caller == "anonymous" else f"{caller}, a tenant it does not concern"
        also = [other for other, _, _ in disclosed[1:]]
        # Names of the environment and of configured credentials point at a takeover: high. Internals
        # alone (a stack trace, a database error, a path) help an attacker less: medium.
        internals = all(label in INTERNALS for label in found)
        check.fail(oracle="disclosure", severity="medium" if internals else "high", replies=[reply],
                   title=f"{template} answers {who} with data that should need identity",
                   detail=f"status {reply.status}; holds: {'; '.join(found)}"
                   + (f"; {', '.join(also)} got it too" if also else ""))
    victims_hold_data(world, check, [victim])
    check.rests_on("data", f"{template} answered {', '.join(f'{c} {r.status}' for c, r in answered)}, scanned for "
                   "markers and disclosures")


@pytest.mark.case("TX-09")
@pytest.mark.needs("inspector")
@pytest.mark.over(variants=["writes"], pairs="none")
def test_surface_writes(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    templates = surface_paths(world.settings.profile)
    if not templates:
        check.not_applicable("the profile sweeps no path ([surface] builtin = false and no paths)")
    assert world.http is not None

    def wrote(paths: list[str]) -> tuple[list[str], list[Reply]]:
        before = snapshot(inspector)
        replies = [reply for _, reply in sweep(world, *paths)[1]]
        after = snapshot(inspector)
        # Taken after the sweep: what checks beside it created is the run's own too.
        ours = {world.settings.run_id, *(world.tenant_id(label) for label in world.tenants),
                *(obj.id for obj in list(world.created))}
        return written(inspector, before, after, ignore=ours), replies

    with world.http.writes.exclusive():
        changes, _ = wrote(templates)
    localized: list[tuple[str, list[str], list[Reply]]] = []
    if changes:  # by a GET of the sweep, or by a check beside it: again with the target to ourselves
        with world.http.quiet():
            changes, _ = wrote(templates)
            if changes:
                localized = [(template, *wrote([template])) for template in templates]
    if not changes:
        # A GET that rewrites or "fixes" tenants' data has nothing to show on a target holding none.
        victims_hold_data(world, check, sorted(world.tenants)[:1])
        check.rests_on("data", f"storage ({inspector.describe()}) compared before and after {len(templates)} "
                       "paths, each requested anonymously and as a foreign tenant: nothing added")
        return
    for template, found, replies in localized:  # one at a time: which GETs wrote
        if found:
            check.finding(oracle="write", severity="high", replies=replies,
                          title=f"a GET of {template} wrote to storage",
                          detail=f"after anonymous and a foreign tenant requested it: {'; '.join(found)}")
    check.conclude()
    check.inconclusive(f"storage changed during the sweep ({'; '.join(changes)}) and no path did it again alone")
