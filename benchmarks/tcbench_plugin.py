"""Timing probe for benchmarks/run.py, loaded into a harness run with ``PYTEST_PLUGINS=tcbench_plugin``.

It changes nothing in the run. Each pytest process (the controller and every xdist worker) writes one
JSON line to the file named by ``TCBENCH_OUT`` at the end of its session:

- ``first_start``: wall clock when the first check's setup began (the session fixture provisions and
  seeds the tenants in that setup, so this is after process start-up and collection);
- ``last_call_end``: when the last check's call phase ended;
- ``last_end``: when the last check's teardown ended (the world's teardown removes the tenants there);
- ``cpu_start``, ``cpu_end``: the process's CPU time (user + system, all threads) at those two points, so
  the harness's own CPU cost in the window is known even when other work shares the machine;
- ``checks``: checks (items) this process ran; ``check_time``: the sum of their call phases;
- ``requests``: requests the process's world sent in all (seeding, checks and teardown);
  ``requests_at_last_call``: sent up to the end of the last call (what the report's ``stats`` counts).

``time.time()`` is used so that the windows of several processes can be combined.

- ``peak_rss_mb``: the process's peak resident memory (``VmHWM``), read at the very end (after the
  reports are written). Not ``ru_maxrss``: Linux carries a parent's resident memory at the fork over into
  the child's ``ru_maxrss``, so a harness started by a large benchmark process would report that.

The record is written when pytest unconfigures (the last hook), so that it covers the reports too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from typing import Any

import pytest

_state: dict[str, Any] = {"first_start": None, "last_call_end": None, "last_end": None, "cpu_start": None,
                          "cpu_end": None, "checks": 0,
                          "check_time": 0.0, "requests": 0, "requests_at_last_call": 0}


def _sent(config: pytest.Config) -> int:
    try:
        from tenantcheck.plugin.stash import WORLD_KEY
    except ImportError:  # pragma: no cover - an engine without the key: no request count
        return 0
    world = config.stash.get(WORLD_KEY, None)
    http = getattr(world, "http", None)
    return int(getattr(http, "sent", 0) or 0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if _state["first_start"] is None:
        _state["first_start"] = time.time()
        _state["cpu_start"] = time.process_time()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        _state["check_time"] += time.perf_counter() - started
        _state["last_call_end"] = time.time()
        _state["requests_at_last_call"] = _sent(item.config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        _state["checks"] += 1
        _state["last_end"] = time.time()
        _state["cpu_end"] = time.process_time()
        _state["requests"] = _sent(item.config)


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since it started (``VmHWM``), or ``None`` off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("TCBENCH_OUT")
    if not out:
        return
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    record = {**_state, "worker": worker, "pid": os.getpid(), "peak_rss_mb": peak_rss_mb()}
    with open(out, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(record) + "\n")
