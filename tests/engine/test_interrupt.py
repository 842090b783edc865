"""Ctrl-C and SIGTERM in the middle of a run still remove every tenant the run created."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tenantcheck.plugin import pytest_sessionfinish
from tenantcheck.plugin.stash import RUN_KEY, WORLD_KEY
from tenantcheck.reference import ReferenceConfig, running_reference
from tenantcheck.run.interrupts import GracefulStop, interrupts_ignored

ENV = """
profile = "pom-bolt"
[target]
base_url = "{url}"
[provisioning]
admin_token = "${{TC_TEST_ADMIN_TOKEN}}"
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    # Every request waits 100 ms: the checks take seconds, and 1 s after provisioning the run is inside them
    # (with 40 ms the fan-out got through the catalog in about that second, and the signal met the teardown).
    with running_reference(ReferenceConfig(latency_ms=100)) as target:
        admin = {"Authorization": f"Bearer {target.admin_token}"}

        def tenants() -> list[str]:
            listed = httpx.get(f"{target.base_url}/admin/tenants", headers=admin).json()["tenants"]
            return [t["tenant_id"] for t in listed if t["tenant_id"].startswith("tc-")]

        env = tmp_path / "slow.toml"
        env.write_text(ENV.format(url=target.base_url))
        run = subprocess.Popen(
            [sys.executable, "-m", "tenantcheck", "run", "-q", "--env", str(env), "--report-dir", str(tmp_path)],
            cwd=tmp_path, env={**os.environ, "TC_TEST_ADMIN_TOKEN": target.admin_token},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while len(tenants()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(tenants()) == 2, "the run never provisioned its tenants"
            time.sleep(1.0)  # into the checks
            run.send_signal(signum)
            output, _ = run.communicate(timeout=60)
        finally:
            run.kill()
            run.communicate()
        assert run.returncode == 2, output  # interrupted: inconclusive, never isolated
        assert tenants() == [], output
        assert not list((tmp_path / ".tenantcheck" / "runs").glob("*.json"))  # nothing left to clean later


def test_teardown_ignores_ctrl_c_and_sigterm_then_restores_them() -> None:
    """While the world is torn down a signal changes nothing: the removals end, nothing is raised. Before
    and after, both signals interrupt (here as in a run: KeyboardInterrupt)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    saved = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            with interrupts_ignored():
                for signum in saved:
                    os.kill(os.getpid(), signum)
                time.sleep(0.1)  # a handler that raised would do so here
        except KeyboardInterrupt:
            pytest.fail("a signal interrupted the teardown")
        assert all(signal.getsignal(signum) is interrupt for signum in saved)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


class CountingWorld:
    """What ``tear_down`` needs of a world: its client (none here) and ``close``."""

    http = None

    def __init__(self) -> None:
        self.closed = False
        self.closes = 0

    def close(self) -> list[str]:
        self.closes += 1
        self.closed = True
        return ["remove tenant tc-x-a: TargetError"]


def test_session_end_tears_down_a_world_whose_finalizer_an_interrupt_skipped() -> None:
    """pytest stops running a node's finalizers at the first KeyboardInterrupt: the world's may never run.
    The session's end tears it down then, once, and its problems reach the run's record."""
    config = SimpleNamespace(stash=pytest.Stash(), getoption=lambda name: False)  # no --keep
    world = CountingWorld()
    config.stash[WORLD_KEY] = world  # type: ignore[assignment]
    config.stash[RUN_KEY] = {}
    pytest_sessionfinish(SimpleNamespace(config=config))  # type: ignore[arg-type]
    pytest_sessionfinish(SimpleNamespace(config=config))  # type: ignore[arg-type]
    assert world.closes == 1
    assert config.stash[RUN_KEY]["cleanup_problems"] == ["remove tenant tc-x-a: TargetError"]


def test_a_first_signal_asks_the_run_to_stop_a_second_stops_it_at_once() -> None:
    """The first Ctrl-C or SIGTERM raises nothing where it lands: it sets pytest's shouldstop (the run ends
    after the check under way) and halts requests not yet sent. The second raises KeyboardInterrupt."""
    session = SimpleNamespace(shouldstop=False)
    halts: list[bool] = []
    stop = GracefulStop(session, lambda: halts.append(True))  # type: ignore[arg-type]
    stop(signal.SIGTERM, None)
    assert session.shouldstop == "SIGTERM: stopped after the checks under way"
    assert halts == [True]
    with pytest.raises(KeyboardInterrupt):
        stop(signal.SIGINT, None)
