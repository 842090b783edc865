"""The end of a run's world: stop what runs ahead, then remove what the run created."""

from __future__ import annotations

import pytest

from tenantcheck.plugin.stash import FANOUT_KEY, RUN_KEY, WORLD_KEY
from tenantcheck.run.interrupts import interrupts_ignored


def halt_requests(config: pytest.Config) -> None:
    world = config.stash.get(WORLD_KEY, None)
    if world is not None and world.http is not None:
        world.http.halt()


def tear_down(config: pytest.Config) -> None:
    """Stop what runs ahead, then remove what the run created; once, with Ctrl-C and SIGTERM ignored."""
    world = config.stash.get(WORLD_KEY, None)
    if world is None or world.closed:
        return
    with interrupts_ignored():
        fanout = config.stash.get(FANOUT_KEY, None)
        if fanout is not None and world.http is not None:
            fanout.close(world.http.halted_meanwhile)  # what runs ahead ends before teardown removes what it made
        problems = world.keep() if config.getoption("tenantcheck_keep") else world.close()
    if problems:
        config.stash[RUN_KEY].setdefault("cleanup_problems", []).extend(problems)
