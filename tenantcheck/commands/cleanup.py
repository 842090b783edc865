"""``tenantcheck cleanup``: remove what earlier runs left on a target.

Runs name everything with their run id (tenant ids ``tc-<run>-...``) and keep a secret-free record in
``.tenantcheck/runs/`` until their own teardown succeeded. Cleanup finds leftovers by both: the admin
API's tenant list (tenants whose id carries a run id), and the records (projects of pre-provisioned or
self-asserted tenants, which outlive the run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tenantcheck.config.environment import load_environment
from tenantcheck.config.profile import load_profile
from tenantcheck.engine.tenants import RUN_TENANT, AdminApiProvisioner, Tenant, of_run, secret_variable
from tenantcheck.engine.world import RUNS_DIR, Obj, Settings, World
from tenantcheck.errors import TenantcheckError
from tenantcheck.run.recording import Recorder


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def records(env_name: str) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(RUNS_DIR.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("environment") == env_name:
            found.append((path, record))
    return found


def cleanup(env_name: str, *, run_id: str | None, stale: bool) -> int:
    """Remove the leftovers of one run (``run_id``) or of every run that is not running (``stale``)."""
    env = load_environment(env_name)
    if env.target.embedded:
        print("nothing to clean: the embedded target lives only as long as its run")
        return 0
    assert env.target.base_url is not None
    profile = load_profile(env.profile)
    world = World(settings=Settings(env=env, profile=profile, run_id=run_id or "cleanup", base_url=env.target.base_url),
                  recorder=Recorder())
    try:
        world.connect()
    except TenantcheckError as error:
        print(f"cleanup could not reach {env.target.base_url}: {error}")
        return 2
    chosen = [(path, record) for path, record in records(env.name)
              if (record["run_id"] == run_id if run_id else not alive(int(record.get("pid", 0))))]
    live_runs = {record["run_id"] for _, record in records(env.name) if alive(int(record.get("pid", 0)))}
    removed_tenants = removed_objects = 0
    problems: list[str] = []
    try:
        if isinstance(world.provisioner, AdminApiProvisioner):
            for tenant_id in world.provisioner.existing():
                if not RUN_TENANT.match(tenant_id) or any(of_run(tenant_id, live) for live in live_runs):
                    continue
                if run_id is None or of_run(tenant_id, run_id):
                    world.provisioner.remove(tenant_id)
                    removed_tenants += 1
        else:
            removed_objects, problems = remove_recorded(world, chosen)
    except TenantcheckError as error:
        problems.append(str(error))
    finally:
        world.http.close()  # type: ignore[union-attr]
    if not problems:
        for path, _ in chosen:
            path.unlink(missing_ok=True)
            path.with_suffix(".keys.env").unlink(missing_ok=True)
    print(f"removed {removed_tenants} tenant(s) and {removed_objects} object(s)")
    for problem in problems:
        print(f"  could not remove: {problem}")
    return 0


def kept_keys(record_path: Path, record: dict[str, Any]) -> dict[str, str]:
    """Tenant id -> key, from the keys file a ``--keep`` run wrote beside its record (shell exports of the
    variables its evidence names: ``TENANT_A_KEY``)."""
    path = record_path.with_suffix(".keys.env")
    if not path.exists():
        return {}
    exported = dict(line.removeprefix("export ").split("=", 1) for line in path.read_text().splitlines()
                    if line.startswith("export ") and "=" in line)
    return {tenant_id: exported[secret_variable(label)] for tenant_id, label in record.get("labels", {}).items()
            if secret_variable(label) in exported}


def remove_recorded(world: World, chosen: list[tuple[Path, dict[str, Any]]]) -> tuple[int, list[str]]:
    """Delete the recorded objects through the profile's deletes, children first, each with its owner's
    credentials (static keys, or the self-asserted id); what cannot be deleted is named once."""
    keys = {t.id: (t.key.get() if t.key else None) for t in world.settings.env.provisioning.tenants}
    for path, record in chosen:
        keys.update(kept_keys(path, record))
    objects: list[Obj] = []
    problems: list[str] = []
    unreachable: dict[str, str] = {}  # tenant id -> why the run cannot act as it
    for _, record in chosen:
        made: dict[tuple[str, str], Obj] = {}
        for entry in record.get("objects", []):
            tenant_id = str(entry["tenant_id"])
            if tenant_id not in world.tenants and tenant_id not in unreachable:
                tenant = Tenant(label=tenant_id, tenant_id=tenant_id, name=tenant_id, marker="",
                                secret=keys.get(tenant_id))
                try:
                    tenant.actor = world.http.actor(tenant_id, world.auth(tenant), scan=False)  # type: ignore[union-attr]
                    world.tenants[tenant_id] = tenant
                except TenantcheckError as error:
                    unreachable[tenant_id] = str(error)
            parent = made.get((entry["parent"][0], entry["parent"][1])) if entry.get("parent") else None
            obj = Obj(resource=entry["resource"], id=str(entry["id"]), owner=tenant_id, values={},
                      address=dict(entry.get("address", {})), parent=parent)
            made[(obj.resource, obj.id)] = obj
            if world.settings.profile.resource(obj.resource) is None:
                problems.append(f"{obj.describe()} of {tenant_id}: the profile has no resource {obj.resource}")
            elif tenant_id in unreachable:
                problems.append(f"{obj.describe()} of {tenant_id}: {unreachable[tenant_id]}")
            else:
                objects.append(obj)
    left = world.remove_objects(objects)
    return len(objects) - len(left), problems + left
