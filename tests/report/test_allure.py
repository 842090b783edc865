"""Allure views of a run: an undecided check is broken, never skipped; checks are labelled by case."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.detection.test_evidence import environment_with_creates_failing


def results(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in folder.glob("*-result.json")]


def test_undecided_checks_are_broken_not_skipped(catalog: Any, tmp_path: Path) -> None:
    """Given a target on which nothing can be created, every inconclusive check is broken in Allure (a
    dashboard must not read it as "0 failures, N skipped"); not-applicable checks stay skipped."""
    env = environment_with_creates_failing(tmp_path)
    run = catalog("--env", str(env), "--alluredir", str(tmp_path / "allure"))
    assert run.code == 2, run.output
    statuses = Counter(result["status"] for result in results(tmp_path / "allure"))
    assert statuses["broken"] == len(run.verdicts("inconclusive")) > 0
    assert statuses["skipped"] == len(run.verdicts("not-applicable"))
    assert statuses["passed"] == len(run.verdicts("passed"))  # refused attempts, evidence of their own
    assert set(statuses) <= {"broken", "skipped", "passed"}


def test_checks_are_labelled_by_case(catalog: Any, tmp_path: Path) -> None:
    run = catalog("--env", "local", "-k", "TC-02", "--alluredir", str(tmp_path / "allure"))
    assert run.code == 0, run.output
    found = results(tmp_path / "allure")
    assert {result["name"] for result in found} == {check["check"] for check in run.checks}
    assert all({"name": "feature", "value": "TC-02 cross-tenant access"} in result["labels"] for result in found)
