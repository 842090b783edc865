"""The embedded target: the reference target started for one run, as a subprocess on 127.0.0.1."""

from __future__ import annotations

from tenantcheck.config.environment import Environment
from tenantcheck.errors import ConfigError
from tenantcheck.reference import FLAWS, ReferenceConfig, ReferenceProcess


def check_flaws(flaws: list[str]) -> None:
    """Unknown flaw names are a configuration error that lists the valid ones."""
    unknown = [flaw for flaw in flaws if flaw not in FLAWS]
    if unknown:
        raise ConfigError(f"unknown reference flaw(s) {', '.join(unknown)}; valid flaws: {', '.join(FLAWS)}")


def start_embedded(env: Environment, mode: str) -> ReferenceProcess:
    target = env.target
    config = ReferenceConfig(
        auth="header" if mode == "header" else "token",
        strict=target.strict,
        default_tenant=target.default_tenant,
        flaws=frozenset(target.flaws),
        latency_ms=target.latency_ms,
        shape=target.shape,
    )
    return ReferenceProcess.start(config)
