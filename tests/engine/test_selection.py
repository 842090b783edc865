"""Partial runs say so: a -k or sampled --pairs run is isolated for what it selected, never for the
whole service; its verdict, terminal line, JSON and JUnit say what was covered, and the exit code is the
same as for a whole run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tenantcheck.verdict import Selection, decide
from tests.report.helpers import check


def test_a_partial_selection_is_named_in_the_reason() -> None:
    selection = Selection(cases=("TC-04",), left_out_cases=("TC-01", "TC-02"), left_out_checks=12)
    verdict = decide([check(case="TC-04")], selected=1, selection=selection)
    assert verdict.verdict == "isolated" and verdict.exit_code == 0
    assert verdict.reason.startswith("isolated for the selected checks only: 1 of 3 cases, 12 checks left out;")


def test_a_complete_run_says_nothing_more() -> None:
    verdict = decide([check(case="TC-04")], selected=1, selection=Selection(cases=("TC-04",)))
    assert "selected checks only" not in verdict.reason


def test_sampled_pairs_are_partial_too() -> None:
    assert not Selection(cases=("TC-02",), pairs="ring").complete
    assert Selection(cases=("TC-02",), pairs="all").complete


def test_a_k_run_records_what_it_covered(catalog: Any) -> None:
    run = catalog("--env", "local", "-k", "TC-04")
    assert run.code == 0, run.output
    document = run.document
    assert document is not None
    assert document["selection"]["complete"] is False and document["selection"]["cases"] == ["TC-04"]
    assert "TC-02" in document["selection"]["left_out_cases"]
    assert "isolated for the selected checks only: 1 of 17 cases" in document["verdict"]["reason"]
    assert "VERDICT: ISOLATED (isolated for the selected checks only: 1 of 17 cases" in run.output
    junit = Path(run.output.rsplit("report: ", 1)[1].split()[0]).with_name("junit.xml")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["selection"].startswith("TC-04 (1 of 17 cases)")


def test_a_whole_run_is_complete(catalog: Any) -> None:
    run = catalog("--env", "local", "-k", "TC-01 or TC-02 or not TC-01")
    assert run.code == 0, run.output
    assert run.document is not None and run.document["selection"]["complete"] is True
