"""Configuration of the reference target: one frozen value shared by the app, the server and the CLI."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tenantcheck.reference.chaos import ChaosConfig
from tenantcheck.reference.flaws import FLAWS, check_flaws

TENANT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
"""Valid tenant ids (CONTRACT.md); anything else in an identity header is `invalid_tenant`."""


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses: the target must never be reachable from elsewhere."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, kw_only=True)
class ReferenceConfig:
    """How a reference target behaves.

    `strict` refuses requests without identity (401 `tenant_required`); `shape="bare"` serves lists as bare
    arrays and cross-tenant denials as 404, like some real deployments. `admin_token=None` and
    `data_dir=None` are resolved at start (a generated token, a temporary directory). `chaos` answers a
    share of the requests with failures instead of serving them (see `tenantcheck.reference.chaos`).
    """

    host: str = "127.0.0.1"
    port: int = 0
    auth: Literal["token", "header"] = "token"
    strict: bool = True
    default_tenant: str = "default"
    admin_token: str | None = None
    flaws: frozenset[str] = field(default_factory=frozenset)
    data_dir: Path | None = None
    latency_ms: int = 0
    shape: Literal["contract", "bare"] = "contract"
    chaos: ChaosConfig | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of names from callers, but store a frozenset so the config stays hashable.
        object.__setattr__(self, "flaws", frozenset(self.flaws))
        check_flaws(self.flaws)
        if not is_loopback(self.host):
            raise ValueError(
                f"refusing to bind {self.host!r}: the reference target only listens on loopback "
                "(use 127.0.0.1)"
            )
        if self.auth not in ("token", "header"):
            raise ValueError(f"auth must be 'token' or 'header', not {self.auth!r}")
        if self.shape not in ("contract", "bare"):
            raise ValueError(f"shape must be 'contract' or 'bare', not {self.shape!r}")
        if not TENANT_ID_RE.match(self.default_tenant):
            raise ValueError(f"default tenant {self.default_tenant!r} does not match {TENANT_ID_RE.pattern}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.admin_token is not None and not self.admin_token:
            raise ValueError("admin token must not be empty")

    def with_admin_token(self) -> ReferenceConfig:
        """This config with an admin token, generated when none was given."""
        if self.admin_token is not None:
            return self
        return dataclasses.replace(self, admin_token=secrets.token_urlsafe(32))

    def has(self, flaw: str) -> bool:
        """Whether a flaw is switched on (a typo in the code is caught here, not silently ignored)."""
        if flaw not in FLAWS:
            raise KeyError(f"no such flaw: {flaw}")
        return flaw in self.flaws
