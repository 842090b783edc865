"""Small, schema-valid report documents for unit tests, built with the real ``build_document``."""

from __future__ import annotations

from typing import Any

from tenantcheck.findings import CheckResult, Finding
from tenantcheck.report.document import build_document
from tenantcheck.verdict import decide


def finding(title: str = "tenant-b read a project of tenant-a", *, case: str = "TC-02", severity: str = "critical",
            attacker: str = "tenant-b", victim: str = "tenant-a", operation: str = "projects.get",
            evidence: tuple[dict[str, Any], ...] = (), curl: str | None = None) -> Finding:
    return Finding(case=case, severity=severity, oracle="denial", title=title,  # type: ignore[arg-type]
                   check=f"{case}[{operation}:{attacker}:{victim}]", operation=operation, attacker=attacker,
                   victim=victim, detail="expected 403, got 200", evidence=evidence, curl=curl)


def exchange(**overrides: Any) -> dict[str, Any]:
    """One redacted exchange as ``tenantcheck.engine.http.Exchange.to_dict`` writes it."""
    base: dict[str, Any] = {
        "actor": "tenant-b", "method": "GET", "url": "http://127.0.0.1:9/api/projects/prj_1",
        "request_headers": {"authorization": "Bearer $TENANT_B_KEY"}, "request_body": None, "status": 200,
        "response_headers": {"content-type": "application/json"}, "response_body": '{"id": "prj_1"}',
        "elapsed_ms": 1.5, "retries": 0, "error": None,
    }
    return base | overrides


def check(case: str = "TC-02", verdict: str = "passed", *, operation: str | None = "projects.get",
          attacker: str | None = "tenant-b", victim: str | None = "tenant-a", variant: str = "",
          findings: tuple[Finding, ...] = (), reason: str = "") -> CheckResult:
    parts = [part for part in (operation, variant, attacker, victim) if part]
    return CheckResult(check=f"{case}[{':'.join(parts) or 'all'}]", case=case, nodeid=f"suites/x.py::t[{case}]",
                       verdict=verdict, reason=reason, operation=operation,  # type: ignore[arg-type]
                       attacker=attacker, victim=victim, findings=findings, duration=0.01)


def document(*results: CheckResult) -> dict[str, Any]:
    """A report of ``results`` from the real builder; its findings are the results' findings."""
    found: dict[str, Finding] = {}
    for result in results:
        for item in result.findings:
            found.setdefault(item.fingerprint, item)
    return build_document(
        run={"run_id": "0badcafe", "base_url": "http://127.0.0.1:9", "started": "2026-01-02T03:04:05+00:00",
             "finished": "2026-01-02T03:04:09+00:00"},
        environment="local", profile="pom-bolt", flaws=[], tenants={"tenant-a": {"tc-a"}, "tenant-b": {"tc-b"}},
        stats={"requests": 10, "retried": 1}, results=list(results), findings=list(found.values()),
        verdict=decide(results),
    )
