"""The run as one JSON document (``isolation-report.json``): every view is rendered from it.

Its shape is versioned (``schema_version``, described by ``isolation-report.schema.json`` beside this
module); a reader accepts any document of the same major version.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenantcheck.catalog import CASES
from tenantcheck.findings import CheckResult, Finding
from tenantcheck.verdict import RunVerdict

SCHEMA_VERSION = "1.0"


def build_document(
    *,
    run: dict[str, Any],
    environment: str,
    profile: str,
    flaws: list[str],
    tenants: dict[str, set[str]],
    stats: dict[str, int],
    results: list[CheckResult],
    findings: list[Finding],
    verdict: RunVerdict,
) -> dict[str, Any]:
    per_case: dict[str, Counter[str]] = {}
    for result in results:
        per_case.setdefault(result.case, Counter())[result.verdict] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run["run_id"],
        "environment": environment,
        "profile": profile,
        "target_url": run.get("base_url"),
        "embedded_flaws": flaws,
        "started": run.get("started"),
        "finished": run.get("finished"),
        "tenants": [{"label": label, "tenant_ids": sorted(ids)} for label, ids in sorted(tenants.items())],
        "stats": stats,
        "verdict": {"verdict": verdict.verdict, "exit_code": verdict.exit_code, "reason": verdict.reason,
                    "counts": verdict.counts, "unproven_cases": list(verdict.unproven_cases)},
        "catalog": [{"id": case.id, "name": case.name, "tries": case.tries, "oracles": case.oracles,
                     "counts": dict(per_case.get(case.id, Counter()))} for case in CASES],
        "checks": [result.to_dict() | {"findings": [f.fingerprint for f in result.findings]} for result in results],
        "findings": [finding.to_dict() for finding in findings],
        "cleanup_problems": run.get("cleanup_problems", []),
    }
