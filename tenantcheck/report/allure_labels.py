"""Allure results (``--alluredir``): labels per case and the redacted exchanges attached.

allure-pytest writes the results; this labels each check while it runs and, at the end of the run, marks
inconclusive checks ``broken``: pytest's outcome for them is a skip, which allure would show as skipped,
so an unreachable target would read as "0 failures, 144 skipped". Without ``--alluredir`` allure's hooks
have no listener and the labelling calls do nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import allure

from tenantcheck.catalog import CASES_BY_ID
from tenantcheck.run.recording import CheckContext

SEVERITY = {"critical": allure.severity_level.BLOCKER, "high": allure.severity_level.CRITICAL,
            "medium": allure.severity_level.NORMAL, "info": allure.severity_level.MINOR}


def label_check(context: CheckContext) -> None:
    """Epic: the catalog family; feature: the case; story: the operation (before the check's fixtures, so
    that a check that cannot even set up is labelled too)."""
    case = CASES_BY_ID[context.case]
    allure.dynamic.epic("tenant isolation")
    allure.dynamic.feature(f"{case.id} {case.name}")
    allure.dynamic.story(context.operation or case.family)
    allure.dynamic.label("case", case.id)


def attach_findings(context: CheckContext) -> None:
    """Title: the check id (allure-pytest names a test after its setup, so not before); severity: the
    worst finding's; each finding attached as JSON."""
    allure.dynamic.title(context.check)
    worst = min((finding.severity for finding in context.findings),
                key=lambda severity: list(SEVERITY).index(severity), default=None)
    allure.dynamic.severity(SEVERITY[worst] if worst else allure.severity_level.NORMAL)
    for finding in context.findings:
        allure.attach(json.dumps(finding.to_dict(), indent=2), name=f"{finding.severity}: {finding.title}",
                      attachment_type=allure.attachment_type.JSON)


def mark_inconclusive_broken(alluredir: Path, reasons: dict[str, str]) -> int:
    """Results of inconclusive checks become ``broken``; ``reasons`` maps the names allure gives them (the
    check id, or the test's name when its setup failed) to the reason. Returns how many were changed. Run
    by the controller once every worker has written its results."""
    changed = 0
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text())
        reason = reasons.get(result.get("name"))
        if reason is None or result.get("status") == "broken":
            continue
        result["status"] = "broken"
        result["statusDetails"] = {"message": f"inconclusive: {reason}"}
        path.write_text(json.dumps(result))
        changed += 1
    return changed
