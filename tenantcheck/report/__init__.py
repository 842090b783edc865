"""Reports: one model of the run (the JSON report), and views of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenantcheck.findings import CheckResult, Finding
from tenantcheck.verdict import RunVerdict

SCHEMA_VERSION = "1.0"


def write_reports(
    directory: Path, config: pytest.Config, results: list[CheckResult], findings: list[Finding], verdict: RunVerdict
) -> Path:
    """Write ``isolation-report.json`` into ``directory``; returns its path."""
    from tenantcheck.plugin import ENV_KEY, PROFILE_KEY, RUN_KEY

    run: dict[str, Any] = config.stash[RUN_KEY]
    env = config.stash[ENV_KEY]
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run["run_id"],
        "environment": env.name,
        "profile": config.stash[PROFILE_KEY].name,
        "target_url": run.get("base_url"),
        "embedded_flaws": list(env.target.flaws),
        "started": run.get("started"),
        "finished": run.get("finished"),
        "verdict": {"verdict": verdict.verdict, "exit_code": verdict.exit_code, "reason": verdict.reason,
                    "counts": verdict.counts, "unproven_cases": list(verdict.unproven_cases)},
        "checks": [result.to_dict() | {"findings": [f.fingerprint for f in result.findings]} for result in results],
        "findings": [finding.to_dict() for finding in findings],
        "cleanup_problems": run.get("cleanup_problems", []),
    }
    path = directory / "isolation-report.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=False))
    return path
