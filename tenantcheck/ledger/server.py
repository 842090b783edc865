"""Starting the Ledger: in-process on a thread (`running_ledger`) or as a subprocess (`LedgerProcess`).

Both are the reference target's launchers (`tenantcheck.reference.server`) pointed at the Ledger app: they
bind 127.0.0.1 on a free port and hand back only once the Ledger accepts connections.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tenantcheck.ledger.app import create_app, ledger_of
from tenantcheck.ledger.config import LedgerConfig
from tenantcheck.ledger.storage import DB_FILE
from tenantcheck.reference.server import TargetProcess, TargetStartError, serving_in_thread

FLAWS_ENV = "TENANTCHECK_LEDGER_FLAWS"


class LedgerStartError(TargetStartError):
    """The Ledger did not come up; the message carries what it said on stderr."""


@dataclass(frozen=True, kw_only=True)
class RunningLedger:
    """A Ledger that accepts connections."""

    base_url: str
    data_dir: Path
    config: LedgerConfig

    @property
    def database(self) -> Path:
        """Its SQLite file (read it with `mode=ro`)."""
        return self.data_dir / DB_FILE


@contextmanager
def running_ledger(config: LedgerConfig | None = None) -> Iterator[RunningLedger]:
    """Run a Ledger in this process (uvicorn on a thread) for the duration of the block."""
    app = create_app(config)
    ledger = ledger_of(app)
    try:
        with serving_in_thread(
            app, ledger.config.host, ledger.config.port, name="tenantcheck-ledger", error=LedgerStartError,
            what="the Ledger",
        ) as url:
            yield RunningLedger(base_url=url, data_dir=ledger.data_dir, config=ledger.config)
    finally:
        ledger.close()


class LedgerProcess(TargetProcess):
    """The Ledger as a child process (`python -m tenantcheck.ledger serve`)."""

    @property
    def database(self) -> Path:
        """Its SQLite file (for a storage inspector)."""
        return self.data_dir / DB_FILE

    what = "the Ledger"
    start_error = LedgerStartError
    dir_prefix = "tenantcheck-ledger-"

    def __init__(self, config: LedgerConfig) -> None:
        super().__init__(data_dir=config.data_dir)
        self.config = config

    @classmethod
    def start(cls, config: LedgerConfig | None = None, timeout: float = 30) -> LedgerProcess:
        """Start the child and wait for its READY line; LedgerStartError (with its stderr) if it fails."""
        started = cls(config or LedgerConfig())
        env = {k: v for k, v in os.environ.items() if k != FLAWS_ENV}  # the config says which flaws, exactly
        return started.launch(serve_argv(started.config, started.data_dir), env, timeout)


def serve_argv(config: LedgerConfig, data_dir: Path) -> list[str]:
    """The command line that serves this config."""
    argv = [sys.executable, "-m", "tenantcheck.ledger", "serve", "--host", config.host, "--port", str(config.port),
            "--token-ttl", repr(config.token_ttl), "--data-dir", str(data_dir)]
    for flaw in sorted(config.flaws):
        argv += ["--flaw", flaw]
    return argv


def environment_for(base_url: str, *, description: str, safety: Mapping[str, object] | None = None) -> str:
    """A harness environment (TOML) for a Ledger that outlives the run (``profiles/ledger.toml``, sign-up
    provisioning, 404 denials), for tests and benchmarks that start the Ledger themselves."""
    lines = [f"description = {json.dumps(description)}", 'profile = "ledger"', "", "[target]",
             f"base_url = {json.dumps(base_url)}", "", "[provisioning]", 'method = "signup"', "", "[policy]",
             "deny_statuses = [404]", "", "[safety]",
             *(f"{key} = {json.dumps(value)}" for key, value in (safety or {"allow_writes": True}).items())]
    return "\n".join(lines) + "\n"
