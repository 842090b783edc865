"""Prints the table flaw -> cases that caught it, after the detection tests (also under xdist)."""

from __future__ import annotations

from typing import Any

import pytest

CAUGHT: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "test_flaw_is_caught_by_its_case[" in report.nodeid:
        flaw = report.nodeid.rsplit("[", 1)[1].rstrip("]")
        CAUGHT[flaw] = dict(report.user_properties).get("caught_by", "")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CAUGHT:
        return
    terminalreporter.section("flaw -> cases with findings")
    width = max(len(flaw) for flaw in CAUGHT)
    for flaw in sorted(CAUGHT):
        terminalreporter.write_line(f"  {flaw:<{width}}  {CAUGHT[flaw] or '(none)'}")
