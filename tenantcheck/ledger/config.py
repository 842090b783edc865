"""Configuration of the Ledger: one frozen value shared by the app, the launchers and the CLI."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from tenantcheck.ledger.flaws import FLAWS, UnknownFlawError
from tenantcheck.reference.config import is_loopback

DEFAULT_TOKEN_TTL = 3600.0


@dataclass(frozen=True, kw_only=True)
class LedgerConfig:
    """How a Ledger behaves: where it listens (loopback only), which flaws are on, how long a session
    token lives, and where its SQLite file is (`data_dir=None`: a temporary directory, removed on close)."""

    host: str = "127.0.0.1"
    port: int = 0
    flaws: frozenset[str] = field(default_factory=frozenset)
    token_ttl: float = DEFAULT_TOKEN_TTL
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        # Any iterable of names from callers, stored as a frozenset so the config stays hashable.
        object.__setattr__(self, "flaws", frozenset(self.flaws))
        if not self.flaws <= FLAWS.keys():
            raise UnknownFlawError(self.flaws - FLAWS.keys())
        if not is_loopback(self.host):
            raise ValueError(f"refusing to bind {self.host!r}: the Ledger only listens on loopback (use 127.0.0.1)")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if not (math.isfinite(self.token_ttl) and self.token_ttl > 0):
            raise ValueError(f"token_ttl must be a positive number of seconds, not {self.token_ttl}")

    def has(self, flaw: str) -> bool:
        """Whether a flaw is switched on (a misspelt name in the code fails here instead of reading False)."""
        if flaw not in FLAWS:
            raise KeyError(f"no such Ledger flaw: {flaw}")
        return flaw in self.flaws
