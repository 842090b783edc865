"""Allure results (``--alluredir``): labels per case and the redacted exchanges attached.

allure-pytest writes the results; this only labels each check while it runs. Without ``--alluredir``
allure's hooks have no listener and these calls do nothing.
"""

from __future__ import annotations

import json

import allure

from tenantcheck.catalog import CASES_BY_ID
from tenantcheck.run.recording import CheckContext

SEVERITY = {"critical": allure.severity_level.BLOCKER, "high": allure.severity_level.CRITICAL,
            "medium": allure.severity_level.NORMAL, "info": allure.severity_level.MINOR}


def label_check(context: CheckContext) -> None:
    """Epic: the catalog family; feature: the case; story: the operation; severity: the worst finding."""
    case = CASES_BY_ID[context.case]
    allure.dynamic.epic("tenant isolation")
    allure.dynamic.feature(f"{case.id} {case.name}")
    allure.dynamic.story(context.operation or case.family)
    allure.dynamic.label("case", case.id)
    allure.dynamic.title(context.check)
    worst = min((finding.severity for finding in context.findings),
                key=lambda severity: list(SEVERITY).index(severity), default=None)
    allure.dynamic.severity(SEVERITY[worst] if worst else allure.severity_level.NORMAL)
    for finding in context.findings:
        allure.attach(json.dumps(finding.to_dict(), indent=2), name=f"{finding.severity}: {finding.title}",
                      attachment_type=allure.attachment_type.JSON)
