"""Seed -> backup -> change after the backup point -> restore -> verify, on the correct target and on
each restore flaw. The change after the backup proves that verify sees data that came from the backup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tenantcheck.reference import ReferenceConfig, RunningReference, running_reference
from tenantcheck.report import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
ENV = """
profile = "pom-bolt"
[target]
base_url = "{url}"
[provisioning]
admin_token = "${{TC_TEST_ADMIN_TOKEN}}"
"""


def tenantcheck(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenantcheck", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def keys_from(path: Path) -> dict[str, str]:
    """The exports `tenantcheck seed` wrote (what an operator would `source`)."""
    pairs = (line.removeprefix("export ").split("=", 1) for line in path.read_text().splitlines() if line)
    return dict(pairs)


def change_after_backup(target: RunningReference, manifest: dict[str, Any], keys: dict[str, str]) -> None:
    for tenant in manifest["tenants"]:
        auth = {"Authorization": f"Bearer {keys[tenant_var(tenant['label'])]}"}
        [project] = [obj for obj in tenant["objects"] if obj["resource"] == "projects"]
        reply = httpx.put(f"{target.base_url}/api/projects/{project['id']}", headers=auth,
                          json={"name": "renamed after the backup", "description": "changed"})
        assert reply.status_code == 200
        [file] = [obj for obj in tenant["objects"] if obj["resource"] == "files"]
        reply = httpx.post(f"{target.base_url}/api/projects/{file['address']['project_id']}/files", headers=auth,
                           json={"path": file["id"], "content": "rewritten after the backup"})
        assert reply.status_code == 201


def tenant_var(label: str) -> str:
    return "TENANTCHECK_SEED_KEY_" + label.upper().replace("-", "_")


@pytest.mark.parametrize(("flaw", "restore", "expected"), [
    (None, True, None),
    (None, False, "RV-01"),  # without the restore, verify sees the changes made after the backup point
    ("restore-drops-owner", True, "RV-02"),
    ("restore-drops-files", True, "RV-01"),
])
def test_verify_after_restore(tmp_path: Path, flaw: str | None, restore: bool, expected: str | None) -> None:
    config = ReferenceConfig(flaws=frozenset({flaw}) if flaw else frozenset())
    with running_reference(config) as target:
        admin = {"Authorization": f"Bearer {target.admin_token}"}
        (tmp_path / "env.toml").write_text(ENV.format(url=target.base_url))
        secrets = {"TC_TEST_ADMIN_TOKEN": target.admin_token}
        seeded = tenantcheck("seed", "--env", "env.toml", "--manifest", "m.json", cwd=tmp_path, env=secrets)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        manifest = json.loads((tmp_path / "m.json").read_text())
        keys = keys_from(tmp_path / "m.keys.env")
        assert not any(key in (tmp_path / "m.json").read_text() for key in keys.values())  # no secret in it
        assert manifest["deleted"], "seed deletes one tenant before the backup point"

        backup = httpx.post(f"{target.base_url}/admin/backup", headers=admin).json()["backup_id"]
        change_after_backup(target, manifest, keys)
        if restore:
            assert httpx.post(f"{target.base_url}/admin/restore", headers=admin,
                              json={"backup_id": backup}).status_code == 200

        verify = tenantcheck("verify", "--env", "env.toml", "--manifest", "m.json", "-q", "--report-dir", "reports",
                             "--run-id", "0000beef", cwd=tmp_path, env={**secrets, **keys})
        output = verify.stdout + verify.stderr
        report = json.loads((tmp_path / "reports" / "0000beef" / "isolation-report.json").read_text())
        jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))  # the restore section included
        cases = {finding["case"] for finding in report["findings"]}
        restore_cases = report["restore"]["cases"]
        assert set(restore_cases) == {"RV-01", "RV-02", "RV-04"}
        if expected is None:
            assert verify.returncode == 0, output
            assert report["restore"]["rv03"] == "isolated"
            assert all(set(counts) == {"passed"} for counts in restore_cases.values()), restore_cases
        else:
            assert verify.returncode == 1, output
            assert expected in cases, f"{expected} not among {sorted(cases)}"
        tenants = httpx.get(f"{target.base_url}/admin/tenants", headers=admin).json()["tenants"]
        assert not [t for t in tenants if t["tenant_id"].startswith("tcseed-")], "verify removes seeded tenants"
        for path in (tmp_path / "reports").rglob("*"):
            if path.is_file():
                assert not any(secret in path.read_text() for secret in [*keys.values(), target.admin_token])
