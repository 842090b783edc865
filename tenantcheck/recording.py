"""Where findings go while a check runs: the current check's context, or the session's orphans.

The canary hook fires on HTTP client threads, so the current check is a plain attribute (not a
context variable, which would not follow a request into the thread pool) guarded by a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tenantcheck.canaries import Sighting
from tenantcheck.catalog import Severity
from tenantcheck.findings import Finding
from tenantcheck.http import Exchange


@dataclass(kw_only=True)
class CheckContext:
    """What one running check is about; findings recorded during it land here."""

    check: str
    case: str
    operation: str | None = None
    attacker: str | None = None
    victim: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        if all(existing.fingerprint != finding.fingerprint for existing in self.findings):
            self.findings.append(finding)


class Recorder:
    """Routes findings to the running check; leaks outside any check become session findings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: CheckContext | None = None
        self.orphans: list[Finding] = []

    def begin(self, context: CheckContext) -> None:
        with self._lock:
            self.current = context

    def end(self) -> CheckContext | None:
        with self._lock:
            context, self.current = self.current, None
            return context

    def take_orphans(self) -> list[Finding]:
        with self._lock:
            orphans, self.orphans = self.orphans, []
            return orphans

    def add(self, finding: Finding) -> None:
        with self._lock:
            if self.current is not None:
                self.current.add(finding)
            elif all(existing.fingerprint != finding.fingerprint for existing in self.orphans):
                self.orphans.append(finding)

    def leak(self, requester: str, sightings: list[Sighting], exchange: Exchange) -> None:
        """The canary oracle: one finding per (requester, owner, place) in the running check."""
        context = self.current
        for sighting in sightings:
            place = "headers" if sighting.where.startswith("header") else "body"
            self.add(leak_finding(context, requester, sighting, place, exchange))


def leak_finding(
    context: CheckContext | None, requester: str, sighting: Sighting, place: str, exchange: Exchange
) -> Finding:
    severity: Severity = "critical"
    return Finding(
        case=context.case if context else "setup",
        check=context.check if context else "setup",
        severity=severity,
        oracle="canary",
        title=f"{requester} received {sighting.owner}'s canary marker in the response {place}",
        operation=context.operation if context else None,
        attacker=requester,
        victim=sighting.owner,
        detail=f"marker of {sighting.owner} found in {sighting.where} of {exchange.method} {exchange.url} "
        f"(status {exchange.status})",
        evidence=(exchange.to_dict(),),
        curl=exchange.curl(),
    )
