"""Root causes: the run's findings grouped into problems a person can fix one by one.

One bug shows in many checks: a list that forgets its tenant filter fails TC-01, and its leaked markers
are seen by every other case that lists (spoofing, probing, cache, concurrency). The findings that share
an endpoint (method and path template of the exchange that shows them) and an effect (what went wrong:
data served, data changed, data stored under the wrong owner, ...) are one problem, with one headline
("GET /api/projects serves other tenants' data"), the most severe finding's severity, every case and
check that saw it, and one representative exchange. The problem is counted under the case that owns its
operation (the list under TC-01, a read by id under its resource's case), whichever check saw it first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from tenantcheck.catalog import SEVERITY_ORDER, Severity
from tenantcheck.config.profile import Profile
from tenantcheck.findings import Finding

READ_EFFECT = "serves other tenants' data"
ERROR_EFFECT = "leaks other tenants' data in its error answers"
WRITE_EFFECT = "lets a tenant act on another tenant's data"
STATE_EFFECT = "lets a tenant change or delete another tenant's data"
ACCESS_EFFECTS = frozenset({READ_EFFECT, ERROR_EFFECT, WRITE_EFFECT, STATE_EFFECT})  # counted by operation
EFFECTS = {
    "list": READ_EFFECT, "search": READ_EFFECT, "concurrency": "mixes up tenants under concurrent load",
    "state": STATE_EFFECT,
    "ownership": "keeps data under the wrong tenant", "storage": "stores data under the wrong tenant",
    "manifest": "does not restore data as it was backed up",
    "identity": "takes a tenant's identity on its word (no secret)",
    "disclosure": "answers with what should need identity (environment, credentials, internals)",
    "write": "writes to storage on a GET (any crawler or prefetch changes data)",
}
API_CASES = {"api.search": "TC-05", "api.access_logs": "TX-04", "api.download": "TX-03"}


@dataclass(frozen=True, kw_only=True)
class Problem:
    id: str
    headline: str
    endpoint: str
    effect: str
    severity: Severity
    case: str
    cases: tuple[str, ...]
    checks: tuple[str, ...]
    findings: tuple[str, ...]  # fingerprints, most severe first
    evidence: dict[str, Any] | None
    curl: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(cases=list(self.cases), checks=list(self.checks), findings=list(self.findings))
        return data


def endpoint_of(finding: Finding) -> str:
    """The method and path template of the exchange that shows a finding (its path where the request did
    not come from a profile operation), or the finding's operation without evidence."""
    if finding.evidence:
        exchange = finding.evidence[0]
        return exchange.get("template") or f"{exchange['method']} {urlsplit(exchange['url']).path}"
    return finding.operation or finding.check


def effect_of(finding: Finding) -> str:
    status = finding.evidence[0].get("status") if finding.evidence else None
    served = isinstance(status, int) and 200 <= status < 300
    if finding.oracle == "canary":
        return READ_EFFECT if served or status is None else ERROR_EFFECT
    if finding.oracle == "denial":
        if served:
            return READ_EFFECT if finding.evidence[0]["method"] in ("GET", "HEAD") else WRITE_EFFECT
        return "answers cross-tenant requests with a status the policy does not accept"
    if finding.oracle == "audit":
        return READ_EFFECT if finding.case == "TX-04" else "does not record denied attempts"
    return EFFECTS.get(finding.oracle, finding.oracle)


def owning_case(profile: Profile | None, endpoint: str, effect: str, seen: Iterable[Finding]) -> str:
    """Where a problem is counted: for access to other tenants' data, the case that tests the operation
    (where a profile operation has this template, the case its family reports it under); for any other
    effect (storage, audit, concurrency, ...), and without such an operation, the case of its most severe
    finding that is not a canary sighting."""
    found = list(seen)
    if profile is not None and effect in ACCESS_EFFECTS:
        for name, operation in profile.operations.items():
            if f"{operation.method} {operation.path.split('?', 1)[0]}" != endpoint:
                continue
            if name in API_CASES:
                return API_CASES[name]
            resource, kind = name.split(".", 1)
            spec = profile.resource(resource)
            if spec is not None:
                if kind == "upsert":
                    return "TX-08"
                return "TC-01" if kind == "list" and spec.parent is None else profile.case_of(resource)
    own = [finding for finding in found if finding.oracle != "canary"] or found
    return min(own, key=lambda f: SEVERITY_ORDER[f.severity]).case


def group(findings: Iterable[Finding], profile: Profile | None = None) -> list[Problem]:
    """The findings as problems, most severe first (then by how many checks saw them). ``findings`` may
    hold one finding per check that saw it (the same fingerprint in several checks): every check counts,
    each fingerprint is listed once."""
    buckets: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        buckets.setdefault((endpoint_of(finding), effect_of(finding)), []).append(finding)
    problems = []
    for (endpoint, effect), members in buckets.items():
        members.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.oracle == "canary", f.case, f.check))
        case = owning_case(profile, endpoint, effect, members)
        shown = next((f for f in members if f.case == case and f.evidence), None) or \
            next((f for f in members if f.evidence), members[0])
        problems.append(Problem(
            id=hashlib.sha256(f"{endpoint}|{effect}".encode()).hexdigest()[:12],
            headline=f"{endpoint} {effect}", endpoint=endpoint, effect=effect, severity=members[0].severity,
            case=case, cases=tuple(sorted({f.case for f in members})),
            checks=tuple(sorted({f.check for f in members})),
            findings=tuple(dict.fromkeys(f.fingerprint for f in members)),
            evidence=shown.evidence[0] if shown.evidence else None, curl=shown.curl))
    return sorted(problems, key=lambda p: (SEVERITY_ORDER[p.severity], -len(p.checks), p.headline))
