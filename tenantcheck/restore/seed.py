"""``tenantcheck seed``: provision tenants and data before a backup, keep them, write the manifest.

``tenantcheck verify`` is ``tenantcheck run --manifest ...``: the RV suite (suites/test_rv_restore.py)
checks the seeded objects and the whole catalog runs on the restored environment.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from tenantcheck.config.environment import load_environment
from tenantcheck.config.profile import load_profile
from tenantcheck.engine.world import Settings, World
from tenantcheck.errors import ConfigError, TenantcheckError
from tenantcheck.restore.manifest import (
    DeletedTenant,
    Manifest,
    SeededDeployment,
    SeededFile,
    SeededProject,
    SeededTenant,
    write_manifest,
)
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
    """The manifest's record of one tenant's seed, in the contract's layout (projects, deployments,
    files): generic manifests of any profile's resources are still to come (see the README)."""
    seeded, tenant = world.seeds[label].objects, world.tenants[label]
    files = []
    file = seeded.get("files")
    if file is not None:
        content = str(file.values["content"])
        files.append(SeededFile(project_id=file.address["project_id"], path=file.id,
                                sha256=hashlib.sha256(content.encode()).hexdigest(), size=len(content.encode()),
                                kv_key=world.download_key(file)))
    project, deployment = seeded.get("projects"), seeded.get("deployments")
    return SeededTenant(
        label=label, tenant_id=tenant.tenant_id,
        markers=[world.markers[label], world.path_markers[label], world.search_markers[label]],
        projects=[SeededProject(id=project.id, name=project.values["name"], description=project.values["description"])]
        if project else [],
        deployments=[SeededDeployment(id=deployment.id, project_id=deployment.address["project_id"])]
        if deployment else [],
        files=files,
    )


def delete_one_tenant(world: World) -> list[DeletedTenant]:
    """A tenant with data, removed before the backup point (only where the provisioner removes data)."""
    if world.provisioner is None or not world.provisioner.removes_data:
        return []
    tenant = world.provision("tenant-gone", f"{SEED_PREFIX}-{world.settings.run_id}-gone")
    project = world.new("tenant-gone", world.main)
    world.provisioner.remove(tenant.tenant_id)
    world.created.remove(project)
    del world.tenants["tenant-gone"]
    return [DeletedTenant(tenant_id=tenant.tenant_id, project_ids=[project.id])]


def write_keys(world: World, manifest: Manifest, path: Path) -> None:
    """The seeded tenants' keys as shell exports, readable by the owner only."""
    lines = [f"export {seeded.key_variable}={world.tenants[seeded.label].secret}" for seeded in manifest.tenants]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
