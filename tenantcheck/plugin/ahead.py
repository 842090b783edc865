"""Checks in flight at once inside one process: the hooks that hand a check's body to the fan-out
(``tenantcheck.run.fanout``) and take its end back."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from tenantcheck.engine.checks import Check
from tenantcheck.inspectors.factory import locks_local_runtime
from tenantcheck.plugin.stash import CONTEXT_KEY, ENV_KEY, FANOUT_KEY, RECORDER_KEY, SUBJECT_KEY, active
from tenantcheck.plugin.verdicts import check_context, first_missing_need
from tenantcheck.run.fanout import FanOut


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A check whose body ran ahead (``tenantcheck.run.fanout``) ends here; others run as pytest calls them."""
    fanout = fanout_of(pyfuncitem)
    return True if fanout is not None and fanout.call(pyfuncitem) else None


def fanout_of(item: pytest.Item) -> FanOut | None:
    """The process's fan-out, made at its first check; none under xdist (each worker runs one at a time:
    it does not know which checks it gets next) or with a width of 1."""
    config = item.config
    if FANOUT_KEY not in config.stash:
        config.stash[FANOUT_KEY] = None
        if active(config) and not hasattr(config, "workerinput"):
            width = config.getoption("tenantcheck_concurrency") or config.stash[ENV_KEY].safety.max_concurrency
            if width > 1:
                section = config.stash[ENV_KEY].inspector
                alone = partial(runs_alone, storage_locks=section is not None and locks_local_runtime(section))
                config.stash[FANOUT_KEY] = FanOut(item.session.items, width, body_ahead, alone)
    return config.stash[FANOUT_KEY]


def runs_alone(item: pytest.Item, *, storage_locks: bool) -> bool:
    """Marked ``serial``; or it reads storage whose reads make a local Workers runtime fail its own queries
    when they meet (``storage_locks``: the files of ``wrangler dev``, "database is locked")."""
    if item.get_closest_marker("serial") is not None:
        return True
    return storage_locks and any("inspector" in needs.args for needs in item.iter_markers("needs"))


def body_ahead(item: pytest.Item, shared: dict[str, Any]) -> Callable[[], None] | None:
    """The check's body with the arguments its fixtures would give it, or ``None`` when it cannot run
    ahead: it is no check, it takes a fixture not set up yet, or pytest would not call it as it is."""
    try:
        if not isinstance(item, pytest.Function) or check_context(item) is None:
            return None
    except pytest.UsageError:
        return None  # its own setup says so
    if any(item.get_closest_marker(name) for name in ("skip", "skipif", "xfail", "usefixtures")):
        return None
    if not set(item.fixturenames) - {"request", "check", "subject"} <= shared.keys() or first_missing_need(item):
        return None
    context, subject = item.stash[CONTEXT_KEY], item.stash[SUBJECT_KEY]
    made = {"check": Check(context, subject), "subject": subject}
    arguments = {name: made[name] if name in made else shared[name] for name in item._fixtureinfo.argnames}
    recorder = item.config.stash[RECORDER_KEY]

    def body() -> None:
        started = time.perf_counter()
        try:
            with recorder.running(context):
                item.obj(**arguments)
        finally:
            context.seconds = time.perf_counter() - started

    return body
