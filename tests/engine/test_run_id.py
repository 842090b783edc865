"""``--run-id`` is checked before anything is written or sent: it becomes a folder name, a run record's
name and part of every tenant id, so ``../../x`` or ``ABC DEF`` must stop the run at once (exit 3)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantcheck.config.environment import TENANT_ID, Environment
from tenantcheck.config.runid import RUN_ID, check_run_id
from tenantcheck.engine.tenants import planned_ids, tenant_labels
from tenantcheck.errors import ConfigError
from tests.servers import connections, silent_port

CLI = [sys.executable, "-m", "tenantcheck"]
PATTERN = r"^[a-z0-9][a-z0-9-]{2,31}$"
RULE = f"use 3 to 32 lowercase letters, digits and '-', starting with a letter or digit ({PATTERN})"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A target port that answers nothing: no request may even be tried."""
    with silent_port() as sock:
        yield sock


@pytest.mark.parametrize("run_id", ["../../../tmp/x/escaped", "ABC DEF", "ab", "a" * 33, "-abc", "abc_def"])
@pytest.mark.parametrize("command", ["run", "verify"])
def test_a_bad_run_id_stops_before_anything_is_written_or_sent(tmp_path: Path, listener: socket.socket,
                                                               run_id: str, command: str) -> None:
    cwd = tmp_path / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    port = listener.getsockname()[1]
    (cwd / "env.toml").write_text(f'[target]\nbase_url = "http://127.0.0.1:{port}"\n[provisioning]\n'
                                  'method = "header"\n')
    (cwd / "m.json").write_text("{}")
    extra = ["--manifest", "m.json"] if command == "verify" else []
    completed = subprocess.run([*CLI, command, "--env", "env.toml", *extra, "--report-dir", "reports",
                                f"--run-id={run_id}"], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert completed.returncode == 3, completed.stdout + completed.stderr
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert lines == [f"tenantcheck {command}: argument --run-id: {run_id!r} is not a run id: {RULE}"]
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert written == ["a", "a/b", "a/b/c", "a/b/c/env.toml", "a/b/c/m.json"]  # no reports/, no .tenantcheck/
    assert connections(listener) == 0


def test_cleanup_refuses_a_bad_run_id(tmp_path: Path) -> None:
    completed = subprocess.run([*CLI, "cleanup", "--env", "local", "--run-id", "../../etc"], capture_output=True,
                               text=True, timeout=60, cwd=tmp_path)
    assert completed.returncode == 3
    assert completed.stderr.strip() == (f"tenantcheck cleanup: argument --run-id: '../../etc' is not a run id: {RULE} "
                                        "(see `tenantcheck cleanup --help`)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("run_id", ["0000beef", "abc", "release-2026-01-02", "a" * 32])
def test_good_run_ids(run_id: str) -> None:
    assert check_run_id(run_id) == run_id


def test_bad_run_id_error_names_the_pattern() -> None:
    with pytest.raises(ConfigError, match=r"not a run id: use 3 to 32 lowercase"):
        check_run_id("Release 1")
    assert RUN_ID.pattern == PATTERN


def test_the_longest_run_id_still_makes_valid_tenant_ids() -> None:
    """Given the longest run id, a three-digit xdist worker and the most tenants labels allow, every tenant id
    the run plans fits ``TENANT_ID`` (64 characters at most)."""
    env = Environment.model_validate({"target": {"embedded": True}})
    ids = planned_ids(env, "z" * 32, "w999", tenant_labels(26 * 27))
    assert len(set(ids)) == 26 * 27
    assert max(map(len, ids)) <= 64
    assert all(TENANT_ID.match(tenant_id) for tenant_id in ids), [i for i in ids if not TENANT_ID.match(i)][:3]
