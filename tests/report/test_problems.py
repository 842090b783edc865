"""Root causes: one bug is one problem, with one headline, counted under the case that owns its operation."""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.config.profile import load_profile
from tenantcheck.findings import Finding
from tenantcheck.problems import group


def exchange(method: str, url: str, status: int, template: str | None) -> dict[str, Any]:
    return {"actor": "tenant-a", "method": method, "url": url, "status": status, "template": template}


def finding(case: str, oracle: str, check: str, evidence: dict[str, Any], severity: str = "critical") -> Finding:
    return Finding(case=case, severity=severity, oracle=oracle, title=f"{oracle} in {check}",  # type: ignore[arg-type]
                   check=check, evidence=(evidence,))


def test_findings_of_one_endpoint_and_effect_are_one_problem_counted_by_its_operation() -> None:
    listing = exchange("GET", "http://127.0.0.1:1/api/projects?tenant_id=x", 200, "GET /api/projects")
    found = [finding("TX-07", "canary", "TX-07[a]", listing), finding("TX-01", "canary", "TX-01[b]", listing),
             finding("TC-01", "list", "TC-01[c]", listing),
             finding("TC-02", "state", "TC-02[d]", exchange("PUT", "http://127.0.0.1:1/api/projects/p1", 200,
                                                          "PUT /api/projects/{id}"))]
    problems = group(found, load_profile("pom-bolt"))
    assert [p.headline for p in problems] == ["GET /api/projects serves other tenants' data",
                                              "PUT /api/projects/{id} lets a tenant change or delete another "
                                              "tenant's data"]
    leak = problems[0]
    assert leak.case == "TC-01" and leak.cases == ("TC-01", "TX-01", "TX-07") and len(leak.checks) == 3
    assert leak.evidence == listing  # the owning case's exchange represents it


def test_a_marker_in_an_error_answer_is_its_own_problem() -> None:
    error = exchange("GET", "http://127.0.0.1:1/api/projects/p1", 403, "GET /api/projects/{id}")
    served = exchange("GET", "http://127.0.0.1:1/api/projects/p2", 200, "GET /api/projects/{id}")
    problems = group([finding("TC-02", "canary", "x", error), finding("TC-02", "denial", "y", served)])
    assert sorted(p.effect for p in problems) == ["leaks other tenants' data in its error answers",
                                                  "serves other tenants' data"]


@pytest.mark.parametrize(("env", "flaw", "headline", "case"), [
    ("local", "list-unfiltered", "GET /api/projects serves other tenants' data", "TC-01"),
    ("local", "get-unchecked", "GET /api/projects/{id} serves other tenants' data", "TC-02"),
    ("local-ledger", "list-unfiltered", "GET /orgs/{tenant_id}/invoices serves other tenants' data", "TC-01"),
])
def test_one_flaw_is_one_leading_problem(env: str, flaw: str, headline: str, case: str, catalog: Any) -> None:
    run = catalog("--env", env, "--flaw", flaw)
    assert run.document is not None, run.output
    first = run.document["problems"][0]
    assert (first["headline"], first["case"]) == (headline, case), run.document["problems"]
    assert f"[critical] {headline} ({case}" in run.output
    flagged = {check for finding in run.document["findings"] for check in [finding["check"]]}
    assert flagged <= {check for problem in run.document["problems"] for check in problem["checks"]}
