"""``tenantcheck seed``: provision tenants and data before a backup, keep them, write the manifest.

``tenantcheck verify`` is ``tenantcheck run --manifest ...``: the RV suite (suites/test_rv_restore.py)
checks the seeded objects and the whole catalog runs on the restored environment.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from tenantcheck.config.environment import load_environment
from tenantcheck.config.profile import load_profile
from tenantcheck.engine.world import Obj, Settings, World
from tenantcheck.errors import ConfigError, TenantcheckError
from tenantcheck.restore.manifest import DeletedTenant, Manifest, SeededObject, SeededTenant, write_manifest
from tenantcheck.run.recording import Recorder

SEED_PREFIX = "tcseed"


def seed(env_name: str, manifest_path: Path, *, tenants: int, keys_path: Path | None) -> int:
    """Seed ``tenants`` tenants on the environment, plus one deleted before the backup point."""
    env = load_environment(env_name)
    if env.target.embedded:
        raise ConfigError("seed needs a target that outlives the command: an environment with base_url")
    assert env.target.base_url is not None
    profile = load_profile(env.profile)
    run_id = secrets.token_hex(4)
    world = World(settings=Settings(env=env, profile=profile, run_id=run_id, base_url=env.target.base_url,
                                    tenants=tenants, id_prefix=SEED_PREFIX), recorder=Recorder())
    try:
        world.start()
        problems = [f"{label}: {problem}" for label, seed in world.seeds.items() for problem in seed.problems.values()]
        if problems:
            raise TenantcheckError("seeding failed: " + "; ".join(problems))
        deleted = delete_one_tenant(world)
    except TenantcheckError as error:
        print(f"tenantcheck seed: {error}")
        world.close()
        return 2
    manifest = Manifest(run_id=run_id, environment=env.name, profile=profile.name, target_url=env.target.base_url,
                        mode=world.settings.mode, seeded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        tenants=[seeded_tenant(world, label) for label in world.seeds], deleted=deleted)
    world.detach()
    write_manifest(manifest, manifest_path)
    print(f"seeded {len(manifest.tenants)} tenant(s) for run {run_id}; manifest: {manifest_path}")
    if world.settings.mode == "token":
        keys_path = keys_path or manifest_path.with_suffix(".keys.env")
        write_keys(world, manifest, keys_path)
        print(f"tenant keys (secret, keep them out of artifacts): {keys_path}; `source` it before verify")
    return 0


def seeded_tenant(world: World, label: str) -> SeededTenant:
    """The manifest's record of one tenant's seed: every seeded object, parents first."""
    tenant = world.tenants[label]
    return SeededTenant(label=label, tenant_id=tenant.tenant_id,
                        markers=[world.markers[label], world.path_markers[label], world.search_markers[label]],
                        objects=[seeded_object(world, obj) for obj in world.seeds[label].objects.values()])


def seeded_object(world: World, obj: Obj) -> SeededObject:
    """What verify needs of one object: how to reach it, and the sensitive values an answer about it shows
    (values sent in a path are not in the answer, so they are left out)."""
    spec = world.spec(obj.resource)
    in_paths = {name for op in spec.operations().values() for name in op.path_fields()}
    content = {name: str(obj.values[name]) for name, field in spec.field_specs.items()
               if field.kind == "sensitive" and name not in in_paths and name in obj.values}
    downloadable = world.settings.profile.api.download_resource == obj.resource
    return SeededObject(resource=obj.resource, id=obj.id, address={k: str(v) for k, v in obj.address.items()},
                        content=content, key=world.download_key(obj) if downloadable else None)


def delete_one_tenant(world: World) -> list[DeletedTenant]:
    """A tenant with data, removed before the backup point (only where the provisioner removes data)."""
    if world.provisioner is None or not world.provisioner.removes_data:
        return []
    tenant = world.provision("tenant-gone", f"{SEED_PREFIX}-{world.settings.run_id}-gone")
    obj = world.new("tenant-gone", world.main)
    world.provisioner.remove(tenant.tenant_id)
    world.created.remove(obj)
    del world.tenants["tenant-gone"]
    return [DeletedTenant(tenant_id=tenant.tenant_id, objects=[seeded_object(world, obj)])]


def write_keys(world: World, manifest: Manifest, path: Path) -> None:
    """The seeded tenants' keys as shell exports, readable by the owner only."""
    lines = [f"export {seeded.key_variable}={world.tenants[seeded.label].secret}" for seeded in manifest.tenants]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
