"""Whole runs against a reference target in chaos mode: a flaky target never turns into a wrong verdict.

Given a correct target that fails a share of its requests, when the catalog runs, then no run reports a
finding (every finding on the correct target would be false), no run says "isolated" while a selected
check could not be completed, every retry is counted in the report, and nothing is left on the target.
Given a flawed target in chaos mode, the checks that catch the flaw are failed or inconclusive, never
passed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tenantcheck.reference import ReferenceConfig
from tenantcheck.reference.chaos import ChaosConfig
from tests.reliability.helpers import Run, Target, hold, run_against, serve

SWEEP_KINDS = frozenset({"500", "503", "429", "timeout", "drop", "truncate", "html"})
"""The kinds of the sweep: every kind the reference target's chaos mode has."""

SUBSETS = [
    "TC-01 or TC-02",
    "TC-03 or TC-04",
    "TC-05 or TC-06 or TC-07",
    "TC-08 or TX-01",
    "TX-02 or TX-03",
    "TX-04 or TX-05 or TX-06",
    "TX-07",
]
"""The catalog in seven slices: each sweep run takes one, so the sweep covers every case three times while
a run stays a few seconds long."""

SWEEP_RUNS = 21
RATES = (0.15, 0.2, 0.25)
CLIENT_TIMEOUT = 0.75  # seconds; a chaos "timeout" hangs 1 s, so it costs the client 0.75 s
RETRYABLE = {"503", "429", "timeout", "drop", "truncate", "html"}
IDEMPOTENT = {"GET", "PUT", "DELETE"}


def selected_checks(run: Run) -> int:
    """How many checks pytest ran, from its last line ('80 passed, 44 inconclusive, 4 deselected in 3.2s')."""
    lines = [line for line in run.output.splitlines() if re.search(r" in \d+(\.\d+)?s", line)]
    assert lines, run.describe()
    counts = re.findall(r"(\d+) ([a-z][a-z ]*?)(?=,| in )", lines[-1].strip("= "))
    return sum(int(number) for number, word in counts if word != "deselected")


def assert_sound_on_correct_target(run: Run, target: Target) -> dict[str, Any]:
    """What every run against the correct target in chaos mode must show; returns the chaos tally."""
    assert run.document is not None, run.describe()
    assert run.findings == [], f"a finding on the correct target is not real: {run.findings[0]['title']}\n" \
                               f"{run.describe()}"
    assert run.code in (0, 2), run.describe()
    undecided = run.verdicts("inconclusive")
    if undecided:
        assert run.code == 2 and run.verdict == "inconclusive", run.describe()
        assert all(check["reason"] for check in undecided)
    if run.code == 0:
        assert run.verdict == "isolated" and not undecided
    assert selected_checks(run) == len(run.checks), "a selected check is missing from the report"
    assert target.tenants() == [], "the run left tenants on the target"
    assert run.records() == [], "the run left a record although its teardown succeeded"
    tally = target.chaos()
    assert tally["eligible"] > 0 and sum(tally["injected"].values()) > 0, "chaos never struck: the run proves nothing"
    retryable = sum(count for method, kinds in tally["by_method"].items() if method in IDEMPOTENT
                    for kind, count in kinds.items() if kind in RETRYABLE)
    if retryable:
        assert run.stats["retried"] > 0, f"{retryable} retryable failures, but the report counts no retry"
    assert len(target.tap.keys) >= 2  # the tenants' API keys were among the secrets scanned for
    return tally


@pytest.mark.parametrize("index", range(SWEEP_RUNS), ids=[f"run{i:02d}" for i in range(SWEEP_RUNS)])
def test_chaos_sweep_on_the_correct_target(tmp_path: Path, index: int) -> None:
    """21 runs (over the issue's 20), each one slice of the catalog with its own seed and rate."""
    chaos = ChaosConfig(rate=RATES[index % len(RATES)], kinds=SWEEP_KINDS, seed=1000 + index, hang_seconds=1.0)
    with serve(ReferenceConfig(chaos=chaos)) as target:
        run = run_against(target, tmp_path, "-k", SUBSETS[index % len(SUBSETS)], timeout=CLIENT_TIMEOUT)
        assert_sound_on_correct_target(run, target)


