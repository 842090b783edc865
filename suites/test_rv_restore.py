"""RV-01, RV-02, RV-04: after a backup and restore, the seeded data is back, owned and consistent.

Collected only by ``tenantcheck verify`` (``--manifest``); RV-03 is the rest of the catalog, which runs
in the same session on the restored environment.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tenantcheck.engine.checks import Check, Subject
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import World
from tenantcheck.oracles import ok
from tenantcheck.restore.manifest import digest
from tenantcheck.restore.verification import Restored

KINDS = ["projects", "deployments", "files"]


def objects(restored: Restored, label: str, kind: str) -> list[tuple[str, dict[str, Any], str]]:
    """(what, values for the read, expected content digest) for each seeded object of one kind."""
    tenant = restored.tenant(label)
    if kind == "projects":
        return [(f"project {p.id}", {"id": p.id}, p.hash) for p in tenant.projects]
    if kind == "deployments":
        return [(f"deployment {d.id}", {"id": d.id, "project_id": d.project_id}, d.project_id)
                for d in tenant.deployments]
    return [(f"file {f.path}", {"project_id": f.project_id, "file_path": f.path}, f.sha256) for f in tenant.files]


def content_digest(kind: str, reply: Reply, world: World) -> str:
    if kind == "projects":
        body = reply.object(world.operation("projects.get")) or {}
        return digest(str(body.get("name")), str(body.get("description")))
    if kind == "deployments":
        return str((reply.object(world.operation("deployments.get")) or {}).get("project_id"))
    return hashlib.sha256(reply.text.encode()).hexdigest()


READ = {"projects": "projects.get", "deployments": "deployments.get", "files": "files.read"}


def read_back(world: World, restored: Restored, check: Check, subject: Subject) -> list[tuple[str, Reply, str]]:
    """Each seeded object of the subject's tenant and kind, read by its owner: (what, reply, expected digest)."""
    label, kind = subject.attacker, subject.operation
    assert label and kind
    seeded = objects(restored, label, kind)
    if not seeded:
        check.not_applicable(f"the manifest holds no {kind} of {label}")
    read, base = world.operation(READ[kind]), {"tenant_id": restored.tenant(label).tenant_id}
    return [(what, world.poll(lambda v=values: restored.actor(label).call(read, {**base, **v}), ok), expected)  # type: ignore[misc]
            for what, values, expected in seeded]


def decide(check: Check, undecided: list[str], read: int) -> None:
    check.conclude()
    if undecided:
        check.inconclusive("the owner could not read: " + "; ".join(undecided))
    check.rests_on("data", f"the owner read back {read} object(s) of the manifest")


@pytest.mark.case("RV-01")
@pytest.mark.over(operations=KINDS, pairs="seeded")
def test_seeded_objects_are_back(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    label, kind = subject.attacker, str(subject.operation)
    undecided = []
    seeded = read_back(world, restored, check, subject)
    for what, reply, expected in seeded:
        if reply.status == 404:
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {kind[:-1]} of {label} is missing after the restore", detail=what)
        elif not ok(reply):
            undecided.append(f"{what}: {reply.status}")
        elif content_digest(kind, reply, world) != expected:
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {kind[:-1]} of {label} differs from the backup after the restore",
                          detail=f"{what}: not what was seeded before the backup point")
    decide(check, undecided, len(seeded))


@pytest.mark.case("RV-02")
@pytest.mark.over(operations=KINDS, pairs="seeded")
def test_seeded_objects_keep_their_owner(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    label, kind = str(subject.attacker), str(subject.operation)
    tenant_id = restored.tenant(label).tenant_id
    spec = world.settings.profile.resource(kind)
    owner_field = spec.owner_field if spec and kind != "files" else None  # file reads answer plain text
    undecided = []
    seeded = read_back(world, restored, check, subject)
    for what, reply, _ in seeded:
        body = reply.object(world.operation(READ[kind])) if owner_field else None
        if reply.status in world.settings.deny_statuses:
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {kind[:-1]} of {label} no longer belongs to it after the restore",
                          detail=f"{what}: its owner is refused ({reply.status})")
        elif not ok(reply):
            undecided.append(f"{what}: {reply.status}")
        elif owner_field and body is not None and body.get(owner_field) != tenant_id:
            check.finding(oracle="manifest", severity="critical", replies=[reply],
                          title=f"a seeded {kind[:-1]} of {label} has another owner after the restore",
                          detail=f"{what}: {owner_field} = {body.get(owner_field)!r}, expected {tenant_id!r}")
    decide(check, undecided, len(seeded))


@pytest.mark.case("RV-04")
@pytest.mark.over(operations=["files"], pairs="seeded")
def test_kv_agrees_with_d1(world: World, restored: Restored, check: Check, subject: Subject) -> None:
    label = subject.attacker
    assert label
    tenant = restored.tenant(label)
    if not tenant.files:
        check.not_applicable(f"the manifest holds no files of {label}")
    actor, base = restored.actor(label), {"tenant_id": tenant.tenant_id}
    listing_op, download = world.operation("files.list"), world.operation("api.download")
    for file in tenant.files:
        project = actor.call(world.operation("projects.get"), {**base, "id": file.project_id})
        listing = actor.call(listing_op, {**base, "project_id": file.project_id})
        value = actor.call(download, {**base, "key": file.kv_key})
        if not ok(project) or not ok(listing):
            check.inconclusive(f"the owner cannot read project {file.project_id}: {project.status}/{listing.status}")
        rows = [item for item in listing.items(listing_op) or [] if isinstance(item, dict)
                and item.get("file_path") == file.path]
        if not ok(value) and rows:
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"D1 lists a seeded file of {label} whose KV value is gone after the restore",
                          detail=f"key {file.kv_key}: {value.status}")
        elif ok(value) and rows and rows[0].get("hash") not in (None, hashlib.sha256(value.text.encode()).hexdigest()):
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"KV and D1 disagree on a seeded file of {label} after the restore",
                          detail=f"key {file.kv_key}: the KV value's sha256 is not D1's file hash")
        elif ok(value) and not rows:
            check.finding(oracle="manifest", severity="high", replies=[value, listing],
                          title=f"a KV value of {label} has no D1 row after the restore", detail=file.kv_key)
    check.rests_on("data", f"{len(tenant.files)} seeded file(s) of {label} read through D1 and KV")
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
        for project_id in gone.project_ids:
            for label in readers:
                reply = restored.actor(label).call(world.operation("projects.get"),
                                                   {"tenant_id": restored.tenant(label).tenant_id, "id": project_id})
                if ok(reply):
                    check.finding(oracle="manifest", severity="critical", replies=[reply],
                                  title="data of a tenant deleted before the backup point is served after the restore",
                                  detail=f"project {project_id} of {gone.tenant_id} read by {label}")
    check.rests_on("data", f"{sum(len(gone.project_ids) for gone in restored.manifest.deleted)} project(s) of "
                   "deleted tenants asked for by every seeded tenant")
    check.conclude()
