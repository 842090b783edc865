"""Release gating: which of a run's findings fail the build, given a baseline report and waivers.

A team adopting tenantcheck on a service with known isolation bugs still needs a gate that catches the
*next* bug. So only findings that are neither in the baseline (a previous report) nor under a live waiver
fail the gate; fixed findings are listed so progress shows. A waiver is a dated promise: once it expires,
its finding fails again, even if the baseline also holds it, because a baseline must not silently extend a
deadline. Findings are matched by fingerprint, which is stable across runs.

Exit codes as in ``tenantcheck.verdict``: 0 pass, 1 a finding fails the gate, 2 inconclusive (nothing
fails, but the run could not show isolation), 3 bad baseline or waivers file (``ConfigError``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from tenantcheck.config.tomlconfig import StrictModel, load_model, read_toml
from tenantcheck.errors import ConfigError
from tenantcheck.verdict import EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_ISOLATED

SUPPORTED_MAJOR = 1


class Waiver(StrictModel):
    """One ``[[waiver]]`` of ``waivers.toml``: a finding accepted until (and including) ``expires``."""

    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    def live(self, today: date) -> bool:
        """A waiver holds through its expiry day; from the next day on its finding fails again."""
        return today <= self.expires

    def to_dict(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat()}


class WaiverFile(StrictModel):
    """The whole ``waivers.toml``: a list of ``[[waiver]]`` tables (none is fine)."""

    waiver: list[Waiver] = Field(default_factory=list)

    @field_validator("waiver")
    @classmethod
    def unique_fingerprints(cls, waivers: list[Waiver]) -> list[Waiver]:
        # Two waivers for one finding would make "which expiry counts?" a guess.
        seen: set[str] = set()
        for waiver in waivers:
            if waiver.fingerprint in seen:
                raise ValueError(f"fingerprint {waiver.fingerprint} is waived twice; keep one [[waiver]] for it")
            seen.add(waiver.fingerprint)
        return waivers


def load_waivers(path: Path) -> list[Waiver]:
    """Read and validate ``waivers.toml``; any problem is a ``ConfigError`` naming the file and key."""
    return list(load_model(WaiverFile, read_toml(path), path).waiver)


def load_report(path: Path) -> dict[str, Any]:
    """Read an ``isolation-report.json`` of schema major version 1 (any minor); else ``ConfigError``.

    Only what every reader relies on is checked here (version, findings with fingerprints, checks), so an
    older report of the same major version is accepted as it is.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: not a tenantcheck report (expected a JSON object)")
    version = document.get("schema_version")
    if not isinstance(version, str):
        raise ConfigError(f"{path}: not a tenantcheck report (no schema_version)")
    major = version.split(".", 1)[0]
    if major != str(SUPPORTED_MAJOR):
        raise ConfigError(f"{path}: schema_version {version} is not supported; this tenantcheck reads "
                          f"{SUPPORTED_MAJOR}.x reports (re-run the catalog, or use a matching tenantcheck)")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(item, dict) and isinstance(item.get("fingerprint"), str) for item in findings
    ):
        raise ConfigError(f"{path}: 'findings' must be a list of findings, each with a 'fingerprint'")
    if not isinstance(document.get("checks"), list):
        raise ConfigError(f"{path}: 'checks' must be a list")
    return document


