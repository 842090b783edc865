"""TC-08 default tenant: a request without identity is refused (strict) or acts as the default tenant
and never sees another tenant's data (lenient); for every resource's reads and the main create."""

from __future__ import annotations

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.world import ANONYMOUS, World
from tenantcheck.families import stored_creates, without_identity
from tenantcheck.inspectors import StorageInspector
from tenantcheck.inspectors.queries import rows_of, stored_keys
from tenantcheck.oracles import REFUSALS, control, denied, items_of, ok, owner_field_is, victims_hold_data


@pytest.mark.case("TC-08")
@pytest.mark.over(operations=without_identity, pairs="anonymous")
def test_request_without_identity(world: World, check: Check, subject: Subject) -> None:
    victim, operation = subject.victim, subject.operation
    assert victim and operation
    resource, kind = operation.split(".", 1)
    spec = world.spec(resource)
    op = world.operation(operation)
    # Where a path names the tenant, the anonymous caller names the victim's (the scope it tries to reach).
    strict = world.settings.env.target.strict  # strict: any create is an attempt; lenient: the default's own
    values = {**world.values(ANONYMOUS, resource, attack=strict), **world.values_base(victim)}
    reads_object = kind == spec.getter
    obj = world.seeded(victim, resource)  # the victim's data is there to leak (else nothing is evidence)
    if reads_object:
        values.update(obj.address)
        control(world, victim, operation, obj.address, expect=world.expected(obj))
    created = None
    with world.creates.under_way(ANONYMOUS):  # registered before a list of the anonymous sender is compared
        reply = world.actor(ANONYMOUS).call(op, values)
        if kind == spec.creator and ok(reply):
            created = world.adopt(ANONYMOUS, resource, reply, values, None)
    if world.settings.env.target.strict:
        if reply.status in (*REFUSALS, *world.settings.deny_statuses):
            check.rests_on("refusal", f"{operation} without identity was refused with {reply.status}")
            return
        if reply.unavailable:
            check.inconclusive(f"the target answered {reply.status}")
        check.fail(oracle="denial", severity="high", replies=[reply],
                   title=f"a strict environment answered {reply.status} to {operation} without identity",
                   detail="strict tenant validation must refuse a request without identity (401)")
    if reads_object:
        denied(world, check, reply, what=f"a read of {resource} without identity", operation=op)
    elif kind == "list":
        victims_hold_data(world, check, [victim], resource)
        items = items_of(check, reply, world, operation)
        own = world.created_by(ANONYMOUS, resource)  # after the listing
        strangers = sorted({str(item.get(spec.id_field)) for item in items if isinstance(item, dict)} - own)
        if strangers:
            check.fail(oracle="list", severity="critical", replies=[reply],
                       title=f"{operation} without identity returns objects the default tenant did not create",
                       detail=f"{len(strangers)} foreign item(s): {', '.join(strangers[:5])}")
    else:
        if created is None:
            check.inconclusive(f"a create without identity answered {reply.status}")
        owner_field_is(world, check, reply, reply.object(op), ANONYMOUS,
                       what=f"a {resource} object created without identity", resource=resource)
        check.rests_on("data", f"the {resource} object created without identity was read from the create's answer")


@pytest.mark.case("TC-08")
@pytest.mark.over(operations=stored_creates, pairs="none")
@pytest.mark.needs("inspector")
def test_default_tenant_in_storage(world: World, inspector: StorageInspector, check: Check, subject: Subject) -> None:
    """An object made without identity (and its parents) is stored as the default tenant's, in its home
    row and at its key."""
    if world.settings.env.target.strict:
        check.not_applicable("a strict environment refuses requests without identity: nothing is stored for "
                             "the default tenant")
    resource = str(subject.operation).split(".", 1)[0]
    spec = world.spec(resource)
    assert spec.storage is not None
    default = world.tenant_id(ANONYMOUS)
    parent = world.new(ANONYMOUS, spec.parent) if spec.parent else None
    obj = world.new(ANONYMOUS, resource, parent)
    home = spec.storage.tables[0]
    found = [row.get("owner") for row in rows_of(inspector, home, [obj.id])]
    where = f"{home.table}.{home.owner_column} of {obj.describe()}"
    if not found:
        check.inconclusive(f"{where} is not in {inspector.describe()}: does [inspector] point at the target's "
                           "database?")
    if set(found) != {default}:
        check.fail(oracle="storage", severity="high",
                   title=f"a {resource} object created without identity is stored with another tenant id",
                   detail=f"{where} is {found}, expected the default tenant {default!r}")
    kv = spec.storage.kv
    if kv is not None:
        key = world.stored_key(obj, kv.key)
        keys = stored_keys(inspector, kv)
        if key not in keys:
            check.fail(oracle="storage", severity="high",
                       title=f"a {resource} object stored without identity is not at the default tenant's key",
                       detail=f"expected key {key!r} in {kv.namespace or kv.table}; keys naming it: "
                       f"{[k for k in keys if obj.id in k][:5]} ({inspector.describe()})")
    check.rests_on("data", f"{where} read from {inspector.describe()}")