def test_retries_stay_within_the_budget_and_are_counted(tmp_path: Path) -> None:
    """A read that always fails is tried 1 + retries times, then its check is inconclusive."""
    chaos = ChaosConfig(rate=1.0, kinds=frozenset({"503"}), only="^GET /api/access-logs$")
    with serve(ReferenceConfig(chaos=chaos)) as target:
        run = run_against(target, tmp_path, "-k", "TX-04", retries=2)
        tally = target.chaos()
    checks = run.checks
    assert [check["verdict"] for check in checks] == ["inconclusive", "inconclusive"], run.describe()
    assert all("503" in check["reason"] for check in checks)
    assert tally["eligible"] == 2 * 3  # two checks, each read tried three times
    assert run.stats["retried"] == 2 * 2
    assert run.code == 2


def test_writes_are_never_retried(tmp_path: Path) -> None:
    """A create that fails is not sent again (it may have been applied); the checks that need it say why."""
    chaos = ChaosConfig(rate=1.0, kinds=frozenset({"503"}), only="^POST /api/projects$")
    with serve(ReferenceConfig(chaos=chaos)) as target:
        run = run_against(target, tmp_path, "-k", "TC-01", retries=2)
        tally = target.chaos()
    assert tally["eligible"] == 2  # one create per tenant, never repeated
    assert run.stats["retried"] == 0
    assert run.code == 2 and run.findings == []
    assert all("503" in check["reason"] for check in run.checks), run.describe()


def test_retries_are_counted_in_the_report(tmp_path: Path) -> None:
    """Every retry the harness makes was caused by an injected failure (the target never fails by itself)."""
    chaos = ChaosConfig(rate=0.3, kinds=frozenset({"503", "drop", "html"}), seed=7, only="^GET ")
    with serve(ReferenceConfig(chaos=chaos)) as target:
        run = run_against(target, tmp_path, "-k", "TC-01 or TC-02 or TX-04")
        tally = assert_sound_on_correct_target(run, target)
    injected = sum(tally["injected"].values())
    assert 0 < run.stats["retried"] <= injected
    retried_exchanges = [e for f in run.findings for e in f["evidence"] if e.get("retries")]
    assert retried_exchanges == []  # no findings at all on the correct target, so no evidence either


FLAW_CASES = {
    "get-unchecked": "TC-02",
    "list-unfiltered": "TC-01 or TC-05",
    "file-read-unchecked": "TC-04",
}
"""Three flaws caught by reads of three different resources (a project, a list, a file); two runs each."""


@pytest.mark.parametrize("flaw", sorted(FLAW_CASES))
def test_chaos_never_hides_a_flaw(tmp_path: Path, flaw: str) -> None:
    """Checks that catch the flaw without chaos are failed or inconclusive under chaos, never passed.

    Chaos strikes the checks' own requests (GET, PUT, DELETE: controls, attacks, re-reads), not the seeding
    POSTs: a run whose seeding failed would have no check that could catch anything, and prove nothing.
    """
    subset = FLAW_CASES[flaw]
    with serve(ReferenceConfig(flaws=frozenset({flaw}))) as calm:
        baseline = run_against(calm, tmp_path / "calm", "-k", subset)
    catching = {check["check"] for check in baseline.verdicts("failed")}
    assert baseline.code == 1 and len(catching) >= 2, baseline.describe()
    chaos = ChaosConfig(rate=0.3, kinds=SWEEP_KINDS, seed=sum(map(ord, flaw)), hang_seconds=1.0,
                        only="^(GET|PUT|DELETE) ")
    with serve(ReferenceConfig(flaws=frozenset({flaw}), chaos=chaos)) as target:
        run = run_against(target, tmp_path / "chaos", "-k", subset, timeout=CLIENT_TIMEOUT)
        assert target.tenants() == []
        assert sum(target.chaos()["injected"].values()) > 0
    verdicts = {check["check"]: check["verdict"] for check in run.checks}
    passed = sorted(check for check in catching if verdicts.get(check) == "passed")
    assert not passed, f"chaos hid {flaw}: {passed} passed\n{run.describe()}"
    assert run.fingerprints <= baseline.fingerprints, "chaos made up a finding the calm run does not have"
    completed = [check for check in catching if verdicts.get(check) == "failed"]
    assert run.code == (1 if completed else 2), run.describe()
    assert completed, f"every check that catches {flaw} was inconclusive: the run shows nothing ({run.describe()})"


