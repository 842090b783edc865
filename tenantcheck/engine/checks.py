"""What a suite's test holds while it runs: its subject and a way to record findings.

``Subject`` is the parametrization (operation, variant, attacker, victim) with a readable id;
``Check`` records findings into the running check's context and ends the check with a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from tenantcheck.catalog import Severity
from tenantcheck.engine.http import Reply
from tenantcheck.errors import Inconclusive, NotApplicable
from tenantcheck.findings import Evidence, Finding
from tenantcheck.run.recording import CheckContext


@dataclass(frozen=True, kw_only=True, slots=True)
class Subject:
    """One parametrization of a check: ``projects.update:tenant-b:tenant-a`` (attacker, then victim)."""

    operation: str | None = None
    variant: str | None = None
    attacker: str | None = None
    victim: str | None = None

    @property
    def id(self) -> str:
        parts = (self.operation, self.variant, self.attacker, self.victim)
        return ":".join(part for part in parts if part) or "all"


class Check:
    """The running check: records findings (each with evidence and a curl line) and stops with a verdict."""

    def __init__(self, context: CheckContext, subject: Subject) -> None:
        self.context = context
        self.subject = subject

    def finding(
        self,
        *,
        oracle: str,
        title: str,
        severity: Severity,
        detail: str = "",
        replies: Sequence[Reply] = (),
        attacker: str | None = None,
        victim: str | None = None,
    ) -> Finding:
        evidence = tuple(reply.exchange.to_dict() for reply in replies)
        finding = Finding(
            case=self.context.case,
            check=self.context.check,
            severity=severity,
            oracle=oracle,
            title=title,
            operation=self.subject.operation,
            attacker=attacker or self.subject.attacker,
            victim=victim or self.subject.victim,
            detail=detail,
            evidence=evidence,
            curl=replies[0].exchange.curl() if replies else None,
        )
        self.context.add(finding)
        return finding

    def fail(self, **details: Any) -> NoReturn:
        """Record a finding (the arguments of ``finding``) and end the check with it."""
        finding = self.finding(**details)
        detail = f": {finding.detail}" if finding.detail else ""
        raise AssertionError(f"[{finding.severity}] {finding.title}{detail}")

    def conclude(self) -> None:
        """End a check that recorded findings without stopping at the first one."""
        if self.context.findings:
            titles = "; ".join(f"[{f.severity}] {f.title}" for f in self.context.findings)
            raise AssertionError(titles)

    def rests_on(self, kind: Evidence, detail: str) -> None:
        """State what a pass of this check rests on; a check that states nothing cannot pass."""
        self.context.rest_on(kind, detail)

    @staticmethod
    def inconclusive(reason: str) -> NoReturn:
        raise Inconclusive(reason)

    @staticmethod
    def not_applicable(reason: str) -> NoReturn:
        raise NotApplicable(reason)
