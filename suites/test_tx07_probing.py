"""TX-07 identifier probing: malformed and injected tenant ids, in the identity header, the query and (where
it names the tenant) the path."""

from __future__ import annotations

import pytest

from tenantcheck.config.profile import Profile
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import ANONYMOUS, World
from tenantcheck.families import Target, main_resource, names_tenant
from tenantcheck.oracles import REFUSALS, denied, items_of, ok, victims_hold_data

PROBES = {
    "sql-or": "' OR '1'='1",
    "sql-comment": "{victim}'--",
    "percent": "%",
    "star": "*",
    "lookalike": "{lookalike}",
    "uppercase": "{upper}",
    "list": "{attacker},{victim}",
    "long": "a" * 300,
    "empty": "",
}


def probe_value(world: World, name: str, attacker: str, victim: str) -> str:
    victim_id = world.tenant_id(victim)
    return PROBES[name].format(
        victim=victim_id, attacker=world.tenant_id(attacker), upper=victim_id.upper(),
        lookalike=victim_id.replace("c", "\u0441", 1),  # Cyrillic es, looks like a Latin c
    )


def probes(profile: Profile) -> list[Target]:
    """Every probe in the identity header and the query of the main list, and in its path where the path
    names the tenant."""
    found = []
    for target in main_resource("list")(profile):
        places = ["header", "query", *(["path"] if names_tenant(profile, str(target.operation)) else [])]
        found += [Target(target.operation, f"{where}-{name}") for where in places for name in PROBES]
    return found


@pytest.mark.case("TX-07")
@pytest.mark.over(operations=probes)
def test_probe(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, variant = subject.attacker, subject.victim, subject.variant
    assert attacker and victim and variant
    where, name = variant.split("-", 1)
    identity = world.settings.profile.identity
    value = probe_value(world, name, attacker, victim)
    operation = str(subject.operation)
    op = world.operation(operation)
    spec = world.spec(world.main)

    def ids(answer: Reply) -> set[str]:
        items = items_of(check, answer, world, operation)
        return {str(item.get(spec.id_field)) for item in items if isinstance(item, dict)}

    # Positive control: the attacker's plain list works (a target that refuses or redirects everything is
    # not one that refuses every probe). What the sender sees without a probe is what it may see with one;
    # no seeding is needed, so this runs read-only too.
    plain = ids(world.read(attacker, operation, {}))
    # In header identity the probe replaces the identity header, so it is sent without one.
    sender = ANONYMOUS if world.settings.mode == "header" and where == "header" else attacker
    if where == "query" and identity.tenant_query is None:
        check.not_applicable("the profile names no tenant query parameter")
    if where == "path" and "tenant_id" not in op.path_fields():
        check.not_applicable(f"the path of {operation} does not name the tenant")

    def unprobed() -> set[str]:
        if sender == attacker:
            return ids(world.read(attacker, operation, {}))
        anonymous = world.actor(sender).call(op, world.values_base(sender))
        return ids(anonymous) if ok(anonymous) else set()

    if sender != attacker:
        plain = unprobed()
    if where == "header" and not identity.tenant_headers:
        check.not_applicable("the profile names no tenant header")
    if where == "header":
        reply = world.actor(sender).call(op, world.values_base(sender),
                                         headers={identity.tenant_headers[0]: value.encode()})
    elif where == "path":
        reply = world.actor(sender).call(op, {"tenant_id": value})
    else:
        reply = world.actor(sender).call(op, world.values_base(sender),
                                         path_suffix=f"?{identity.tenant_query}={value}")
    if not ok(reply):
        denied(world, check, reply, what=f"a list with a probed tenant id ({variant})", refusals=REFUSALS)
        return
    victims_hold_data(world, check, [victim])  # else a probe answered like the plain list proves nothing
    # After the probe: what the sender created meanwhile (in flight included) is its own, and what its plain
    # list shows once more afterwards (objects others made meanwhile, where lists are shared) is no gain.
    gained = ids(reply) - plain - world.created_by(sender)
    if gained and gained - unprobed():
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"a probed tenant id ({variant}) listed {world.main} objects its sender cannot list otherwise")
