"""TX-01 identity spoofing: A's credentials naming B by header (and its variants), query string or body.

In ``header`` identity the bare header *is* the identity: a client that only knows B's id acts as B.
That is reported once, as "identity is self-asserted".
"""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import ANONYMOUS, World
from tenantcheck.families import main_read, main_resource
from tenantcheck.oracles import REFUSALS, denied, items_of, object_state, ok, unchanged, victims_hold_data

VARIANTS = ["header-1", "header-2", "bearer", "header-lowercase", "header-uppercase", "header-underscore", "query",
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
    if variant == "bearer":  # sent without the attacker's credential: the bare id is the whole claim
        if not identity.tenant_bearer:
            Check.not_applicable("the profile does not say the target takes a bare bearer string as the tenant id")
        return {"Authorization": f"Bearer {victim_id}"}, ""
    where, _, form = variant.partition("-value-")
    if where != "query" and variant != "query" and not names:
        Check.not_applicable("the profile names no tenant header")
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
@pytest.mark.over(operations=main_resource("get", "list"), variants=VARIANTS)
def test_spoofed_identity(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation, variant = subject.attacker, subject.victim, subject.operation, subject.variant
    assert attacker and victim and operation and variant
    resource = world.main
    obj = world.seeded(victim, resource)
    headers, query = spoof(world, variant, world.tenant_id(victim))
    sender = ANONYMOUS if variant == "bearer" else attacker
    op = world.operation(operation)
    # Where a path names the tenant, it names the claimed one too (a claim the path contradicts is refused
    # by any target): the attacker asks for the victim's scope with its own credential plus the claim.
    reply = world.actor(sender).call(op, {**world.values_base(victim), **obj.address}, headers=headers,
                                       path_suffix=query)
    if not operation.endswith(".list"):
        denied(world, check, reply, what=f"a read claiming the owner's identity ({variant})", refusals=REFUSALS)
        return
    if not ok(reply):
        denied(world, check, reply, what="a list claiming another identity", refusals=REFUSALS)
        return
    victims_hold_data(world, check, [victim])  # the spoofed list answered: the victim's object could be in it
    spec = world.spec(resource)
    ids = {str(item.get(spec.id_field)) for item in items_of(check, reply, world, operation) if isinstance(item, dict)}
    # The same list without the claim: what it holds anyway is a list leak (TC-01's), not a spoofing one.
    plain = {str(item.get(spec.id_field)) for item in items_of(check, world.read(sender, operation, {}), world,
                                                                operation) if isinstance(item, dict)}
    gained = ids - plain - world.created_by(sender, resource)  # after the listings: the attacker's own are in
    if gained:
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"{attacker} listed another tenant's {resource} by claiming its identity ({variant})",
                   detail=f"{len(gained)} item(s) that the same list without the claim does not show")


@pytest.mark.case("TX-01")
@pytest.mark.over(operations=main_resource("update"), variants=["body"])
def test_spoofed_identity_in_body(world: World, check: Check, subject: Subject) -> None:
    attacker, victim, operation = subject.attacker, subject.victim, subject.operation
    assert attacker and victim and operation
    field = world.settings.profile.identity.tenant_body_field
    if field is None:
        check.not_applicable("the profile names no tenant body field")
    resource = world.main
    op = world.operation(operation)
    getter = f"{resource}.{world.spec(resource).getter}"
    obj = world.spare(victim, resource)
    extract = object_state(world, resource)
    before = extract(world.read(victim, getter, obj.address))
    values = {**world.values(attacker, resource, attack=True), **world.values_base(attacker), **obj.address}
    rendered = op.render_body(values)
    if not isinstance(rendered, dict):
        check.not_applicable(f"{operation} has no JSON or form body to name a tenant in")
    reply = world.actor(attacker).call(op, values, body={**rendered, field: world.tenant_id(victim)})
    unchanged(world, check, victim, getter, obj.address, extract=extract, expected=before, attempt=reply,
              what=f"a {resource} object (naming its owner in the body)")
    denied(world, check, reply, what="an update claiming the owner's identity in the body", refusals=REFUSALS)


@pytest.mark.case("TX-01")
@pytest.mark.over(operations=main_read, variants=["self-asserted"], pairs="none")
def test_identity_needs_a_secret(world: World, check: Check, subject: Subject) -> None:
    """Knowing a tenant's id must not be enough to act as it."""
    victim, operation = "tenant-a", str(subject.operation)
    identity = world.settings.profile.identity
    if not identity.tenant_headers:
        check.not_applicable("the profile names no tenant header to assert an identity with")
    obj = world.seeded(victim, world.main)
    op = world.operation(operation)
    header = identity.tenant_headers[0]
    if world.settings.mode == "header":
        # The victim's own client sends exactly this request: its id in the header, no secret.
        reply = world.actor(victim).call(op, {**world.values_base(victim), **obj.address})
    else:
        reply = world.actor("anonymous").call(op, {**world.values_base(victim), **obj.address},
                                              headers={header: world.tenant_id(victim)})
    if ok(reply) and world.expected(obj) in reply.text:
        check.fail(oracle="identity", severity="critical", replies=[reply],
                   title=f"identity is self-asserted: a client that only names {victim}'s id in {header} acts as it",
                   detail="requests carry no secret; any caller can name any tenant")
    denied(world, check, reply, what="a read with only the tenant id", refusals=REFUSALS)