@dataclass(frozen=True, kw_only=True)
class Gate:
    """What the gate decided, and the lists a reader needs to see why."""

    exit_code: int
    outcome: str  # pass | fail | inconclusive
    reason: str
    today: date
    new: tuple[str, ...] = ()
    baselined: tuple[str, ...] = ()
    waived: tuple[Waiver, ...] = ()
    expired: tuple[Waiver, ...] = ()
    fixed: tuple[dict[str, str], ...] = ()
    unused_waivers: tuple[Waiver, ...] = ()
    baseline: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The ``"gate"`` section of the JSON report (see the schema)."""
        return {
            "exit_code": self.exit_code,
            "outcome": self.outcome,
            "reason": self.reason,
            "today": self.today.isoformat(),
            "baseline": self.baseline,
            "new": list(self.new),
            "baselined": list(self.baselined),
            "waived": [waiver.to_dict() for waiver in self.waived],
            "expired": [waiver.to_dict() for waiver in self.expired],
            "fixed": [dict(item) for item in self.fixed],
            "unused_waivers": [waiver.to_dict() for waiver in self.unused_waivers],
        }


def gate(document: dict[str, Any], *, baseline: dict[str, Any] | None, waivers: list[Waiver], today: date) -> Gate:
    """Decide the run's exit code from its findings, a baseline report (or None) and waivers.

    A finding fails the gate if it is new (not in the baseline, no waiver) or its waiver expired. With
    nothing failing, a run whose verdict is inconclusive, or that has undecided checks, still gives 2.
    """
    findings: list[dict[str, Any]] = document.get("findings", [])
    current = [finding["fingerprint"] for finding in findings]
    present = set(current)
    known = {item["fingerprint"]: item for item in (baseline or {}).get("findings", [])}
    by_fingerprint = {waiver.fingerprint: waiver for waiver in waivers}

    new: list[str] = []
    baselined: list[str] = []
    waived: list[Waiver] = []
    expired: list[Waiver] = []
    for fingerprint in current:
        waiver = by_fingerprint.get(fingerprint)
        if waiver is not None and not waiver.live(today):
            expired.append(waiver)
        elif fingerprint in known:
            baselined.append(fingerprint)
        elif waiver is not None:
            waived.append(waiver)
        else:
            new.append(fingerprint)
    fixed = tuple(
        {key: str(item.get(key, "")) for key in ("fingerprint", "case", "severity", "title", "check")}
        for fingerprint, item in known.items() if fingerprint not in present
    )
    unused = tuple(waiver for waiver in waivers if waiver.fingerprint not in present)
    # A failed check without a recorded finding cannot be baselined or waived: it always fails.
    unattributed = [check["check"] for check in document.get("checks", [])
                    if check.get("verdict") == "failed" and not check.get("findings")]

    outcome, code, reason = _decide(document, new, expired, unattributed, accepted=len(baselined) + len(waived))
    return Gate(
        exit_code=code, outcome=outcome, reason=reason, today=today, new=tuple(new), baselined=tuple(baselined),
        waived=tuple(waived), expired=tuple(expired), fixed=fixed, unused_waivers=unused,
        baseline=None if baseline is None else {
            "run_id": baseline.get("run_id"), "finished": baseline.get("finished"), "findings": len(known),
        },
    )


def _decide(document: dict[str, Any], new: list[str], expired: list[Waiver], unattributed: list[str],
            *, accepted: int) -> tuple[str, int, str]:
    """The outcome, exit code and one-line reason, failing closed."""
    failing = []
    if new:
        failing.append(f"{len(new)} new finding(s)")
    if expired:
        failing.append(f"{len(expired)} finding(s) under an expired waiver")
    if unattributed:
        failing.append(f"{len(unattributed)} failed check(s) without a finding")
    if failing:
        return "fail", EXIT_FINDINGS, " and ".join(failing) + " fail the gate"
    verdict = document.get("verdict", {})
    checks = document.get("checks", [])
    undecided = sum(1 for check in checks if check.get("verdict") == "inconclusive")
    passed = sum(1 for check in checks if check.get("verdict") == "passed")
    if verdict.get("verdict") == "inconclusive" or undecided or not passed:
        why = verdict.get("reason") if verdict.get("verdict") == "inconclusive" else (
            f"{undecided} check(s) could not be decided" if undecided else "no check passed")
        return "inconclusive", EXIT_INCONCLUSIVE, f"no finding fails the gate, but the run is inconclusive: {why}"
    if accepted:
        return "pass", EXIT_ISOLATED, f"no new finding; {accepted} known finding(s) accepted (baseline or waiver)"
    return "pass", EXIT_ISOLATED, "no finding: " + str(verdict.get("reason", "isolated"))
