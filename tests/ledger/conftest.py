"""Fixtures for the Ledger's tests: real Ledgers on loopback, shared per configuration, fresh orgs per test.

A Ledger is cheap but not free to start, so one per configuration lives for the session (per xdist worker)
and every test signs up its own orgs: nothing another test stored can carry its markers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tenantcheck.ledger import LedgerConfig, running_ledger
from tests.ledger.helpers import Org, Target
from tests.servers import started_once


@pytest.fixture(scope="session")
def ledgers() -> Iterator[Callable[..., Target]]:
    """Factory: ledgers(**LedgerConfig fields) -> a Target shared by every test asking for that config."""
    yield from started_once(lambda **options: running_ledger(LedgerConfig(**options)), Target)


@pytest.fixture
def ledger(ledgers: Callable[..., Target]) -> Target:
    """The correct Ledger (no flaws)."""
    return ledgers()


@pytest.fixture
def a(ledger: Target) -> Org:
    """A fresh org on the correct Ledger (the victim, mostly)."""
    return ledger.org("a")


@pytest.fixture
def b(ledger: Target) -> Org:
    """Another fresh org on the correct Ledger (the attacker, mostly)."""
    return ledger.org("b")
