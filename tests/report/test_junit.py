"""junit.xml: one test case per check, failures with finding titles, skips with reasons, case ids as properties."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tenantcheck import tool_version
from tenantcheck.report.junit import render_junit
from tests.report.helpers import check, document, exchange, finding


def properties(element: ET.Element) -> dict[str, str]:
    return {prop.get("name", ""): prop.get("value", "") for prop in element.findall("properties/property")}


def test_one_testcase_per_check_with_outcome_and_properties(findings_run):
    doc = findings_run["document"]
    root = ET.parse(findings_run["dir"] / "junit.xml").getroot()
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(doc["checks"]) == int(root.get("tests", "-1"))
    titles = {item["fingerprint"]: item["title"] for item in doc["findings"]}
    severities = {item["fingerprint"]: item["severity"] for item in doc["findings"]}
    by_name = {case.get("name"): case for case in cases}
    for item in doc["checks"]:
        case = by_name[item["check"]]
        assert case.get("classname") == item["case"]
        props = properties(case)
        assert props["case"] == item["case"] and props["verdict"] == item["verdict"]
        assert props["fingerprints"] == ",".join(item["findings"])
        if item["verdict"] == "failed":
            message = case.find("failure").get("message", "")
            assert all(titles[fp] in message for fp in item["findings"])
            assert props["severity"] in {severities[fp] for fp in item["findings"]}
        elif item["verdict"] == "inconclusive":  # an error, not a skip: a dashboard must not read it as fine
            error = case.find("error")
            assert error.get("type") == "inconclusive" and item["reason"] in error.get("message", "")
            assert case.find("skipped") is None
        elif item["verdict"] == "not-applicable":
            assert item["reason"] in case.find("skipped").get("message", "")
        else:
            assert case.find("failure") is None and case.find("skipped") is None and case.find("error") is None
            assert props["severity"] == "none"
    failed = sum(1 for item in doc["checks"] if item["verdict"] == "failed")
    assert failed > 0 and int(root.get("failures", "-1")) == failed
    assert properties(root.find("testsuite"))["run_id"] == doc["run_id"]
    assert properties(root.find("testsuite"))["tenantcheck.version"] == doc["tool"]["version"] == tool_version()


def test_a_report_without_a_tool_version_says_unknown():
    """Given a report older than schema 1.1 (no "tool"), the property is there and says so."""
    doc = document(check())
    del doc["tool"]
    root = ET.fromstring(b"".join(render_junit(doc)))
    assert properties(root.find("testsuite"))["tenantcheck.version"] == "unknown"


def test_hostile_text_survives_as_text():
    """Given markup and control characters in a finding, the XML still parses and carries the text."""
    title = 'leak <failure message="x"/> & "quotes" ]]> \x00\x1b end'
    leak = finding(title, evidence=(exchange(response_body="</testcase>"),), curl="curl 'http://127.0.0.1:9/<x>'")
    doc = document(check(verdict="failed", findings=(leak,)), check(verdict="inconclusive", reason="<timeout> & 5xx",
                                                                    attacker="tenant-a", victim="tenant-b"))
    root = ET.fromstring(b"".join(render_junit(doc)))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 2
    failure = next(case.find("failure") for case in cases if case.find("failure") is not None)
    assert 'leak <failure message="x"/> & "quotes" ]]> \ufffd\ufffd end' in failure.get("message", "")
    assert "curl 'http://127.0.0.1:9/<x>'" in (failure.text or "")
    error = next(case.find("error") for case in cases if case.find("error") is not None)
    assert error.get("message") == "inconclusive: <timeout> & 5xx"


def test_counts_and_time_are_the_runs():
    """Given overlapping checks, the suite's time is the run's wall time, not the sum; inconclusive checks
    count as errors and not-applicable ones as skipped."""
    doc = document(check(verdict="inconclusive", reason="timeout"),
                   check(verdict="not-applicable", reason="no inspector", attacker="tenant-b"),
                   check(verdict="passed", attacker="tenant-c"))
    doc["started"], doc["finished"] = "2026-12-01T10:00:00.000+00:00", "2026-12-01T10:00:04.250+00:00"
    suite = ET.fromstring(b"".join(render_junit(doc))).find("testsuite")
    assert (suite.get("errors"), suite.get("skipped"), suite.get("failures")) == ("1", "1", "0")
    assert suite.get("time") == "4.250"
