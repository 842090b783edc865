"""SIGINT and SIGTERM while a run provisions or tears down; a teardown that cannot reach the target.

Given a run against a target this test starts, when the run is interrupted at a moment the test chooses
(a request of that phase is held at the target, so the run is surely inside it), then nothing the run
created is left on the target (counted through the admin API and in storage), or, when the run's cleanup
could not reach the target, a record is left that ``tenantcheck cleanup --stale`` uses to remove it all.
Interrupts during the checks are tested in tests/engine/test_interrupt.py.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import ADMIN_VAR, Run, Target, hold, run_against, scan_artifacts, write_env

HELD = 1.5  # seconds a chosen request waits at the target: the run is inside that phase meanwhile


def rows_on(target: Target) -> int:
    """Rows of every tenant-owned table (the default tenant owns none)."""
    with sqlite3.connect(target.data_dir / "d1.sqlite") as db:
        return sum(int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                   for table in ("projects", "deployments", "file_metadata", "search_index"))


def interrupted_run(target: Target, cwd: Path, arrived: threading.Event, signum: int, *args: str) -> Run:
    """Start a run, send ``signum`` as soon as ``arrived`` is set, wait for the run and the held request."""
    env_path = write_env(cwd, target.base_url)
    report_dir = cwd / "run" / "reports"
    command = [sys.executable, "-m", "tenantcheck", "run", "-q", "--env", str(env_path),
               "--report-dir", str(report_dir), *args]
    (cwd / "run").mkdir(exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd / "run", env={**os.environ, ADMIN_VAR: target.admin_token},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert arrived.wait(timeout=60), "the run never reached the phase to interrupt"
        process.send_signal(signum)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    time.sleep(HELD + 0.3)  # the held request reaches the target now, whatever the run did meanwhile
    reports = list(report_dir.glob("*/isolation-report.json"))
    document = json.loads(reports[0].read_text()) if reports else None
    run = Run(process.returncode, output, document, cwd / "run", time.monotonic() - started, tuple(args))
    scan_artifacts(cwd, output, target.secrets)
    assert "Traceback (most recent call last)" not in output, run.describe()
    return run


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_while_seeding_leaves_nothing(tmp_path: Path, target: Target, signum: int) -> None:
    """Both tenants exist, the first seed object is on its way: the interrupted run removes everything."""
    arrived = hold(target, "POST", "/api/projects", HELD)
    run = interrupted_run(target, tmp_path, arrived, signum, "-k", "TC-01")
    assert run.code == 2, run.describe()  # interrupted: inconclusive, never isolated
    assert len(target.tap.keys) == 2  # the run had provisioned both tenants when it was interrupted
    assert target.tenants() == [], run.describe()
    assert rows_on(target) == 0
    assert run.records() == []


def test_interrupt_while_a_tenant_is_being_created_leaves_nothing(tmp_path: Path, target: Target) -> None:
    """The target has created tenant-a, its answer (with the key) is on its way when the interrupt comes."""
    arrived = hold(target, "POST", "/admin/tenants", HELD, answer=True)
    run = interrupted_run(target, tmp_path, arrived, signal.SIGINT, "-k", "TC-01")
    assert run.code == 2, run.describe()
    assert target.tenants() == [] or run.records(), f"left {target.tenants()} with no record to clean them up"
    assert target.tenants() == [], run.describe()


def test_interrupt_during_teardown_leaves_nothing(tmp_path: Path, target: Target) -> None:
    """SIGTERM while the first tenant is being removed (SIGINT takes the same path: KeyboardInterrupt)."""
    arrived = hold(target, "DELETE", "/admin/tenants/", HELD)
    run = interrupted_run(target, tmp_path, arrived, signal.SIGTERM, "-k", "TC-01")
    assert len(target.tap.keys) == 2
    assert target.tenants() == [], f"left behind: {target.tenants()}\n{run.describe()}"
    assert rows_on(target) == 0


def cleanup_stale(cwd: Path, env_path: Path, target: Target) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenantcheck", "cleanup", "--stale", "--env", str(env_path)],
                          capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, ADMIN_VAR: target.admin_token})


def test_interrupted_teardown_leaves_a_record_that_cleanup_uses(tmp_path: Path, target: Target) -> None:
    """Whatever an interrupted teardown left, `tenantcheck cleanup --stale` removes it afterwards."""
    arrived = hold(target, "DELETE", "/admin/tenants/", HELD)
    run = interrupted_run(target, tmp_path, arrived, signal.SIGINT, "-k", "TC-01")
    target.tap.before = None
    left = target.tenants()
    assert not left or run.records(), f"{left} left behind with no record"
    cleaned = cleanup_stale(run.cwd, tmp_path / "target.toml", target)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert f"removed {len(left)} tenant(s)" in cleaned.stdout
    assert target.tenants() == [] and rows_on(target) == 0
    assert run.records() == []


def unreachable_teardown(tmp_path: Path, target: Target) -> Run:
    """A run whose teardown cannot reach the target: every tenant removal loses its connection."""

    async def drop_removals(method: str, path: str) -> str | None:
        return "drop" if method == "DELETE" and path.startswith("/admin/tenants/") else None

    target.tap.before = drop_removals
    run = run_against(target, tmp_path, "-k", "TC-01")
    target.tap.before = None
    return run


def test_unreachable_teardown_leaves_a_record_that_cleanup_uses(tmp_path: Path, target: Target) -> None:
    run = unreachable_teardown(tmp_path, target)
    assert run.code == 0, run.describe()  # the checks themselves were decided
    left = target.tenants()
    assert len(left) == 2
    assert len(run.document["cleanup_problems"]) == 2  # type: ignore[index]
    assert len(run.records()) == 1
    record = run.records()[0].read_text()
    assert target.admin_token not in record and all(key not in record for key in target.tap.keys)
    cleaned = cleanup_stale(run.cwd, tmp_path / "target.toml", target)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert "removed 2 tenant(s)" in cleaned.stdout
    assert target.tenants() == [] and rows_on(target) == 0
    assert run.records() == []


def test_a_run_that_could_not_clean_up_says_so(tmp_path: Path, target: Target) -> None:
    """Not only in the report: the terminal names every tenant left behind and the command to remove it."""
    run = unreachable_teardown(tmp_path, target)
    left = target.tenants()
    assert len(left) == 2
    assert "tenantcheck cleanup" in run.output, run.describe()
    for tenant_id in left:
        assert tenant_id in run.output
