"""Where findings go while a check runs: the current check's context, or the session's orphans.

Several checks run at once (``tenantcheck.run.fanout``), and the canary hook fires on the thread that made
the request, so the running check is a context variable: each check's thread sets it, and
``Http.gather`` carries it into its pool threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from tenantcheck.catalog import Severity
from tenantcheck.engine.canaries import Sighting
from tenantcheck.engine.http import Exchange
from tenantcheck.findings import Evidence, Finding


@dataclass(kw_only=True)
class CheckContext:
    """What one running check is about; findings recorded during it land here."""

    check: str
    case: str
    operation: str | None = None
    attacker: str | None = None
    victim: str | None = None
    findings: list[Finding] = field(default_factory=list)
    rests_on: dict[str, str] = field(default_factory=dict)  # evidence kind -> what showed it (first seen)
    seconds: float | None = None  # how long the check's body ran, when it ran ahead on another thread

    def add(self, finding: Finding) -> None:
        if all(existing.fingerprint != finding.fingerprint for existing in self.findings):
            self.findings.append(finding)

    def rest_on(self, kind: Evidence, detail: str) -> None:
        """What a pass of this check would rest on (``tenantcheck.findings.Evidence``)."""
        self.rests_on.setdefault(kind, detail)


class Recorder:
    """Routes findings to the running check; leaks outside any check become session findings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: ContextVar[CheckContext | None] = ContextVar("tenantcheck_check", default=None)
        self.orphans: list[Finding] = []

    @contextmanager
    def running(self, context: CheckContext) -> Iterator[None]:
        """Findings made in this thread (and in calls it gathers) belong to ``context`` meanwhile."""
        token = self._current.set(context)
        try:
            yield
        finally:
            self._current.reset(token)

    @property
    def current(self) -> CheckContext | None:
        """The check running in this thread (``benchmarks/inflight.py`` names each request's check)."""
        return self._current.get()

    def rest_on(self, kind: Evidence, detail: str) -> None:
        """Evidence for the running check, from an oracle that has no ``Check`` at hand."""
        context = self._current.get()
        if context is not None:
            context.rest_on(kind, detail)

    def take_orphans(self) -> list[Finding]:
        with self._lock:
            orphans, self.orphans = self.orphans, []
            return orphans

    def add(self, finding: Finding) -> None:
        context = self._current.get()
        with self._lock:
            if context is not None:
                context.add(finding)
            elif all(existing.fingerprint != finding.fingerprint for existing in self.orphans):
                self.orphans.append(finding)

    def leak(self, requester: str, sightings: list[Sighting], exchange: Exchange) -> None:
        """The canary oracle: one finding per (requester, owner, place) in the running check."""
        context = self._current.get()
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
        marker=sighting.marker,
        marker_owner=sighting.owner,
    )
