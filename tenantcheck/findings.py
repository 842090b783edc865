"""Findings and check results: plain data, serializable across xdist and into the JSON report.

A finding's fingerprint depends only on what was found (case, oracle, operation, attacker and victim
labels, title), never on run ids, generated names or server ids, so it is stable across runs and usable
in baselines and waivers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from tenantcheck.catalog import Severity

Verdict = Literal["passed", "failed", "inconclusive", "not-applicable"]
# What a pass rests on: the attempt was refused as the policy accepts ("refusal"), or the victim owned
# data carrying its marker that the attempt could have returned or changed ("data", e.g. shown by the
# positive control). A check with neither is inconclusive: nothing could have shown a leak.
Evidence = Literal["refusal", "data"]


def shallow_dict(instance: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, values as they are. ``dataclasses.asdict`` deep-copies every value
    (evidence, findings) that the callers replace anyway: per check, on every run, that was 7 % of the
    harness's CPU at N = 5 with ``--pairs all``."""
    return {name: getattr(instance, name) for name in FIELD_NAMES[type(instance)]}


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    case: str
    severity: Severity
    oracle: str
    title: str
    check: str
    operation: str | None = None
    attacker: str | None = None
    victim: str | None = None
    detail: str = ""
    evidence: tuple[dict[str, Any], ...] = ()
    curl: str | None = None
    fingerprint: str = field(default="")
    marker: str | None = None  # canary findings: the leaked marker (random per run, so not in the fingerprint)
    marker_owner: str | None = None  # and whose it is

    def __post_init__(self) -> None:
        if not self.fingerprint:
            key = "|".join(
                [self.case, self.oracle, self.operation or "", self.attacker or "", self.victim or "", self.title]
            )
            object.__setattr__(self, "fingerprint", hashlib.sha256(key.encode()).hexdigest()[:16])

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["evidence"] = list(self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "evidence": tuple(data.get("evidence", ()))})


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """The verdict of one check (one parametrized test), with its findings. Slotted, as the collector keeps
    one per check: 22k at N = 20 with ``--pairs all``."""

    check: str
    case: str
    nodeid: str
    verdict: Verdict
    reason: str = ""
    operation: str | None = None
    attacker: str | None = None
    victim: str | None = None
    findings: tuple[Finding, ...] = ()
    rests_on: dict[str, str] = field(default_factory=dict)  # a passed check's evidence, by kind (Evidence)
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["findings"] = [finding.to_dict() for finding in self.findings]
        data["rests_on"] = dict(self.rests_on)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        findings = tuple(Finding.from_dict(item) for item in data.get("findings", ()))
        return cls(**{**data, "findings": findings})


FIELD_NAMES: dict[type, tuple[str, ...]] = {kind: tuple(item.name for item in fields(kind))
                                           for kind in (Finding, CheckResult)}