# --------------------------------------------------------------------------- engine defects, staged exactly


@pytest.mark.parametrize("kind, pattern, subset", [
    pytest.param("429", "^PUT ", "TC-02 and projects.update", id="429-on-attempts"),
    pytest.param("500", "^GET /api/projects/[^/]+$", "TC-06 or TX-02 or (TX-01 and body)", id="500-on-rereads"),
    pytest.param("503", "^GET /api/projects/[^/]+$", "TC-06 or TX-02 or (TX-01 and body)", id="503-on-rereads"),
    pytest.param("drop", "^GET /api/projects/[^/]+$", "TC-02 or TC-08", id="drop-on-reads"),
    pytest.param("429", "^GET /api/(projects/[^/]+|download/.*)$", "TX-06 or TC-07", id="429-on-own-reads"),
    pytest.param("html", "^(PUT|POST) ", "TC-02 or TC-03 or TC-04", id="html-on-writes"),
])
def test_a_failing_request_is_never_a_finding(tmp_path: Path, kind: str, pattern: str, subset: str) -> None:
    """Every request matching ``pattern`` fails with ``kind``: the checks that need it are inconclusive."""
    chaos = ChaosConfig(rate=1.0, kinds=frozenset({kind}), only=pattern)
    with serve(ReferenceConfig(chaos=chaos)) as target:
        run = run_against(target, tmp_path, "-k", subset)
        assert target.chaos()["eligible"] > 0
        assert target.tenants() == []
    assert run.findings == [], "; ".join(f"{f['check']}: {f['title']}" for f in run.findings)
    assert run.code == 2 and run.verdicts("inconclusive"), run.describe()


def test_a_throttled_reread_is_not_a_deletion(tmp_path: Path) -> None:
    """The owner's re-read after a delete attempt is throttled (429 every time): not evidence of a deletion."""
    with serve() as target:
        reads: dict[str, int] = {}

        async def throttle_rereads(method: str, path: str) -> int | None:
            if method == "GET" and re.fullmatch(r"/api/projects/[^/]+", path):
                reads[path] = reads.get(path, 0) + 1
                return 429 if reads[path] > 1 else None  # the positive control gets through, the re-read not
            return None

        target.tap.before = throttle_rereads
        run = run_against(target, tmp_path, "-k", "TC-02 and projects.delete")
        assert target.tenants() == []
    assert reads and all(count > 1 for count in reads.values())
    assert run.findings == [], "; ".join(f"{f['check']}: {f['title']}" for f in run.findings)
    assert run.code == 2


def test_held_requests_only_slow_a_run_down(tmp_path: Path) -> None:
    """Slow answers within the client's timeout change nothing: the verdict is the calm run's."""
    with serve() as target:
        hold(target, "GET", "/api/projects", 0.2)
        run = run_against(target, tmp_path, "-k", "TC-01 or TC-02", timeout=5)
        assert target.tenants() == []
    assert run.code == 0 and run.verdict == "isolated", run.describe()
