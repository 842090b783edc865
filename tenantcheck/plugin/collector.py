"""The controller's side of a run: gathers every check's result, decides, writes, summarizes.

Under xdist, results reach the controller on the serialized test reports (``report.tenantcheck``), so
the same code sees the same results with ``-n 0`` and ``-n 2``. Results are keyed by node id, findings
by fingerprint.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tenantcheck.catalog import SEVERITY_ORDER
from tenantcheck.engine.tenants import pair_sampling
from tenantcheck.findings import CheckResult, Finding
from tenantcheck.plugin.stash import BASELINE_KEY, ENV_KEY, MANIFEST_KEY, PROFILE_KEY, RUN_KEY, WAIVERS_KEY
from tenantcheck.problems import Problem, group
from tenantcheck.report.allure_labels import mark_inconclusive_broken
from tenantcheck.report.gating import Gate
from tenantcheck.run.memory import release_free_memory
from tenantcheck.verdict import EXIT_CONFIG, EXIT_INCONCLUSIVE, RunVerdict, Selection, decide

# One report stands in for every passed check in the terminal's stats, which the summary line only counts.
PASSED_STAND_IN = pytest.TestReport("", ("", None, ""), {}, "passed", None, "call")
SHOWN_FINDINGS = 10
SHOWN_UNDECIDED = 5
TRANSFER = ("tenantcheck", "tenantcheck_cleanup", "tenantcheck_tenants", "tenantcheck_markers", "tenantcheck_stats",
            "tenantcheck_orphans")


class Collector:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, CheckResult] = {}
        self.orphans: dict[str, Finding] = {}
        self.verdict: RunVerdict | None = None
        self.gate: Gate | None = None
        self.report_path: str | None = None
        self.document: dict[str, Any] = {}
        self.exit_code = EXIT_INCONCLUSIVE
        self.tenants: dict[str, set[str]] = {}
        self.markers: dict[str, set[str]] = {}  # label -> its canary markers (every worker's)
        self.stats: dict[str, dict[str, int]] = {}
        self.total = 0
        self.deselected: Counter[str] = Counter()  # case -> checks left out of this run
        self.selected_cases: set[str] = set()
        self.cleanup_problems: list[str] = []
        self.problems: list[Problem] = []
        self._last_progress = time.monotonic()

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Checks ``-k``, ``-m`` or ``--deselect`` left out (restore checks outside ``verify`` are not the
        run's to choose: they never count)."""
        verify = self.config.stash[MANIFEST_KEY] is not None
        for item in items:
            marker = item.get_closest_marker("case")
            if marker is not None and (verify or not str(marker.args[0]).startswith("RV-")):
                self.deselected[str(marker.args[0])] += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.selected_cases = {str(marker.args[0]) for item in session.items
                               if (marker := item.get_closest_marker("case")) is not None}
        self._last_progress = time.monotonic()

    def progress(self) -> None:
        """A line every few seconds on long runs: checks done of total, findings and undecided so far."""
        now = time.monotonic()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or (now - self._last_progress < 3):
            return
        self._last_progress = now
        counts = Counter(result.verdict for result in self.results.values())
        reporter.write("\n")  # progress dots do not end their line
        reporter.write_line(f"tenantcheck: {len(self.results)}/{self.total or '?'} checks, "
                            f"{len(self.findings)} finding(s), {counts['inconclusive']} inconclusive")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "tenantcheck", None)
        if data is not None:
            self.results[report.nodeid] = CheckResult.from_dict(data)
            self.progress()
        self.cleanup_problems += getattr(report, "tenantcheck_cleanup", [])
        for label, tenant_id in getattr(report, "tenantcheck_tenants", {}).items():
            self.tenants.setdefault(label, set()).add(tenant_id)
        for label, markers in getattr(report, "tenantcheck_markers", {}).items():
            self.markers.setdefault(label, set()).update(markers)
        stats = getattr(report, "tenantcheck_stats", None)
        if stats:
            self.stats[stats["worker"]] = stats
        for item in getattr(report, "tenantcheck_orphans", ()):
            finding = Finding.from_dict(item)
            self.orphans.setdefault(finding.fingerprint, finding)

    @pytest.hookimpl(trylast=True, specname="pytest_runtest_logreport")
    def pytest_runtest_logreport_trim(self, report: pytest.TestReport) -> None:
        """After every plugin has seen a report: drop what no summary needs (the terminal reporter keeps
        every report to the end: three per check, 66k at N = 20 with --pairs all)."""
        for name in TRANSFER:
            if hasattr(report, name):
                delattr(report, name)
        report.keywords = {}
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        reporter.stats.pop("", None)  # passed setups and teardowns: kept, never shown nor counted
        passed = reporter.stats.get("passed")
        if report.when == "call" and passed and passed[-1] is report and not any(map(reporter.hasopt, "pP")):
            passed[-1] = PASSED_STAND_IN  # the summary only counts passes, unless -rp, -rP or -rA lists them

    @property
    def findings(self) -> list[Finding]:
        found: dict[str, Finding] = {}
        for result in self.results.values():
            for finding in result.findings:
                found.setdefault(finding.fingerprint, finding)
        for fingerprint, finding in self.orphans.items():
            found.setdefault(fingerprint, finding)
        return sorted(found.values(), key=lambda f: (SEVERITY_ORDER[f.severity], f.case, f.check))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from tenantcheck.report import write_reports
        from tenantcheck.report.document import build_document
        from tenantcheck.report.gating import gate

        if self.config.option.collectonly:
            return
        release_free_memory()  # what the checks freed, before the report's document is built
        results = sorted(self.results.values(), key=lambda r: r.check)
        selection = Selection(
            cases=tuple(sorted(self.selected_cases)), left_out_checks=sum(self.deselected.values()),
            left_out_cases=tuple(sorted(set(self.deselected) - self.selected_cases)),
            pairs=pair_sampling(self.config.getoption("tenantcheck_pairs"),
                                self.config.getoption("tenantcheck_tenants")))
        self.verdict = decide(results, self.orphans.values(), selected=self.total, selection=selection)
        seen = [finding for result in results for finding in result.findings] + list(self.orphans.values())
        self.problems = group(seen, self.config.stash[PROFILE_KEY])
        run: dict[str, Any] = self.config.stash[RUN_KEY]
        run["finished"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        run["cleanup_problems"] = self.cleanup_problems
        env = self.config.stash[ENV_KEY]
        totals = {key: sum(worker.get(key, 0) for worker in self.stats.values()) for key in ("requests", "retried")}
        document = build_document(run=run, environment=env.name, profile=self.config.stash[PROFILE_KEY].name,
                                  flaws=list(env.target.flaws), tenants=self.tenants, markers=self.markers,
                                  stats=totals,
                                  results=results, findings=self.findings, verdict=self.verdict,
                                  manifest=self.config.stash[MANIFEST_KEY], selection=selection,
                                  problems=self.problems)
        baseline, waivers = self.config.stash[BASELINE_KEY], self.config.stash[WAIVERS_KEY]
        self.gate = gate(document, baseline=baseline, waivers=waivers, today=datetime.now(UTC).date())
        if baseline is not None or waivers:
            document["gate"] = self.gate.to_dict()
        code = self.gate.exit_code
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            code = EXIT_CONFIG
        elif exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR) and code == 0:
            code = EXIT_INCONCLUSIVE
        paths = write_reports(report_dir(self.config), document)
        alluredir = self.config.getoption("allure_report_dir", None)
        if alluredir:
            undecided = {name: result.reason for result in results if result.verdict == "inconclusive"
                         for name in (result.check, result.nodeid.rsplit("::", 1)[-1])}
            mark_inconclusive_broken(Path(alluredir), undecided)
        self.report_path = str(paths["html"])
        self.document = document
        self.exit_code = code
        session.exitstatus = code

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.verdict is None:
            return
        tr = terminalreporter
        tr.section("tenantcheck isolation summary")
        per_case: dict[str, Counter[str]] = {}
        for result in self.results.values():
            per_case.setdefault(result.case, Counter())[result.verdict] += 1
        for case in sorted(per_case):
            counts = per_case[case]
            cells = ", ".join(f"{counts[v]} {v}" for v in ("passed", "failed", "inconclusive", "not-applicable")
                              if counts[v])
            tr.write_line(f"  {case}: {cells}")
        findings = self.findings
        if findings:
            tr.write_line("")
            tr.write_line(f"  {len(self.problems)} problem(s) behind {len(findings)} finding(s), most severe first:")
            for problem in self.problems[:SHOWN_FINDINGS]:
                others = [case for case in problem.cases if case != problem.case]
                seen = f"; also seen by {', '.join(others)}" if others else ""
                tr.write_line(f"  [{problem.severity}] {problem.headline} ({problem.case}{seen}; "
                              f"{len(problem.checks)} check(s))", red=True)
            more(tr, len(self.problems) - SHOWN_FINDINGS, "problem(s)", self.report_path)
            tr.write_line(f"  each finding, with its evidence and curl line: {self.report_path}")
        undecided = [r for r in self.results.values() if r.verdict == "inconclusive"]
        for result in undecided[:SHOWN_UNDECIDED]:
            tr.write_line(f"  [inconclusive] {result.check}: {result.reason}", yellow=True)
        more(tr, len(undecided) - SHOWN_UNDECIDED, "inconclusive check(s)", self.report_path)
        for leftover in self.cleanup_problems:
            tr.write_line(f"  left on the target: {leftover}", yellow=True)
        if self.cleanup_problems:
            tr.write_line("  (tenantcheck cleanup --run-id <run id> removes what the API lets it remove)", yellow=True)
        tr.write_line(f"report: {self.report_path}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The verdict is the last thing a run prints, after pytest's own summary line."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.verdict is None or reporter is None:
            return
        markup = {"isolated": {"green": True}, "findings": {"red": True}}.get(self.verdict.verdict, {"yellow": True})
        if self.gate is not None and "gate" in self.document:
            reporter.write_line(f"GATE: {self.gate.outcome} ({self.gate.reason})", bold=True)
        reporter.write_line(f"VERDICT: {self.verdict.verdict.upper()} ({self.verdict.reason}); exit code "
                            f"{self.exit_code}", bold=True, **markup)


def more(reporter: Any, hidden: int, what: str, report: str | None) -> None:
    """The line that says how much of a cut list is only in the report."""
    if hidden > 0:
        reporter.write_line(f"  ... and {hidden} more {what} in the report ({report})")


def report_dir(config: pytest.Config) -> Path:
    return Path(str(config.getoption("tenantcheck_report_dir"))) / str(config.stash[RUN_KEY]["run_id"])
