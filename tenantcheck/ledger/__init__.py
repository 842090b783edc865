"""Ledger: a second, differently shaped multi-tenant reference app, with switchable isolation flaws.

Where the reference target is Pom Bolt-shaped (admin-provisioned tenants, API keys, flat `/api/...`
paths, 403 denials), the Ledger has sign-up and expiring session tokens, org ids in nested paths, ids only
in `Location` headers, form and text bodies, 404 denials and its own error shape: the proof that a
harness profile can describe any REST API. See docs/ledger.md.
"""

from __future__ import annotations

from tenantcheck.ledger.app import create_app, ledger_of
from tenantcheck.ledger.config import LedgerConfig
from tenantcheck.ledger.flaws import FLAWS, UnknownFlawError
from tenantcheck.ledger.server import LedgerProcess, LedgerStartError, RunningLedger, environment_for, running_ledger

__all__ = [
    "FLAWS",
    "LedgerConfig",
    "LedgerProcess",
    "LedgerStartError",
    "RunningLedger",
    "UnknownFlawError",
    "create_app",
    "environment_for",
    "ledger_of",
    "running_ledger",
]
