"""Detection both ways: every reference flaw is caught by its case; the correct target yields nothing.

Each test runs the whole catalog (``tenantcheck run``) against the embedded reference target, exactly as
a user would, and reads the JSON report.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.reference import FLAWS

# flaw -> the case FLAWS.md names, and the environment that exposes it
EXPECTED: dict[str, tuple[str, str]] = {
    "list-unfiltered": ("TC-01", "local"),
    "get-unchecked": ("TC-02", "local"),
    "update-unchecked": ("TC-02", "local"),
    "delete-unchecked": ("TC-02", "local"),
    "deployments-unchecked": ("TC-03", "local"),
    "deploy-foreign": ("TC-03", "local"),
    "file-read-unchecked": ("TC-04", "local"),
    "file-write-unchecked": ("TC-04", "local"),
    "search-unscoped": ("TC-05", "local"),
    "tenant-not-persisted": ("TC-06", "local"),
    "denials-not-logged": ("TC-06", "local"),
    "kv-unprefixed": ("TC-07", "local"),
    "default-sees-all": ("TC-08", "local-lenient"),
    "default-in-lists": ("TC-01", "local-lenient"),
    "strict-ignored": ("TC-08", "local"),
    "header-overrides-token": ("TX-01", "local"),
    "body-tenant-honored": ("TX-02", "local"),
    "download-any-key": ("TX-03", "local"),
    "error-leaks-data": ("canary", "local"),
    "audit-unscoped": ("TX-04", "local"),
    "cache-key-shared": ("TX-05", "local"),
    "request-state-shared": ("TX-06", "local"),
    "list-state-shared": ("TX-06", "local"),
}
RESTORE_FLAWS = {"restore-drops-owner", "restore-drops-files"}  # decided by `tenantcheck verify` (RV cases)


def test_every_flaw_has_an_expectation() -> None:
    assert set(EXPECTED) | RESTORE_FLAWS == set(FLAWS)


@pytest.mark.parametrize("concurrency", ["default", "1"])
@pytest.mark.parametrize("flaw", sorted(EXPECTED))
def test_flaw_is_caught_by_its_case(flaw: str, concurrency: str, catalog: Any, record_property: Any) -> None:
    """At the default concurrency and one check at a time: detection must not depend on which checks
    happen to run beside each other."""
    case, env = EXPECTED[flaw]
    run = catalog("--env", env, "--flaw", flaw, *(["--concurrency", concurrency] if concurrency != "default" else []))
    assert run.document is not None, run.output
    record_property("caught_by", ",".join(sorted(run.finding_cases)))
    assert run.code == 1, run.output
    if case == "canary":
        assert any(f["oracle"] == "canary" for f in run.document["findings"]), run.output
    else:
        assert case in run.finding_cases, f"{flaw} not caught by {case}; cases: {sorted(run.finding_cases)}"


@pytest.mark.parametrize("concurrency", ["default", "1"])
@pytest.mark.parametrize("env", ["local", "local-lenient"])
def test_correct_target_has_no_findings_and_nothing_undecided(env: str, concurrency: str, catalog: Any) -> None:
    run = catalog("--env", env, *(["--concurrency", concurrency] if concurrency != "default" else []))
    assert run.code == 0, run.output
    assert run.document is not None
    assert run.document["findings"] == []
    assert run.verdicts("inconclusive") == []
    assert run.document["verdict"]["verdict"] == "isolated"


def test_header_identity_gives_exactly_the_self_asserted_finding(catalog: Any) -> None:
    run = catalog("--env", "local-header")
    assert run.code == 1, run.output
    assert run.document is not None
    [finding] = run.document["findings"]
    assert finding["case"] == "TX-01" and finding["title"].startswith("identity is self-asserted")
    assert run.verdicts("inconclusive") == []


def test_five_tenants_still_isolated(catalog: Any) -> None:
    run = catalog("--env", "local", "--tenants", "5")
    assert run.code == 0, run.output
    assert run.document is not None
    assert {t["label"] for t in run.document["tenants"]} == {f"tenant-{c}" for c in "abcde"}
    pairs = {(c["attacker"], c["victim"]) for c in run.document["checks"] if c["case"] == "TC-02"}
    assert len(pairs) == 20  # every ordered pair of five tenants
