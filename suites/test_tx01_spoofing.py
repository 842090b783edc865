"""TX-01 identity spoofing: A's credentials naming B by header (and its variants), query string or body.

In ``header`` identity the bare header *is* the identity: a client that only knows B's id acts as B.
That is reported once, as "identity is self-asserted".
"""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import World
from tenantcheck.oracles import REFUSALS, denied, items_of, ok, victims_hold_data

VARIANTS = ["header-1", "header-2", "header-lowercase", "header-uppercase", "header-underscore", "query",
            "header-value-upper", "header-value-nbsp", "query-value-upper", "query-value-spaces",
            "query-value-tab", "query-value-nbsp"]
# The victim's id as a lenient parser may still take it: upper case, or wrapped in white space that a
# trim() removes. HTTP/1.1 strips spaces and tabs around a header value before the target sees it (a
# client may not even send them), so a header tries only case and non-breaking spaces (which str.strip,
# String.trim and friends remove); the query string tries them all, percent-encoded.
VALUE_FORMS = {"upper": ("{}", str.upper), "spaces": ("%20{}%20", str), "tab": ("%09{}%09", str),
               "nbsp": ("\u00a0{}\u00a0", str)}
QUERY_NBSP = "%C2%A0{}%C2%A0"


def spoof(world: World, variant: str, victim_id: str) -> tuple[dict[str, str | bytes], str]:
    """Headers and a query suffix that claim ``victim_id`` in the way ``variant`` names."""
    identity = world.settings.profile.identity
    names = identity.tenant_headers
    where, _, form = variant.partition("-value-")
    if where == "query" or variant == "query":
        if identity.tenant_query is None:
            Check.not_applicable("the profile names no tenant query parameter")
        if not form:
            return {}, f"?{identity.tenant_query}={victim_id}"
        template, case = VALUE_FORMS[form]
        return {}, f"?{identity.tenant_query}={(QUERY_NBSP if form == 'nbsp' else template).format(case(victim_id))}"
    value: str | bytes = victim_id
    if form:
        template, case = VALUE_FORMS[form]
        name, value = names[0], template.format(case(victim_id)).encode()
    elif variant in ("header-1", "header-2"):
        index = int(variant[-1]) - 1
        if index >= len(names):
            Check.not_applicable(f"the profile names {len(names)} tenant header(s)")
        name = names[index]
    else:
        name = {"header-lowercase": names[0].lower(), "header-uppercase": names[0].upper(),
                # some proxies and frameworks turn underscores into dashes
                "header-underscore": names[0].replace("-", "_")}[variant]
    if world.settings.mode == "header" and name.lower() == names[0].lower():
        Check.not_applicable("in header identity this header is the identity itself (see TX-01[self-asserted])")
    return {name: value}, ""


@pytest.mark.case("TX-01")
@pytest.mark.over(operations=["projects.get", "projects.list"], variants=VARIANTS)
def test_spoofed_identity(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation, variant = subject.attacker, subject.victim, subject.operation, subject.variant
    assert attacker and victim and operation and variant
    project = world.seeded_project(victim)
    headers, query = spoof(world, variant, world.tenant_id(victim))
    op = world.operation(operation)
    reply = world.actor(attacker).call(op, {**world.values_base(attacker), "id": project.id}, headers=headers,
                                       path_suffix=query)
    if operation == "projects.get":
        denied(world, check, reply, what=f"a read claiming the owner's identity ({variant})", refusals=REFUSALS)
        return
    if not ok(reply):
        denied(world, check, reply, what="a list claiming another identity", refusals=REFUSALS)
        return
    victims_hold_data(world, check, [victim])  # the spoofed list answered: the victim's project could be in it
    spec = world.settings.profile.resource("projects")
    assert spec is not None
    ids = {str(item.get(spec.id_field)) for item in items_of(check, reply, world, operation) if isinstance(item, dict)}
    if ids - world.created_by(attacker):  # after the listing: every project of the attacker's in it is in there
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"{attacker} listed another tenant's projects by claiming its identity ({variant})")


@pytest.mark.case("TX-01")
@pytest.mark.over(operations=["projects.update"], variants=["body"])
def test_spoofed_identity_in_body(world: World, check: Check, subject: Subject) -> None:
    attacker, victim = subject.attacker, subject.victim
    assert attacker and victim
    field = world.settings.profile.identity.tenant_body_field
    if field is None:
        check.not_applicable("the profile names no tenant body field")
    op = world.operation("projects.update")
    project = world.new_project(victim)
    values = {**world.values_base(attacker), "id": project.id, "name": f"renamed by {attacker}",
              "description": f"renamed by {attacker}"}
    body = {**(op.render_body(values) or {}), field: world.tenant_id(victim)}
    reply = world.actor(attacker).call(op, values, body=body)
    denied(world, check, reply, what="an update claiming the owner's identity in the body", refusals=REFUSALS)
    reread = world.read(victim, "projects.get", {"id": project.id})
    if project.name not in reread.text:
        check.fail(oracle="state", severity="critical", replies=[reply, reread],
                   title=f"{attacker} changed another tenant's project by naming it in the body")


@pytest.mark.case("TX-01")
@pytest.mark.over(operations=["projects.get"], variants=["self-asserted"], pairs="none")
def test_identity_needs_a_secret(world: World, check: Check) -> None:
    """Knowing a tenant's id must not be enough to act as it."""
    victim = "tenant-a"
    project = world.seeded_project(victim)
    op = world.operation("projects.get")
    header = world.settings.profile.identity.tenant_headers[0]
    if world.settings.mode == "header":
        # The victim's own client sends exactly this request: its id in the header, no secret.
        reply = world.actor(victim).call(op, {**world.values_base(victim), "id": project.id})
    else:
        reply = world.actor("anonymous").call(op, {"tenant_id": world.tenant_id(victim), "id": project.id},
                                              headers={header: world.tenant_id(victim)})
    if ok(reply) and world.markers[victim] in reply.text:
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"identity is self-asserted: a client that only names {victim}'s id in {header} acts as it",
                   detail="requests carry no secret; any caller can name any tenant")
    denied(world, check, reply, what="a read with only the tenant id", refusals=REFUSALS)
