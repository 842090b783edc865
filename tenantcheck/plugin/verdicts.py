"""Per-check hooks: a check's context, its needs (else not-applicable), its verdict on the report, and
how the terminal shows undecided checks."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from tenantcheck.catalog import CASES_BY_ID
from tenantcheck.engine.checks import Subject
from tenantcheck.engine.world import World
from tenantcheck.errors import CheckStop, Inconclusive, NotApplicable
from tenantcheck.findings import CheckResult, Finding
from tenantcheck.plugin.stash import (
    CONTEXT_KEY,
    ENV_KEY,
    PROFILE_KEY,
    RECORDER_KEY,
    RUN_KEY,
    SETTING_UP,
    SUBJECT_KEY,
    TENANTS_SENT_KEY,
    TRIMMER_KEY,
    WORLD_KEY,
    active,
)
from tenantcheck.report.allure_labels import attach_findings, label_check
from tenantcheck.run.recording import CheckContext


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    context = check_context(item)
    if context is None:
        return
    SETTING_UP.set(context)
    if item.config.getoption("allure_report_dir", None):
        label_check(context)  # before its fixtures: a check that cannot even set up is labelled too
    missing = first_missing_need(item)
    if missing:
        raise NotApplicable(missing)


def check_context(item: pytest.Item) -> CheckContext | None:
    """The context a check records into (made once: a check that ran ahead already has it), or ``None``
    for a test that is no check."""
    marker = item.get_closest_marker("case")
    if marker is None or not active(item.config):
        return None
    if CONTEXT_KEY in item.stash:
        return item.stash[CONTEXT_KEY]
    case = marker.args[0]
    if case not in CASES_BY_ID:
        raise pytest.UsageError(f"unknown case id {case!r} on {item.nodeid}")
    callspec = getattr(item, "callspec", None)
    subject = callspec.params.get("subject", Subject()) if callspec else Subject()
    item.stash[SUBJECT_KEY] = subject
    context = CheckContext(check=f"{case}[{subject.id}]", case=case, operation=subject.operation,
                           attacker=subject.attacker, victim=subject.victim)
    item.stash[CONTEXT_KEY] = context
    return context


def first_missing_need(item: pytest.Item) -> str | None:
    for needs in item.iter_markers("needs"):
        for what in needs.args:
            missing = missing_need(item.config, what)
            if missing:
                return missing
    return None


def missing_need(config: pytest.Config, what: str) -> str | None:
    """Why a check cannot apply here: the profile lacks an operation or the environment an inspector."""
    if what.startswith("absent:"):
        return what.removeprefix("absent:")
    if what == "inspector":
        if config.stash[ENV_KEY].inspector is None:
            return "needs an inspector to read storage ([inspector] in the environment)"
        return None
    if config.stash[PROFILE_KEY].operation(what) is None:
        return f"the profile {config.stash[PROFILE_KEY].name!r} has no operation {what}"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None:
        return (yield)
    recorder = item.config.stash[RECORDER_KEY]
    try:
        with recorder.running(context):
            result = yield
    finally:
        if item.config.getoption("allure_report_dir", None):
            attach_findings(context)
    if context.findings:  # the canary hook found a leak in a check whose own oracles passed
        raise AssertionError("; ".join(f"[{f.severity}] {f.title}" for f in context.findings))
    if not context.rests_on:  # no pass without evidence (tenantcheck.findings.Evidence)
        raise Inconclusive(NO_EVIDENCE)
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Once a check is over (every plugin done with it, this wrapper being the outermost), what only its
    run needed goes (``slim``). And now and then, freed memory goes back to the system
    (``tenantcheck.run.memory``)."""
    try:
        return (yield)
    finally:
        if CONTEXT_KEY in item.stash:
            slim(item)
            item.config.stash[TRIMMER_KEY].check_done()


