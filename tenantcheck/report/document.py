"""The run as one JSON document (``isolation-report.json``): every view is rendered from it.

Its shape is versioned (``schema_version``, described by ``isolation-report.schema.json`` beside this
module); a reader accepts any document of the same major version.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenantcheck import tool_version
from tenantcheck.catalog import CASES
from tenantcheck.findings import CheckResult, Finding
from tenantcheck.problems import Problem, group
from tenantcheck.restore.manifest import Manifest
from tenantcheck.verdict import RunVerdict, Selection, decide

SCHEMA_VERSION = "1.2"  # 1.1: "tool" (the tenantcheck that wrote it); 1.2: "problems", exchange "template"


def build_document(
    *,
    run: dict[str, Any],
    environment: str,
    profile: str,
    flaws: list[str],
    tenants: dict[str, set[str]],
    stats: dict[str, int],
    markers: dict[str, set[str]] | None = None,
    results: list[CheckResult],
    findings: list[Finding],
    verdict: RunVerdict,
    manifest: Manifest | None = None,
    version: str | None = None,
    selection: Selection | None = None,
    problems: list[Problem] | None = None,
) -> dict[str, Any]:
    """The report; ``version``: the tool's (default: this tenantcheck's, ``tenantcheck.tool_version``)."""
    per_case: dict[str, Counter[str]] = {}
    for result in results:
        per_case.setdefault(result.case, Counter())[result.verdict] += 1
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "tenantcheck", "version": version or tool_version()},
        "run_id": run["run_id"],
        "environment": environment,
        "profile": profile,
        "target_url": run.get("base_url"),
        "embedded_flaws": flaws,
        "started": run.get("started"),
        "finished": run.get("finished"),
        "tenants": [{"label": label, "tenant_ids": sorted(ids), "markers": sorted((markers or {}).get(label, ()))}
                    for label, ids in sorted(tenants.items())],
        "stats": stats,
        "verdict": {"verdict": verdict.verdict, "exit_code": verdict.exit_code, "reason": verdict.reason,
                    "counts": verdict.counts, "unproven_cases": list(verdict.unproven_cases)},
        "catalog": [{"id": case.id, "name": case.name, "tries": case.tries, "oracles": case.oracles,
                     "counts": dict(per_case.get(case.id, Counter()))} for case in CASES],
        "checks": [result.to_dict() | {"findings": [f.fingerprint for f in result.findings]} for result in results],
        "problems": [problem.to_dict() for problem in (problems if problems is not None else group(findings))],
        "findings": [finding.to_dict() for finding in findings],
        "cleanup_problems": run.get("cleanup_problems", []),
    }
    if selection is not None:
        document["selection"] = selection.to_dict()
    if manifest is not None:
        document["restore"] = restore_section(manifest, results)
    return document


def restore_section(manifest: Manifest, results: list[CheckResult]) -> dict[str, Any]:
    """The restore cases' counts, and RV-03: the verdict of the rest of the catalog after the restore."""
    restore_cases: dict[str, Counter[str]] = {}
    for result in results:
        if result.case.startswith("RV-"):
            restore_cases.setdefault(result.case, Counter())[result.verdict] += 1
    rest = [result for result in results if not result.case.startswith("RV-")]
    return {
        "manifest_run_id": manifest.run_id,
        "seeded_at": manifest.seeded_at,
        "seeded_tenants": [{"label": t.label, "tenant_id": t.tenant_id} for t in manifest.tenants],
        "seeded_objects": sum(len(t.objects) for t in manifest.tenants),
        "deleted_tenants": [gone.tenant_id for gone in manifest.deleted],
        "cases": {case: dict(counts) for case, counts in sorted(restore_cases.items())},
        "rv03": decide(rest).verdict,
    }
