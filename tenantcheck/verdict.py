"""From check results to the run's verdict and exit code (fail closed).

A run is isolated only if nothing failed, every selected check ran and none was inconclusive, and every
case that applies made at least one passed check: a run that tested nothing proves nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tenantcheck.findings import CheckResult, Finding

EXIT_ISOLATED = 0
EXIT_FINDINGS = 1
EXIT_INCONCLUSIVE = 2
EXIT_CONFIG = 3


@dataclass(frozen=True, kw_only=True)
class RunVerdict:
    verdict: str  # isolated | findings | inconclusive
    exit_code: int
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    unproven_cases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What a run covered of the catalog it could run: a ``-k``, ``-m`` or ``--pairs`` run proves isolation
    for what it selected, never for the whole service."""

    cases: tuple[str, ...] = ()  # cases with at least one selected check
    left_out_cases: tuple[str, ...] = ()  # cases whose every check was left out
    left_out_checks: int = 0  # checks deselected (-k, -m, --deselect)
    pairs: str = "all"  # attacker/victim pairs tried: all | ring | random:K

    @property
    def complete(self) -> bool:
        return not self.left_out_checks and self.pairs == "all"

    def describe(self) -> str:
        """``1 of 15 cases, 130 checks left out, pairs: ring``"""
        parts = [f"{len(self.cases)} of {len(self.cases) + len(self.left_out_cases)} cases"]
        if self.left_out_checks:
            parts.append(f"{self.left_out_checks} checks left out")
        if self.pairs != "all":
            parts.append(f"pairs: {self.pairs}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {"complete": self.complete, "cases": list(self.cases), "left_out_cases": list(self.left_out_cases),
                "left_out_checks": self.left_out_checks, "pairs": self.pairs}


def decide(results: Iterable[CheckResult], extra_findings: Iterable[Finding] = (), *, selected: int = 0,
           selection: Selection | None = None) -> RunVerdict:
    """``selected``: how many checks the run selected; fewer results mean the run stopped before some ran.
    ``selection``: what the run covered; a partial run says so in its reason (the exit code is the same)."""
    verdict = _decide(list(results), list(extra_findings), selected)
    if selection is None or selection.complete:
        return verdict
    scope = f"the selected checks only: {selection.describe()}"
    reason = f"{verdict.verdict} for {scope}; {verdict.reason}" if verdict.verdict == "isolated" \
        else f"{verdict.reason} ({scope})"
    return RunVerdict(verdict=verdict.verdict, exit_code=verdict.exit_code, reason=reason, counts=verdict.counts,
                      unproven_cases=verdict.unproven_cases)


def _decide(results: list[CheckResult], extra: list[Finding], selected: int) -> RunVerdict:
    counts = Counter(result.verdict for result in results)
    by_case: dict[str, Counter[str]] = {}
    for result in results:
        by_case.setdefault(result.case, Counter())[result.verdict] += 1
    unproven = tuple(sorted(
        case for case, verdicts in by_case.items()
        if verdicts["passed"] == 0 and sum(verdicts.values()) > verdicts["not-applicable"]
    ))
    summary: dict[str, int] = {str(key): value for key, value in counts.items()}
    if counts["failed"] or extra:
        failed = counts["failed"] + (1 if extra else 0)
        return RunVerdict(verdict="findings", exit_code=EXIT_FINDINGS, counts=summary, unproven_cases=unproven,
                          reason=f"{failed} check(s) found isolation failures")
    if not results:
        return RunVerdict(verdict="inconclusive", exit_code=EXIT_INCONCLUSIVE, counts=summary,
                          reason="no check ran: a run that tested nothing proves nothing")
    undecided = [f"{counts['inconclusive']} check(s) could not be decided"] if counts["inconclusive"] else []
    if selected > len(results):
        undecided.append(f"{selected - len(results)} of {selected} selected check(s) never ran: the run stopped early")
    if undecided:
        return RunVerdict(verdict="inconclusive", exit_code=EXIT_INCONCLUSIVE, counts=summary, unproven_cases=unproven,
                          reason="; ".join(undecided))
    if unproven or not counts["passed"]:
        return RunVerdict(verdict="inconclusive", exit_code=EXIT_INCONCLUSIVE, counts=summary, unproven_cases=unproven,
                          reason="no passed check for: " + (", ".join(unproven) or "any case"))
    return RunVerdict(verdict="isolated", exit_code=EXIT_ISOLATED, counts=summary,
                      reason=f"{counts['passed']} checks passed, none failed or undecided"
                      + (f"; {counts['not-applicable']} not applicable" if counts["not-applicable"] else ""))
