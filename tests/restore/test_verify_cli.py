"""``tenantcheck verify`` before it runs anything: its help, the manifest's environment when ``--env`` is not
given (said on screen), and the seeded tenants' keys checked first (exit 3 naming every missing variable)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantcheck.errors import ConfigError
from tenantcheck.plugin import check_seed_keys
from tenantcheck.restore.manifest import Manifest, SeededTenant, write_manifest
from tests.servers import connections, silent_port

CLI = [sys.executable, "-m", "tenantcheck"]
KEY_A, KEY_B = "TENANTCHECK_SEED_KEY_TENANT_A", "TENANTCHECK_SEED_KEY_TENANT_B"


def manifest(environment: str = "restoredtest", mode: str = "token") -> Manifest:
    return Manifest(run_id="0000beef", environment=environment, profile="pom-bolt", target_url="http://127.0.0.1:9",
                    mode=mode, seeded_at="2026-01-02T03:04:05+00:00",
                    tenants=[SeededTenant(label=label, tenant_id=f"tcseed-0000beef-{label[-1]}", markers=[])
                             for label in ("tenant-a", "tenant-b")])


def verify(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    variables = {key: value for key, value in os.environ.items() if not key.startswith("TENANTCHECK_SEED_KEY_")}
    return subprocess.run([*CLI, "verify", *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=variables | (env or {}))


def lines(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in completed.stderr.splitlines() if line.strip()]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A target port that answers nothing: no request may even be tried."""
    with silent_port() as sock:
        yield sock


@pytest.fixture
def project(tmp_path: Path, listener: socket.socket) -> Path:
    """A product folder with its own environments/restoredtest.toml (found by name) and a manifest m.json."""
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "restoredtest.toml").write_text(
        f'[target]\nbase_url = "http://127.0.0.1:{listener.getsockname()[1]}"\n'
        '[provisioning]\nadmin_token = "${TC_TEST_ADMIN_TOKEN}"\n')
    write_manifest(manifest(), tmp_path / "m.json")
    return tmp_path


def test_verify_help_exits_0(tmp_path: Path) -> None:
    completed = verify("--help", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "--manifest PATH" in completed.stdout and "--env NAME" in completed.stdout


def test_verify_without_a_manifest_exits_3(tmp_path: Path) -> None:
    completed = verify("--env", "restored", cwd=tmp_path)
    assert completed.returncode == 3
    assert lines(completed) == ["tenantcheck verify: give --manifest PATH (the manifest `tenantcheck seed` wrote "
                                "before the backup)"]


def test_missing_keys_stop_verify_before_anything_runs(project: Path, listener: socket.socket) -> None:
    """Given no seed keys and no --env, verify says which environment it takes, then names every missing
    variable, exit 3, before a request or a report."""
    completed = verify("--manifest", "m.json", "-q", cwd=project, env={"TC_TEST_ADMIN_TOKEN": "t"})
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert lines(completed) == [
        "tenantcheck verify: --env not given; using the manifest's environment restoredtest",
        f"Exit: tenantcheck: the seeded tenants' keys are not set: {KEY_A}, {KEY_B} (`source` the keys file "
        "`tenantcheck seed` wrote, by default m.keys.env)",
    ]
    assert connections(listener) == 0
    assert not (project / "reports").exists() and not (project / ".tenantcheck").exists()


def test_only_the_missing_key_is_named(project: Path, listener: socket.socket) -> None:
    completed = verify("--env", "restoredtest", "--manifest", "m.json", "-q", cwd=project,
                       env={"TC_TEST_ADMIN_TOKEN": "t", KEY_A: "key-a"})
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert lines(completed) == [f"Exit: tenantcheck: the seeded tenants' keys are not set: {KEY_B} (`source` the "
                                "keys file `tenantcheck seed` wrote, by default m.keys.env)"]
    assert connections(listener) == 0


def test_an_unknown_manifest_environment_exits_3(tmp_path: Path) -> None:
    write_manifest(manifest(environment="gone-env"), tmp_path / "m.json")
    completed = verify("--manifest", "m.json", cwd=tmp_path)
    assert completed.returncode == 3
    said = lines(completed)
    assert said[0] == "tenantcheck verify: --env not given; using the manifest's environment gone-env"
    assert len(said) == 2 and said[1].startswith("Exit: tenantcheck: environment 'gone-env' not found")


def test_a_broken_manifest_exits_3_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("{not json")
    completed = verify("--manifest", "m.json", cwd=tmp_path)
    assert completed.returncode == 3
    said = lines(completed)
    assert len(said) == 1 and said[0].startswith("tenantcheck verify: m.json: not a JSON manifest")


def test_header_identity_needs_no_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_A, raising=False)
    check_seed_keys(manifest(mode="header"), "header", tmp_path / "m.json")
    with pytest.raises(ConfigError, match=KEY_A):
        check_seed_keys(manifest(), "token", tmp_path / "m.json")
