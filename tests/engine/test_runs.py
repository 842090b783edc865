"""Whole runs against a reference target the test starts: cleanup, fail-closed, xdist, cleanup command."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantcheck.reference import ReferenceConfig, RunningReference, running_reference

ENV_TEMPLATE = """
profile = "pom-bolt"
[target]
base_url = "{url}"
strict = true
[provisioning]
method = "admin-api"
admin_token = "${{TC_TEST_ADMIN_TOKEN}}"
[safety]
requests_per_second = 1000
max_concurrency = 8
timeout = 5
retries = 1
"""


@pytest.fixture(scope="module")
def target() -> Iterator[RunningReference]:
    with running_reference(ReferenceConfig(flaws=frozenset({"update-unchecked"}))) as running:
        yield running


def env_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(ENV_TEMPLATE.format(url=url))
    return path


def tenants_on(target: RunningReference) -> list[str]:
    reply = httpx.get(f"{target.base_url}/admin/tenants", headers={"Authorization": f"Bearer {target.admin_token}"})
    return [tenant["tenant_id"] for tenant in reply.json()["tenants"]]


def rows_on(target: RunningReference) -> int:
    with sqlite3.connect(target.data_dir / "d1.sqlite") as db:
        return sum(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                   for table in ("projects", "deployments", "file_metadata", "search_index"))


def test_a_failing_run_removes_everything_it_created(tmp_path: Path, target: RunningReference, catalog) -> None:  # type: ignore[no-untyped-def]
    before = tenants_on(target), rows_on(target)
    run = catalog("--env", str(env_file(tmp_path, target.base_url)), "-k", "TC-01 or TC-02 or TC-04",
                  env={"TC_TEST_ADMIN_TOKEN": target.admin_token})
    assert run.code == 1, run.output  # update-unchecked is on: the run has findings
    assert "TC-02" in run.finding_cases
    assert (tenants_on(target), rows_on(target)) == before


STATIC_TEMPLATE = """
profile = "pom-bolt"
[target]
base_url = "{url}"
[provisioning]
method = "static"
admin_token = "${{TC_TEST_ADMIN_TOKEN}}"
[[provisioning.tenants]]
id = "{a}"
key = "${{TC_TEST_KEY_A}}"
[[provisioning.tenants]]
id = "{b}"
key = "${{TC_TEST_KEY_B}}"
"""


def test_no_secret_in_any_artifact(tmp_path: Path, target: RunningReference, catalog) -> None:  # type: ignore[no-untyped-def]
    admin = {"Authorization": f"Bearer {target.admin_token}"}
    keys = {}
    for name in ("static-a", "static-b"):
        reply = httpx.post(f"{target.base_url}/admin/tenants", headers=admin, json={"tenant_id": name, "name": name})
        keys[name] = reply.json()["api_key"]
    env = tmp_path / "static.toml"
    env.write_text(STATIC_TEMPLATE.format(url=target.base_url, a="static-a", b="static-b"))
    secrets = {"TC_TEST_ADMIN_TOKEN": target.admin_token, "TC_TEST_KEY_A": keys["static-a"],
               "TC_TEST_KEY_B": keys["static-b"]}
    run = catalog("--env", str(env), "--alluredir", str(tmp_path / "reports" / "allure"), env=secrets)
    assert run.code == 1, run.output  # update-unchecked is on: findings with evidence and curl lines
    written = [path for path in (tmp_path / "reports").rglob("*") if path.is_file()]
    assert {path.name for path in written} >= {"isolation-report.json", "index.html", "junit.xml"}
    assert any(path.parent.name == "allure" for path in written)
    for path in written:
        text = path.read_text(errors="replace")
        for variable, secret in secrets.items():
            assert secret not in text, f"{variable} leaked into {path}"
    assert "$TC_TEST_KEY_A" in (tmp_path / "reports").joinpath(run.document["run_id"], "index.html").read_text()  # type: ignore[index]
    for secret in secrets.values():
        assert secret not in run.output


def test_unreachable_target_stops_the_run_at_once_with_exit_2(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    """The preflight: no check runs, the one cause is said once, and nothing is "left on the target"."""
    run = catalog("--env", str(env_file(tmp_path, "http://127.0.0.1:9")), env={"TC_TEST_ADMIN_TOKEN": "whatever"})
    assert run.code == 2, run.output
    assert "is unreachable" in run.output and "no check ran and nothing was created" in run.output
    assert "inconclusive" not in run.output  # not one line per check
    assert run.document is None and "left on the target" not in run.output


def test_a_refused_admin_token_stops_the_run_at_once_with_exit_2(tmp_path: Path, target: RunningReference,
                                                                catalog) -> None:  # type: ignore[no-untyped-def]
    run = catalog("--env", str(env_file(tmp_path, target.base_url)), env={"TC_TEST_ADMIN_TOKEN": "not-the-token"})
    assert run.code == 2, run.output
    assert "the admin token was refused (401" in run.output, run.output
    assert run.document is None and "left on the target" not in run.output
    assert "not-the-token" not in run.output


def test_same_findings_with_and_without_xdist(catalog) -> None:  # type: ignore[no-untyped-def]
    serial = catalog("--flaw", "get-unchecked", "-k", "TC-02 or TC-01", "-n", "0")
    parallel = catalog("--flaw", "get-unchecked", "-k", "TC-02 or TC-01", "-n", "2")
    assert serial.code == parallel.code == 1
    assert serial.fingerprints == parallel.fingerprints
    assert len(serial.fingerprints) >= 2


def test_cleanup_command_removes_a_crashed_runs_tenants(tmp_path: Path, target: RunningReference) -> None:
    admin = {"Authorization": f"Bearer {target.admin_token}"}
    for suffix in ("a", "ab"):
        created = httpx.post(f"{target.base_url}/admin/tenants", headers=admin,
                             json={"tenant_id": f"tc-deadbeef-{suffix}", "name": "left behind"})
        assert created.status_code == 201
    httpx.post(f"{target.base_url}/admin/tenants", headers=admin, json={"tenant_id": "real-customer", "name": "x"})
    completed = subprocess.run(
        [sys.executable, "-m", "tenantcheck", "cleanup", "--env", str(env_file(tmp_path, target.base_url)),
         "--run-id", "deadbeef"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"TC_TEST_ADMIN_TOKEN": target.admin_token, "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "removed 2 tenant(s)" in completed.stdout
    remaining = tenants_on(target)
    assert "real-customer" in remaining
    assert not [tenant for tenant in remaining if tenant.startswith("tc-deadbeef")]


def test_terminal_counts_every_passed_check_and_lists_them_on_request(catalog) -> None:  # type: ignore[no-untyped-def]
    """The terminal keeps one stand-in report for all passed checks (memory at N = 20): its summary line
    still counts each, and ``-rA`` still names each."""
    quiet = catalog("--env", "local", "-k", "TC-01 or TC-03")
    listed = catalog("--env", "local", "-k", "TC-01 or TC-03", "-rA")
    for run in (quiet, listed):
        assert run.code == 0, run.output
        assert f"{len(run.verdicts('passed'))} passed" in run.output
    assert len(listed.verdicts("passed")) >= 4
    for check in listed.verdicts("passed"):
        assert f"PASSED {check['nodeid']}" in listed.output
    assert "PASSED suites/" not in quiet.output
