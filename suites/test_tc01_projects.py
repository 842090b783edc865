"""TC-01 project isolation: each tenant lists its projects and sees exactly its own."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import items_of, owner_field_is, victims_hold_data


@pytest.mark.case("TC-01")
@pytest.mark.over(operations=["projects.list"], pairs="each")
def test_list_holds_exactly_own_projects(world: World, check: Check, subject: Subject) -> None:
    owner = subject.attacker
    assert owner is not None
    seeded = world.seeded_project(owner)
    victims_hold_data(world, check, [label for label in world.tenants if label != owner])
    reply = world.read(owner, "projects.list", {})
    own = world.created_by(owner)  # after the listing: every project in it that the owner made is in here
    items = items_of(check, reply, world, "projects.list")
    id_field = world.settings.profile.resource("projects").id_field  # type: ignore[union-attr]
    ids = {str(item.get(id_field)) for item in items if isinstance(item, dict)}
    if seeded.id not in ids:
        check.inconclusive(f"{owner}'s own seeded project {seeded.id} is missing from its list")
    strangers = sorted(ids - own)
    for item in items:
        owner_field_is(world, check, reply, item, owner, what="a listed project", resource="projects")
    if strangers:
        check.fail(oracle="list", severity="critical", replies=[reply],
                   title=f"{owner}'s project list holds projects it did not create",
                   detail=f"{len(strangers)} foreign item(s): {', '.join(strangers[:5])}")