def slim(item: pytest.Item) -> None:
    """Drop what pytest and the plugins keep on a check's item that nothing reads once its reports are
    made: its stash (its context, the tmpdir and skipping plugins' notes; pytest holds the stash under
    its old name ``_store`` too), its parametrization (``callspec``), keywords and markers. Items live to
    the end of the session: at N = 20 with ``--pairs all`` (27k checks) that was about 40 MB."""
    item.stash = item._store = pytest.Stash()
    item.__dict__.pop("callspec", None)
    item.keywords = {}
    item.own_markers = []
    item.extra_keyword_matches = set()


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_stopped(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A check stopped as not-applicable or inconclusive is a skip with its reason: made here, because
    pytest's own report would first render the exception's traceback (parsing the suite's source: about
    13 ms a check) for nothing."""
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None or call.excinfo is None or not isinstance(call.excinfo.value, CheckStop) or context.findings:
        return None
    assert call.when != "collect"
    stop = call.excinfo.value
    return pytest.TestReport(item.nodeid, item.location, keywords={}, outcome="skipped",
                             longrepr=(str(item.path), item.location[1] or 0, f"{stop.verdict}: {stop}"),
                             when=call.when, duration=call.duration, start=call.start, stop=call.stop,
                             user_properties=item.user_properties)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None:
        return report
    if call.when == "teardown":  # session fixtures end with the last check: hand their problems over
        problems = item.config.stash[RUN_KEY].pop("cleanup_problems", None)
        if problems:
            report.tenantcheck_cleanup = problems
        return report
    recorder = item.config.stash[RECORDER_KEY]
    orphans = recorder.take_orphans()
    if orphans:
        report.tenantcheck_orphans = [finding.to_dict() for finding in orphans]
    world: World | None = item.config.stash.get(WORLD_KEY, None)
    if world is not None and call.when == "call":
        if item.config.stash.get(TENANTS_SENT_KEY, 0) != len(world.tenants):  # once, not on every report
            report.tenantcheck_tenants = {label: tenant.tenant_id for label, tenant in world.tenants.items()}
            report.tenantcheck_markers = {label: [kind[label] for kind in (world.markers, world.path_markers,
                                                                            world.search_markers)]
                                          for label in world.tenants}
            item.config.stash[TENANTS_SENT_KEY] = len(world.tenants)
        report.tenantcheck_stats = world.stats()
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        report.tenantcheck = verdict_of(item, context, call).to_dict()
    return report


NO_EVIDENCE = ("no evidence: the attempt was not refused, and the check showed no data of the victim that it "
               "could have revealed or changed")


def verdict_of(item: pytest.Item, context: CheckContext, call: pytest.CallInfo[None]) -> CheckResult:
    """Fail closed: only a check that ran to its end with no finding has passed."""
    error = call.excinfo.value if call.excinfo is not None else None
    findings: tuple[Finding, ...] = tuple(context.findings)
    if findings:
        verdict, reason = "failed", f"{len(findings)} finding(s)"
    elif error is None:
        verdict, reason = "passed", ""
    elif isinstance(error, CheckStop):
        verdict, reason = error.verdict, str(error)
    else:
        verdict, reason = "inconclusive", f"{type(error).__name__}: {error}"[:500]
    return CheckResult(check=context.check, case=context.case, nodeid=item.nodeid, verdict=verdict,  # type: ignore[arg-type]
                       reason=reason, operation=context.operation, attacker=context.attacker,
                       victim=context.victim, findings=findings, rests_on=dict(context.rests_on),
                       duration=round(call.duration if context.seconds is None else context.seconds, 3))


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """Show undecided checks as INCONCLUSIVE / N/A, never as a plain skip or pass."""
    result = getattr(report, "tenantcheck", None)
    if result is None:
        return None
    if result["verdict"] == "inconclusive" and report.outcome == "skipped":
        return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
    if result["verdict"] == "not-applicable":
        return "not applicable", "n", ("N/A", {"cyan": True})
    return None
