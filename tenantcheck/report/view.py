"""What the HTML page shows, computed from the JSON document: matrices, catalog rows, finding cards.

The template stays free of logic (it only loops and prints), so the decisions a reader relies on (when is
a cell "leaked"? which findings does the gate accept?) live here, where they are typed and tested. Every
lookup tolerates missing optional keys, so an older report of the same major version renders too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenantcheck.catalog import SEVERITY_ORDER

VERDICT_ORDER = ("passed", "failed", "inconclusive", "not-applicable")
NO_PARTY = "—"  # row/column of checks without an attacker or victim (a tenant listing its own data)
EXCERPT_CHARS = 1200
CELL_STATES = {"failed": "leaked", "inconclusive": "inconclusive", "passed": "held", "not-applicable": "n.a."}


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One attacker x victim cell: the worst verdict of its checks decides its state."""

    state: str  # held | leaked | inconclusive | n.a.
    checks: tuple[tuple[str, str], ...] = ()  # (check id, verdict)

    @property
    def css(self) -> str:
        return {"n.a.": "na"}.get(self.state, self.state)

    @property
    def tooltip(self) -> str:
        if not self.checks:
            return "no check for this pair"
        return "\n".join(f"{verdict}: {check}" for check, verdict in self.checks)

    @property
    def detail(self) -> str:
        """The count under the state: "3/25" checks leaked, or how many checks held; empty without checks."""
        if not self.checks:
            return ""
        total = len(self.checks)
        if self.state in ("leaked", "inconclusive"):
            bad = sum(1 for _, verdict in self.checks if CELL_STATES.get(verdict) == self.state)
            return f"{bad}/{total}"
        return f"{total} check{'s' if total > 1 else ''}"


@dataclass(frozen=True, kw_only=True)
class Matrix:
    """Tenant x tenant for one resource operation: rows are attackers, columns victims."""

    operation: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    counts: dict[str, int]

    @property
    def state(self) -> str:
        states = {cell.state for _, cells in self.rows for cell in cells}
        for state in ("leaked", "inconclusive", "held"):
            if state in states:
                return state
        return "n.a."


@dataclass(frozen=True, kw_only=True)
class FindingView:
    data: dict[str, Any]
    checks: tuple[str, ...]
    gate_status: str | None  # new | baselined | waived | expired-waiver | None without gating
    waiver: dict[str, Any] | None
    exchanges: tuple[dict[str, Any], ...] = field(default=())


def tool_version(document: dict[str, Any]) -> str:
    """The version of the tenantcheck that wrote ``document`` (schema 1.1 on); "" for an older report."""
    tool = document.get("tool")
    version = tool.get("version") if isinstance(tool, dict) else None
    return str(version) if version else ""


def cell_state(verdicts: list[str]) -> str:
    """leaked beats inconclusive beats held: one leaking check makes the pair leak."""
    for verdict in ("failed", "inconclusive", "passed"):
        if verdict in verdicts:
            return CELL_STATES[verdict]
    return "n.a."


def tenant_labels(document: dict[str, Any]) -> list[str]:
    return [str(tenant.get("label")) for tenant in document.get("tenants", [])]


def matrices(document: dict[str, Any]) -> list[Matrix]:
    """One matrix per operation that checks tried, sorted by resource then operation."""
    labels = tenant_labels(document)
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for check in document.get("checks", []):
        if check.get("operation"):
            by_operation.setdefault(str(check["operation"]), []).append(check)
    result = []
    for operation in sorted(by_operation):
        checks = by_operation[operation]
        attackers = _axis(labels, [check.get("attacker") for check in checks])
        victims = _axis(labels, [check.get("victim") for check in checks])
        grid: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for check in checks:
            key = (check.get("attacker") or NO_PARTY, check.get("victim") or NO_PARTY)
            grid.setdefault(key, []).append((str(check.get("check")), str(check.get("verdict"))))
        rows = tuple(
            (attacker, tuple(
                Cell(state=cell_state([verdict for _, verdict in grid.get((attacker, victim), [])]),
                     checks=tuple(sorted(grid.get((attacker, victim), []))))
                for victim in victims
            ))
            for attacker in attackers
        )
        counts = Counter(str(check.get("verdict")) for check in checks)
        result.append(Matrix(operation=operation, columns=tuple(victims), rows=rows, counts=dict(counts)))
    return result


def _axis(labels: list[str], seen: list[str | None]) -> list[str]:
    """Every tenant label (so a missing pair shows as n.a.), then other parties (anonymous), then '—'."""
    extra = sorted({party for party in seen if party and party not in labels})
    axis = labels + extra
    if any(party is None for party in seen):
        axis.append(NO_PARTY)
    return axis


