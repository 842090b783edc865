"""The many-resources benchmark's app is a correct target and its profile valid: the whole catalog at N = 2
finds it isolated, with checks on every one of its twelve resources. So benchmarks/many_resources.py
(through benchmarks/run.py --only many) measures a real catalog, not one that stops at the first inconclusive check."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import many_resources  # noqa: E402

SAFETY = {"requests_per_second": 1000, "max_concurrency": 16, "timeout": 10, "retries": 2}


def test_the_catalog_finds_the_many_resources_app_isolated(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(24)
    run_id = f"many-{secrets.token_hex(3)}"
    app = many_resources.AppProcess.start(token)
    try:
        env_file = many_resources.write_environment(tmp_path, app.base_url, app.database, SAFETY)
        completed = subprocess.run(
            [sys.executable, "-m", "tenantcheck", "run", "--env", str(env_file), "--tenants", "2", "-n", "0",
             "--run-id", run_id, "--report-dir", str(tmp_path / "reports"), "-q", "-p", "no:cacheprovider"],
            cwd=tmp_path, env={**os.environ, "TENANTCHECK_ADMIN_TOKEN": token}, capture_output=True, text=True,
            timeout=120)
    finally:
        app.stop()
    output = completed.stdout[-3000:] + completed.stderr[-3000:]
    assert completed.returncode == 0, output
    report = json.loads((tmp_path / "reports" / run_id / "isolation-report.json").read_text())
    assert report["verdict"]["verdict"] == "isolated", report["verdict"]
    assert report["findings"] == [], [finding["title"] for finding in report["findings"]]
    checks = report["checks"]
    assert not [check["check"] for check in checks if check["verdict"] == "inconclusive"]
    assert not [check["check"] for check in checks if check["verdict"] == "failed"]
    passed = [check for check in checks if check["verdict"] == "passed"]
    assert len(passed) > 250, len(passed)  # cases applied to every resource, not a handful of checks
    for spec in many_resources.SPECS:
        mine = [check for check in passed if (check.get("operation") or "").startswith(f"{spec.name}.")
                or f"storage.{spec.name}]" in check["check"] or f"[{spec.name}." in check["check"]]
        assert mine, f"no passed check on {spec.name}"
