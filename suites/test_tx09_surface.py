"""TX-09 surface sweep: paths outside the resource model (the profile's ``[surface]`` and a built-in list of
common debug, admin, health, metrics and backup routes), each requested anonymously and as a foreign
tenant (placeholders name the victim's tenant and its main object).

401, 403, 404 and 405 keep a path shut. Any other answer is scanned: another tenant's marker is a canary
leak (the engine's scan, for every answer), and data that should need identity (environment or binding
names, credential presence, stack traces, database errors, server paths) is a finding. With an
inspector, storage is compared before and after: a GET that wrote is a finding. The checks run alone
(``serial``), so that the writes of checks beside them are not taken for the sweep's.
"""

from __future__ import annotations

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
from tenantcheck.surface import INTERNALS, SHUT, disclosures


def fill_path(world: World, path: str, victim: str) -> str:
    """The path with the victim's tenant id and its main object's id in place of the placeholders."""
    values: dict[str, Any] = {"tenant_id": world.tenant_id(victim)}
    if "id" in PLACEHOLDER.findall(path):
        try:
            values["id"] = world.seeded(victim, world.main).id
        except (NotApplicable, Inconclusive) as error:
            raise Inconclusive(f"{path} names {{id}}, and {victim} has no object to name: {error}") from None
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), path)


@pytest.mark.case("TX-09")
@pytest.mark.serial
@pytest.mark.over(operations=surface, pairs="none")
def test_surface_path(world: World, inspector: StorageInspector | None, check: Check, subject: Subject) -> None:
    template = str(subject.variant)
    labels = sorted(world.tenants)
    victim, foreign = labels[0], labels[1] if len(labels) > 1 else None
    path = fill_path(world, template, victim)
    callers = ["anonymous", *([foreign] if foreign else [])]
    answered: list[tuple[str, Reply]] = []
    statuses: set[int] = set()
    changes: list[str] = []
    for caller in callers:
        before = snapshot(inspector) if inspector is not None else None
        reply = world.actor(caller).request("GET", path, template=f"GET {template}")
        if before is not None and inspector is not None:
            ours = {*(world.tenant_id(label) for label in world.tenants), *(obj.id for obj in list(world.created))}
            changes += [f"{change} (after {caller}'s GET)" for change in written(before, snapshot(inspector),
                                                                                  ignore=ours)]
        statuses.add(reply.status)
        if reply.status not in SHUT:
            answered.append((caller, reply))
    if changes:
        check.finding(oracle="write", severity="high", replies=[reply for _, reply in answered] or [reply],
                      title=f"a GET of {template} wrote to storage", detail="; ".join(changes))
    disclosed = [(caller, reply, found) for caller, reply in answered if (found := disclosures(reply.text))]
    if disclosed:
        caller, reply, found = disclosed[0]
        who = "anyone (no identity)" if caller == "anonymous" else f"{caller}, a tenant it does not concern"
        also = [other for other, _, _ in disclosed[1:]]
        # Names of the environment and of configured credentials point at a takeover: high. Internals
        # alone (a stack trace, a database error, a path) help an attacker less: medium.
        internals = all(label in INTERNALS for label in found)
        check.finding(oracle="disclosure", severity="medium" if internals else "high", replies=[reply],
                      title=f"{template} answers {who} with data that should need identity",
                      detail=f"status {reply.status}; holds: {'; '.join(found)}"
                      + (f"; {', '.join(also)} got it too" if also else ""))
    check.conclude()
    if not answered:
        check.rests_on("refusal", f"{template} was shut to {' and '.join(callers)} "
                       f"({', '.join(str(status) for status in sorted(statuses))})")
        return
    victims_hold_data(world, check, [victim])
    watched = f"; storage compared before and after through {inspector.describe()}" if inspector else \
        "; writes not checked (no inspector)"
    check.rests_on("data", f"{template} answered {', '.join(f'{c} {r.status}' for c, r in answered)}, scanned for "
                   f"markers and disclosures{watched}")
