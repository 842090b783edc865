"""The run's verdict fails closed: a check that never ran is a check that proves nothing."""

from __future__ import annotations

from tenantcheck.verdict import EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_ISOLATED, decide
from tests.report.helpers import check, finding


def test_every_selected_check_passed_is_isolated() -> None:
    verdict = decide([check("TC-01"), check("TC-02")], selected=2)
    assert (verdict.verdict, verdict.exit_code) == ("isolated", EXIT_ISOLATED)


def test_a_run_that_stopped_before_some_checks_ran_is_inconclusive() -> None:
    """Each check that ran passed, but 3 of the 5 selected never ran (a crash, an interrupt pytest could
    not report): the cases they would have covered are unproven."""
    verdict = decide([check("TC-01"), check("TC-02")], selected=5)
    assert (verdict.verdict, verdict.exit_code) == ("inconclusive", EXIT_INCONCLUSIVE)
    assert verdict.reason == "3 of 5 selected check(s) never ran: the run stopped early"


def test_a_finding_stands_however_early_the_run_stopped() -> None:
    verdict = decide([check("TC-01"), check("TC-02", "failed", findings=(finding(),))], selected=40)
    assert (verdict.verdict, verdict.exit_code) == ("findings", EXIT_FINDINGS)
