"""The embedded target: the reference target (or the Ledger) started for one run, as a subprocess on
127.0.0.1."""

from __future__ import annotations

from dataclasses import replace

from tenantcheck.config.environment import Environment
from tenantcheck.errors import ConfigError
from tenantcheck.ledger import FLAWS as LEDGER_FLAWS
from tenantcheck.ledger import LedgerConfig, LedgerProcess
from tenantcheck.reference import FLAWS, ReferenceConfig, ReferenceProcess
from tenantcheck.reference.server import TargetProcess


def check_flaws(flaws: list[str], app: str = "reference") -> None:
    """Unknown flaw names are a configuration error that lists the valid ones."""
    valid = LEDGER_FLAWS if app == "ledger" else FLAWS
    unknown = [flaw for flaw in flaws if flaw not in valid]
    if unknown:
        what = "Ledger" if app == "ledger" else "reference"
        raise ConfigError(f"unknown {what} flaw(s) {', '.join(unknown)}; valid flaws: {', '.join(valid)}")


def start_embedded(env: Environment, mode: str) -> TargetProcess:
    target = env.target
    if target.app == "ledger":
        ledger = LedgerConfig(flaws=frozenset(target.flaws))
        if target.token_ttl is not None:
            ledger = replace(ledger, token_ttl=target.token_ttl)
        return LedgerProcess.start(ledger)
    config = ReferenceConfig(
        auth="header" if mode == "header" else "token",
        strict=target.strict,
        default_tenant=target.default_tenant,
        flaws=frozenset(target.flaws),
        latency_ms=target.latency_ms,
        shape=target.shape,
    )
    return ReferenceProcess.start(config)
