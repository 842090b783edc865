"""RV-01, RV-02, RV-04: after a backup and restore, the seeded data is back, owned and consistent.

Collected only by ``tenantcheck verify`` (``--manifest``); RV-03 is the rest of the catalog, which runs
in the same session on the restored environment. Each check covers one resource of the profile, over
the objects the manifest holds of it.
"""

from __future__ import annotations

import pytest

from tenantcheck.config.profile import Profile
from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.families import Target
from tenantcheck.oracles import ok
from tenantcheck.restore.manifest import SeededObject
from tenantcheck.restore.verification import Restored


def readable(profile: Profile) -> list[Target]:
    """Every resource whose objects can be read back by their owner."""
    return [Target(name) for name, spec in profile.resources.items() if spec.getter]


def downloadable(profile: Profile) -> list[Target]:
    """The resource whose objects live at a stored key (``[api] download_resource``)."""
    resource = profile.api.download_resource
    return [Target(resource)] if resource else []


def read_back(world: World, restored: Restored, check: Check, subject: Subject) -> list[tuple[SeededObject, Reply]]:
    """Each seeded object of the subject's tenant and resource, read by its owner."""
    label, resource = str(subject.attacker), str(subject.operation)
    tenant = restored.tenant(label)
    seeded = tenant.of(resource)
    if not seeded:
        check.not_applicable(f"the manifest holds no {resource} of {label}")
    read = world.operation(f"{resource}.{world.spec(resource).getter}")
    base = {"tenant_id": tenant.tenant_id}
    return [(obj, world.poll(lambda o=obj: restored.actor(label).call(read, {**base, **o.address}), ok))  # type: ignore[misc]
            for obj in seeded]


def decide(check: Check, undecided: list[str], read: int) -> None:
    check.conclude()
    if undecided:
        check.inconclusive("the owner could not read: " + "; ".join(undecided))
    check.rests_on("data", f"the owner read back {read} object(s) of the manifest")


def differences(world: World, obj: SeededObject, reply: Reply) -> list[str]:
    """Fields whose value in the owner's read is not what seed wrote before the backup point."""
    getter = world.operation(f"{obj.resource}.{world.spec(obj.resource).getter}")
    body = reply.object(getter) if getter.response == "json" else None
    return [name for name, value in obj.content.items()
            if (body.get(name) != value if body is not None and name in body else value not in reply.text)]


@pytest.mark.case("RV-01")
@pytest.mark.over(operations=readable, pairs="seeded")
def test_seeded_objects_are_back(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    label, resource = subject.attacker, str(subject.operation)
    undecided = []
    seeded = read_back(world, restored, check, subject)
    for obj, reply in seeded:
        if reply.status in (404, 410):
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {resource} object of {label} is missing after the restore",
                          detail=f"{resource} {obj.id}")
        elif not ok(reply):
            undecided.append(f"{resource} {obj.id}: {reply.status}")
        elif changed := differences(world, obj, reply):
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {resource} object of {label} differs from the backup after the restore",
                          detail=f"{resource} {obj.id}: {', '.join(changed)} not what was seeded before the "
                          "backup point")
    decide(check, undecided, len(seeded))


@pytest.mark.case("RV-02")
@pytest.mark.over(operations=readable, pairs="seeded")
def test_seeded_objects_keep_their_owner(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    label, resource = str(subject.attacker), str(subject.operation)
    tenant_id = restored.tenant(label).tenant_id
    spec = world.spec(resource)
    getter = world.operation(f"{resource}.{spec.getter}")
    owner_field = spec.owner_field if getter.response == "json" else None  # a content answer names no owner
    undecided = []
    seeded = read_back(world, restored, check, subject)
    for obj, reply in seeded:
        body = reply.object(getter) if owner_field else None
        if reply.status in world.settings.deny_statuses and reply.status not in (404, 410):
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {resource} object of {label} no longer belongs to it after the restore",
                          detail=f"{resource} {obj.id}: its owner is refused ({reply.status})")
        elif not ok(reply):
            undecided.append(f"{resource} {obj.id}: {reply.status}")
        elif owner_field and body is not None and owner_field in body and body.get(owner_field) != tenant_id:
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {resource} object of {label} has another owner after the restore",
                          detail=f"{resource} {obj.id}: {owner_field} = {body.get(owner_field)!r}, "
                          f"expected {tenant_id!r}")
    decide(check, undecided, len(seeded))


