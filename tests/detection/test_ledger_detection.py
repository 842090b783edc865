"""Detection on a second shape: every Ledger flaw a case family covers is caught by the case meant for
it, through the Ledger's own profile (sign-up, Location ids, org-scoped paths, 404 denials), and the
correct Ledger is isolated. Both at the default concurrency and one check at a time.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantcheck.ledger import FLAWS

# flaw -> the case docs/ledger.md names
EXPECTED: dict[str, str] = {
    "list-unfiltered": "TC-01",
    "get-unchecked": "TC-02",
    "update-unchecked": "TC-02",
    "delete-unchecked": "TC-02",
    "send-unchecked": "TC-02",
    "notes-unchecked": "TC-02",
    "path-org-unchecked": "TC-02",
    "attachment-read-unchecked": "TC-04",
    "attachment-write-unchecked": "TC-04",
    "attachment-list-unchecked": "TC-04",
    "search-unscoped": "TC-05",
    "owner-not-persisted": "TC-06",
    "blob-unprefixed": "TC-07",
    "denials-not-audited": "TC-06",
    "anonymous-default-org": "TC-08",
    "org-header-honored": "TX-01",
    "body-org-honored": "TX-02",
    "audit-unscoped": "TX-04",
    "cache-key-shared": "TX-05",
    "request-state-shared": "TX-06",
    "org-id-wildcard": "TX-07",
    "import-overwrites": "TX-08",
    "import-owner-honored": "TX-08",
    "debug-open": "TX-09",
    "backup-on-get": "TX-09",
}


def test_every_ledger_flaw_is_expected() -> None:
    assert set(EXPECTED) == set(FLAWS)


@pytest.mark.parametrize("concurrency", ["default", "1"])
@pytest.mark.parametrize("flaw", sorted(EXPECTED))
def test_ledger_flaw_is_caught_by_its_case(flaw: str, concurrency: str, catalog: Any) -> None:
    run = catalog("--env", "local-ledger", "--flaw", flaw,
                  *(["--concurrency", concurrency] if concurrency != "default" else []))
    assert run.document is not None, run.output
    assert run.code == 1, run.output
    assert EXPECTED[flaw] in run.finding_cases, (
        f"{flaw} not caught by {EXPECTED[flaw]}; cases: {sorted(run.finding_cases)}\n{run.output}")


@pytest.mark.parametrize("concurrency", ["default", "1"])
def test_correct_ledger_is_isolated(concurrency: str, catalog: Any) -> None:
    run = catalog("--env", "local-ledger", *(["--concurrency", concurrency] if concurrency != "default" else []))
    assert run.code == 0, run.output
    assert run.document is not None
    assert run.document["findings"] == []
    assert run.verdicts("inconclusive") == []
    # Nothing is claimed about what the Ledger profile cannot reach: those checks are not-applicable.
    assert run.verdicts("not-applicable"), run.output
