"""Shared helpers for the harness's own tests: running the catalog as a user would.

Also prints the table flaw -> cases that caught it after the detection tests; it lives here, not in
tests/detection/, because under xdist only the top-level conftest is loaded by the controller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CatalogRun:
    code: int
    output: str
    document: dict[str, Any] | None

    @property
    def finding_cases(self) -> set[str]:
        return {finding["case"] for finding in (self.document or {}).get("findings", [])}

    @property
    def fingerprints(self) -> set[str]:
        return {finding["fingerprint"] for finding in (self.document or {}).get("findings", [])}

    @property
    def checks(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("checks", []))

    def verdicts(self, verdict: str) -> list[dict[str, Any]]:
        return [check for check in self.checks if check["verdict"] == verdict]


def run_catalog(report_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CatalogRun:
    """``tenantcheck run ARGS`` in a subprocess; returns its exit code, output and JSON report."""
    run_id = os.urandom(4).hex()
    command = [sys.executable, "-m", "tenantcheck", "run", "-q",
               "--report-dir", str(report_dir), "--run-id", run_id, *args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                               env={**os.environ, **(env or {})})
    path = report_dir / run_id / "isolation-report.json"
    document = json.loads(path.read_text()) if path.exists() else None
    return CatalogRun(completed.returncode, completed.stdout + completed.stderr, document)


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    """Run the catalog (``tenantcheck run``) with extra arguments; reports go to a temporary folder."""

    def run(*args: str, env: dict[str, str] | None = None) -> CatalogRun:
        return run_catalog(tmp_path / "reports", *args, env=env)

    return run

CAUGHT: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "test_flaw_is_caught_by_its_case[" in report.nodeid:
        flaw, concurrency = report.nodeid.rsplit("[", 1)[1].rstrip("]").rsplit("-", 1)
        caught = dict(report.user_properties).get("caught_by", "")
        CAUGHT[flaw] = caught if concurrency == "default" else CAUGHT.get(flaw, caught)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CAUGHT:
        return
    terminalreporter.section("flaw -> cases with findings (default concurrency; also caught one check at a time)")
    width = max(len(flaw) for flaw in CAUGHT)
    for flaw in sorted(CAUGHT):
        terminalreporter.write_line(f"  {flaw:<{width}}  {CAUGHT[flaw] or '(none)'}")
