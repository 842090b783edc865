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


def decide(results: Iterable[CheckResult], extra_findings: Iterable[Finding] = (), *, selected: int = 0) -> RunVerdict:
    """``selected``: how many checks the run selected; fewer results mean the run stopped before some ran."""
    results = list(results)
    extra = list(extra_findings)
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