@pytest.mark.case("RV-04")
@pytest.mark.over(operations=downloadable, pairs="seeded")
def test_stored_values_agree_with_the_rows(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    """An object listed under its parent has its stored value (by key), and a stored value its listing."""
    label, resource = str(subject.attacker), str(subject.operation)
    tenant = restored.tenant(label)
    seeded = [obj for obj in tenant.of(resource) if obj.key]
    if not seeded:
        check.not_applicable(f"the manifest holds no stored {resource} of {label}")
    spec = world.spec(resource)
    actor, base = restored.actor(label), {"tenant_id": tenant.tenant_id}
    listing_op, download = world.operation(f"{resource}.list"), world.operation("api.download")
    for obj in seeded:
        listing = actor.call(listing_op, {**base, **obj.address})
        value = actor.call(download, {**base, "key": obj.key})
        if not ok(listing):
            check.inconclusive(f"the owner cannot list {resource} around {obj.id}: {listing.status}")
        listed = any(isinstance(item, dict) and str(item.get(spec.id_field)) == obj.id
                     for item in listing.items(listing_op) or [])
        if listed and not ok(value):
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"a seeded {resource} object of {label} is listed but its stored value is gone "
                          "after the restore", detail=f"key {obj.key}: {value.status}")
        elif ok(value) and not listed:
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"a stored value of {label} has no listed {resource} object after the restore",
                          detail=str(obj.key))
        elif ok(value) and any(content not in value.text for content in obj.content.values()):
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"the stored value of a seeded {resource} object of {label} differs from the "
                          "listing's after the restore", detail=f"key {obj.key}")
    check.rests_on("data", f"{len(seeded)} seeded {resource} object(s) of {label} read by listing and by key")
    check.conclude()


@pytest.mark.case("RV-04")
@pytest.mark.over(variants=["deleted-tenant"], pairs="none")
def test_deleted_tenant_stays_deleted(world: World, restored: Restored, check: Check) -> None:
    if not restored.manifest.deleted:
        check.not_applicable("seed deleted no tenant before the backup (its provisioning cannot remove tenants)")
    admin = world.settings.profile.provisioning.admin
    readers = [tenant.label for tenant in restored.manifest.tenants]
    for gone in restored.manifest.deleted:
        if world.admin is not None and admin is not None and admin.list is not None:
            listed = world.admin.call(admin.list, {})
            ids = {str(item.get(admin.tenant_id_field)) for item in listed.items(admin.list) or []
                   if isinstance(item, dict)}
            if gone.tenant_id in ids:
                check.finding(oracle="manifest", severity="critical", replies=[listed],
                              title="a tenant deleted before the backup point is back after the restore")
        for obj in gone.objects:
            read = world.operation(f"{obj.resource}.{world.spec(obj.resource).getter}")
            for label in readers:
                reply = restored.actor(label).call(read, {"tenant_id": restored.tenant(label).tenant_id,
                                                          **obj.address})
                if ok(reply):
                    check.finding(oracle="manifest", severity="critical", replies=[reply],
                                  title="data of a tenant deleted before the backup point is served after the restore",
                                  detail=f"{obj.resource} {obj.id} of {gone.tenant_id} read by {label}")
    check.rests_on("data", f"{sum(len(gone.objects) for gone in restored.manifest.deleted)} object(s) of "
                   "deleted tenants asked for by every seeded tenant")
    check.conclude()
