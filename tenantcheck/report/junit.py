"""``junit.xml``: one test case per check, for CI systems that show JUnit (GitLab, Jenkins, Azure, ...).

Classname is the case id, so CI groups checks by catalog case; name is the check id. A failed check
carries its findings' titles; an inconclusive check is an ``<error type="inconclusive">`` (an unreachable
target must not read as "0 failures, 144 skipped" on a dashboard); a not-applicable one is skipped with
its reason. The suite's time is the run's wall time: checks overlap, so the sum of their times is not.
Built with ``xml.etree`` so hostile text
from evidence is escaped by the serializer, never by hand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tenantcheck.catalog import SEVERITY_ORDER
from tenantcheck.report.view import tool_version

# XML 1.0 cannot carry most control characters even escaped; a hostile response body may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text safe for an XML 1.0 document (control characters become U+FFFD)."""
    return _INVALID_XML.sub("\ufffd", "" if text is None else str(text))


def render_junit(document: dict[str, Any]) -> Iterator[bytes]:
    """The JUnit XML for ``document`` (UTF-8, with declaration), in pieces: one per test case, so that a
    large run's tree and text are never held whole."""
    findings = {str(item.get("fingerprint")): item for item in document.get("findings", [])}
    checks = document.get("checks", [])
    verdicts = [str(check.get("verdict")) for check in checks]
    counts = {"tests": str(len(checks)), "failures": str(verdicts.count("failed")),
              "errors": str(verdicts.count("inconclusive")), "skipped": str(verdicts.count("not-applicable")),
              "time": f"{wall_time(document):.3f}"}

    root = ET.Element("testsuites", {"name": "tenantcheck", **counts})
    suite = ET.SubElement(root, "testsuite", {
        "name": clean(f"tenantcheck {document.get('environment', '?')} run {document.get('run_id', '?')}"),
        **counts, "timestamp": clean(document.get("started") or ""),
    })
    properties = ET.SubElement(suite, "properties")
    verdict = document.get("verdict") or {}
    gate = document.get("gate") or {}
    for name, value in (("run_id", document.get("run_id")), ("environment", document.get("environment")),
                        ("profile", document.get("profile")), ("target_url", document.get("target_url")),
                        ("schema_version", document.get("schema_version")), ("verdict", verdict.get("verdict")),
                        ("exit_code", gate.get("exit_code", verdict.get("exit_code"))),
                        ("tenantcheck.version", tool_version(document) or "unknown"),
                        ("selection", selection_text(document))):
        ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    ET.indent(root)
    frame = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    split = frame.rindex(b"</testsuite>")
    properties_end = frame.rindex(b"</properties>") + len(b"</properties>")
    yield frame[:properties_end]
    for check in checks:
        element = testcase(check, findings)
        ET.indent(element, space="  ", level=2)
        yield b"\n    " + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    yield b"\n  " + frame[split:]


def testcase(check: dict[str, Any], findings: dict[str, dict[str, Any]]) -> ET.Element:
    """One ``<testcase>`` with properties case, verdict, severity, fingerprints, and its outcome."""
    fingerprints = [str(fingerprint) for fingerprint in check.get("findings", [])]
    own = [findings[fingerprint] for fingerprint in fingerprints if fingerprint in findings]
    severities = sorted((str(item.get("severity")) for item in own), key=lambda s: SEVERITY_ORDER.get(s, 9))
    element = ET.Element("testcase", {"classname": clean(check.get("case")), "name": clean(check.get("check")),
                                      "time": f"{float(check.get('duration') or 0):.3f}"})
    properties = ET.SubElement(element, "properties")
    for name, value in (("case", check.get("case")), ("verdict", check.get("verdict")),
                        ("severity", severities[0] if severities else "none"),
                        ("fingerprints", ",".join(fingerprints)), ("nodeid", check.get("nodeid"))):
        ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    verdict = check.get("verdict")
    if verdict == "failed":
        titles = [f"[{item.get('severity')}] {item.get('title')}" for item in own] or [str(check.get("reason"))]
        failure = ET.SubElement(element, "failure", {"message": clean("; ".join(titles)), "type": "isolation"})
        failure.text = clean("\n\n".join(describe(item) for item in own) or check.get("reason"))
    elif verdict == "inconclusive":
        error = ET.SubElement(element, "error", {"message": clean(f"inconclusive: {check.get('reason', '')}"),
                                                 "type": "inconclusive"})
        error.text = clean(f"isolation could not be shown: {check.get('reason', '')}")
    elif verdict == "not-applicable":
        ET.SubElement(element, "skipped", {"message": clean(f"not-applicable: {check.get('reason', '')}"),
                                           "type": "not-applicable"})
    return element


def selection_text(document: dict[str, Any]) -> str:
    """``complete``, or what a partial run covered (``TC-04 of 15 cases, 130 checks left out``)."""
    selection = document.get("selection")
    if not selection:
        return "not recorded"
    if selection.get("complete"):
        return "complete"
    cases = selection.get("cases", [])
    total = len(cases) + len(selection.get("left_out_cases", []))
    return (f"{', '.join(cases)} ({len(cases)} of {total} cases), {selection.get('left_out_checks', 0)} checks "
            f"left out, pairs: {selection.get('pairs', '?')}")


def wall_time(document: dict[str, Any]) -> float:
    """Seconds from the run's start to its end (the checks' own times overlap); their sum when the
    document does not say (an older report)."""
    try:
        started = datetime.fromisoformat(str(document["started"]))
        finished = datetime.fromisoformat(str(document["finished"]))
    except (KeyError, ValueError):
        return sum(float(check.get("duration") or 0) for check in document.get("checks", []))
    return max((finished - started).total_seconds(), 0.0)


def describe(finding: dict[str, Any]) -> str:
    """A finding as plain text for the failure body: what, where, and how to reproduce."""
    lines = [f"[{finding.get('severity')}] {finding.get('title')}",
             f"case {finding.get('case')}, oracle {finding.get('oracle')}, fingerprint {finding.get('fingerprint')}"]
    if finding.get("detail"):
        lines.append(str(finding["detail"]))
    if finding.get("curl"):
        lines.append(f"reproduce: {finding['curl']}")
    return "\n".join(lines)
