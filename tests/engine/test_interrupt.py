"""Ctrl-C and SIGTERM in the middle of a run still remove every tenant the run created."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tenantcheck.reference import ReferenceConfig, running_reference

ENV = """
profile = "pom-bolt"
[target]
base_url = "{url}"
[provisioning]
admin_token = "${{TC_TEST_ADMIN_TOKEN}}"
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    with running_reference(ReferenceConfig(latency_ms=40)) as target:
        admin = {"Authorization": f"Bearer {target.admin_token}"}

        def tenants() -> list[str]:
            listed = httpx.get(f"{target.base_url}/admin/tenants", headers=admin).json()["tenants"]
            return [t["tenant_id"] for t in listed if t["tenant_id"].startswith("tc-")]

        env = tmp_path / "slow.toml"
        env.write_text(ENV.format(url=target.base_url))
        run = subprocess.Popen(
            [sys.executable, "-m", "tenantcheck.cli", "run", "-q", "--env", str(env), "--report-dir", str(tmp_path)],
            cwd=tmp_path, env={**os.environ, "TC_TEST_ADMIN_TOKEN": target.admin_token},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while len(tenants()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(tenants()) == 2, "the run never provisioned its tenants"
            time.sleep(1.5)  # into the checks
            run.send_signal(signum)
            output, _ = run.communicate(timeout=60)
        finally:
            run.kill()
            run.communicate()
        assert run.returncode == 2, output  # interrupted: inconclusive, never isolated
        assert tenants() == [], output
        assert not list((tmp_path / ".tenantcheck" / "runs").glob("*.json"))  # nothing left to clean later
