"""One running Ledger's state (config, database, cache), who is calling, and what a handler is given.

Handlers are plain synchronous functions of a `Call`: everything that awaits (identity, body reading,
password hashing) happens before them, so each handler runs whole inside one transaction.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tenantcheck.ledger.cache import ResponseCache
from tenantcheck.ledger.config import LedgerConfig
from tenantcheck.ledger.storage import DB_FILE, Database


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The user a request acts as and the org it acts for (the tenant)."""

    user_id: str
    email: str
    org_id: str


class Ledger:
    """The state of one Ledger; `close()` releases the database and a temporary data directory."""

    def __init__(self, config: LedgerConfig) -> None:
        self.owns_data_dir = config.data_dir is None
        self.data_dir = config.data_dir or Path(tempfile.mkdtemp(prefix="tenantcheck-ledger-"))
        self.config = config
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.db = Database(self.data_dir / DB_FILE)
        except BaseException:
            self._remove_data_dir()
            raise
        self.cache = ResponseCache(shared=config.has("cache-key-shared"))
        # The `request-state-shared` flaw: one "current caller" for every request in flight.
        self.current_caller: Caller | None = None

    def close(self) -> None:
        """Close the database and remove the data directory if this Ledger made it."""
        self.db.close()
        self._remove_data_dir()

    def _remove_data_dir(self) -> None:
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass(kw_only=True)
class Call:
    """One authenticated request as a handler sees it.

    A handler adds to `touched` the orgs whose data it changed besides the caller's (their cached answers
    are dropped), and clears `cacheable` when its answer is not the caller's own org's data.
    """

    ledger: Ledger
    request: Request
    caller: Caller
    body: Any = None
    touched: set[str] = field(default_factory=set)
    cacheable: bool = True

    @property
    def db(self) -> Database:
        """The Ledger's database."""
        return self.ledger.db

    @property
    def path(self) -> Mapping[str, str]:
        """The path parameters."""
        return self.request.path_params

    def has(self, flaw: str) -> bool:
        """Whether a flaw is on."""
        return self.ledger.config.has(flaw)


Handler = Callable[[Call], Response]
