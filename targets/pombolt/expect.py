"""What the run against Pom Bolt's real application must report (targets/pombolt/acceptance.sh).

Reads the isolation report, prints the problems table (the README's "Testing Pom Bolt today" shows the last
one), and exits 1 unless every expected problem is there under the case meant for it, no problem is
counted under any other case, and nothing is inconclusive but what the app itself cannot answer.

    python targets/pombolt/expect.py reports/<run-id>/isolation-report.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# (endpoint, owning case, effect or oracle word) that the run must report
EXPECTED = [
    ("GET /api/projects", "TC-01", "serves other tenants' data"),
    ("POST /api/sync-projects", "TX-08", "change or delete another tenant's data"),
    ("POST /api/sync-projects", "TX-08", "wrong tenant"),
    ("GET /api/projects", "TX-01", "identity on its word"),
    *((f"GET {path}", "TX-09", "") for path in ("/api/debug-info", "/api/env-test", "/api/test-kv",
                                                  "/api/d1-test", "/api/fix-d1")),
    ("GET /api/test-kv", "TX-09", "writes to storage on a GET"),  # a KV key per call, seen by the inspector
]
OWNERS = {"TC-01", "TX-01", "TX-08", "TX-09"}
# Inconclusive is right only where the app cannot answer what the check needs (nothing it stores is ever
# in KV, so the owner's own download by key is 404; its D1-backed routes 500 on its own schema).
UNDECIDABLE = ("positive control failed", "answered 5", "the target answered 5")
FIXES = {
    "TC-01": "filter GET /api/projects by the resolved tenant (ProjectStateManager.listProjects({tenantId}))",
    "TX-01": "derive the tenant from a verified session or token, never from X-Tenant-ID or a bare bearer",
    "TX-08": "sync: take the tenant from the caller, refuse ids owned by another tenant, ignore tenantId in the body",
    "TX-09": "remove the debug routes from the production build, or put them behind an admin check",
}


def main(report: Path) -> int:
    document: dict[str, Any] = json.loads(report.read_text())
    problems = document["problems"]
    print("| severity | case | endpoint | what | checks | fix |")
    print("|---|---|---|---|---|---|")
    for problem in problems:
        print(f"| {problem['severity']} | {problem['case']} | `{problem['endpoint']}` | {problem['effect']} | "
              f"{len(problem['checks'])} | {FIXES.get(problem['case'], '')} |")
    failures = []
    for endpoint, case, words in EXPECTED:
        if not any(p["endpoint"] == endpoint and p["case"] == case and words in problem_text(p) for p in problems):
            failures.append(f"missing: {endpoint} under {case} ({words or 'any finding'})")
    failures += [f"counted under an unexpected case: {p['case']} {p['endpoint']} {p['effect']}"
                 for p in problems if p["case"] not in OWNERS]
    undecided = [check for check in document["checks"] if check["verdict"] == "inconclusive"]
    failures += [f"inconclusive for a reason of the harness's: {check['check']}: {check['reason']}"
                 for check in undecided if not any(word in check["reason"] for word in UNDECIDABLE)]
    verdicts: dict[str, int] = {}
    for check in document["checks"]:
        verdicts[check["verdict"]] = verdicts.get(check["verdict"], 0) + 1
    print(f"\nchecks: {', '.join(f'{count} {verdict}' for verdict, count in sorted(verdicts.items()))}; "
          f"{len(problems)} problems behind {len(document['findings'])} findings")
    for failure in failures:
        print(f"EXPECTATION FAILED: {failure}")
    return 1 if failures else 0


def problem_text(problem: dict[str, Any]) -> str:
    return " ".join(str(problem.get(key, "")) for key in ("effect", "title"))


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