def unplaced_checks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Checks without an operation (stored state, audit tables): listed beside the matrices."""
    return [check for check in document.get("checks", []) if not check.get("operation")]


def undecided_checks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Inconclusive first, then not applicable: what stops a run from proving isolation."""
    order = {"inconclusive": 0, "not-applicable": 1}
    picked = [check for check in document.get("checks", []) if check.get("verdict") in order]
    return sorted(picked, key=lambda check: (order[check["verdict"]], str(check.get("check"))))


def catalog_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalog with counts per verdict and per finding severity, and a state for the badge."""
    findings_per_case = Counter(str(finding.get("case")) for finding in document.get("findings", []))
    rows = []
    for case in document.get("catalog", []):
        counts = {verdict: int(case.get("counts", {}).get(verdict, 0)) for verdict in VERDICT_ORDER}
        if counts["failed"]:
            state = "leaked"
        elif counts["inconclusive"]:
            state = "inconclusive"
        elif counts["passed"]:
            state = "held"
        else:
            state = "na" if counts["not-applicable"] else "none"
        rows.append({**case, "counts": counts, "findings": findings_per_case[str(case.get("id"))], "state": state})
    return rows


def finding_views(document: dict[str, Any]) -> list[FindingView]:
    """Each finding with every check that recorded it, its gate status and evidence excerpts."""
    checks_of: dict[str, list[str]] = {}
    for check in document.get("checks", []):
        for fingerprint in check.get("findings", []):
            checks_of.setdefault(fingerprint, []).append(str(check.get("check")))
    gate = document.get("gate") or {}
    status: dict[str, tuple[str, dict[str, Any] | None]] = {}
    if gate:
        status.update({fingerprint: ("new", None) for fingerprint in gate.get("new", [])})
        status.update({fingerprint: ("baselined", None) for fingerprint in gate.get("baselined", [])})
        status.update({waiver["fingerprint"]: ("waived", waiver) for waiver in gate.get("waived", [])})
        status.update({waiver["fingerprint"]: ("expired-waiver", waiver) for waiver in gate.get("expired", [])})
    views = []
    findings = sorted(document.get("findings", []), key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 9),
                                                                  str(f.get("case")), str(f.get("check"))))
    for finding in findings:
        fingerprint = str(finding.get("fingerprint"))
        gate_status, waiver = status.get(fingerprint, (None, None))
        checks = checks_of.get(fingerprint) or [str(finding.get("check"))]
        views.append(FindingView(data=finding, checks=tuple(checks), gate_status=gate_status, waiver=waiver,
                                 exchanges=tuple(exchange_view(item) for item in finding.get("evidence", []))))
    return views


def exchange_view(exchange: dict[str, Any]) -> dict[str, Any]:
    """The evidence excerpt: request line, status, bounded bodies (full headers stay in the JSON)."""
    return {
        "actor": exchange.get("actor"),
        "request_line": f"{exchange.get('method', '?')} {exchange.get('url', '?')}",
        "status": exchange.get("status"),
        "error": exchange.get("error"),
        "retries": exchange.get("retries", 0),
        "elapsed_ms": exchange.get("elapsed_ms"),
        "request_headers": exchange.get("request_headers") or {},
        "response_headers": exchange.get("response_headers") or {},
        "request_body": excerpt(exchange.get("request_body")),
        "response_body": excerpt(exchange.get("response_body")),
    }


def excerpt(text: Any, limit: int = EXCERPT_CHARS) -> str | None:
    """At most ``limit`` characters, saying how much was cut (the JSON report keeps it whole)."""
    if text is None or text == "":
        return None
    whole = str(text)
    if len(whole) <= limit:
        return whole
    return whole[:limit] + f"\n… ({len(whole) - limit} more characters in isolation-report.json)"


def severity_counts(document: dict[str, Any]) -> dict[str, int]:
    counts = Counter(str(finding.get("severity")) for finding in document.get("findings", []))
    return {severity: counts[severity] for severity in SEVERITY_ORDER if counts[severity]}


def duration(document: dict[str, Any]) -> str | None:
    """Wall time of the run as "12 s" / "3 min 4 s", or None if a timestamp is missing or unreadable."""
    try:
        seconds = int((datetime.fromisoformat(str(document["finished"]))
                       - datetime.fromisoformat(str(document["started"]))).total_seconds())
    except (KeyError, TypeError, ValueError):
        return None
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
