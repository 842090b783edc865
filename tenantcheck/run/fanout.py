"""Checks run ahead on threads while pytest reports them one by one, in order.

A check spends nearly all its time waiting for the target, and pytest runs one test at a time. So when
check k's call phase starts, the next checks (up to ``width`` at once) start on a thread pool with the
arguments their fixtures would give them, and check k's call phase waits for its own body and re-raises
its outcome. Setup, call and teardown hooks, reports and their order stay pytest's; only the bodies
overlap, within the environment's limits (``Http``'s rate limiter and cap on requests in flight).

A check runs ahead only when the plugin can give it everything it takes (``body_of``): session fixtures
it takes must already be set up by an earlier check (their values are learned from that check's
arguments). Anything else runs in pytest's own call, as before. A check the plugin says must run
``alone`` (marked ``serial``, for one) does: nothing runs ahead past it, and it starts when all checks
before it have finished.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest

BodyOf = Callable[[pytest.Item, dict[str, Any]], Callable[[], object] | None]
Alone = Callable[[pytest.Item], bool]
LOOKAHEAD = 4  # a slow check holds up the reports after it, not the checks after it


class FanOut:
    """Runs the bodies of the checks after the current one ahead, at most ``width`` at once (and up to
    ``LOOKAHEAD * width`` checks ahead of the one pytest reports)."""

    def __init__(self, items: list[pytest.Item], width: int, body_of: BodyOf, alone: Alone) -> None:
        self.items = items
        self.width = width
        self.body_of = body_of
        self.alone = alone
        self.position = {id(item): index for index, item in enumerate(items)}  # items live the whole run
        self.shared: dict[str, Any] = {}  # session fixtures' values, as earlier checks received them
        self.ahead: dict[str, Future[object]] = {}
        self.running: set[Future[object]] = set()  # started and not done (each removes itself when done)
        self.considered = 0  # items before this index have been started ahead or left to pytest
        self._pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="tenantcheck-check")

    def call(self, item: pytest.Function) -> bool:
        """Finish ``item``'s call phase if its body ran ahead (re-raising what it raised), after starting
        the next ones; ``False``: pytest calls it itself."""
        self._learn(item)
        index = self.position.get(id(item))
        if index is None or self.alone(item):
            return False  # a check that runs alone: nothing ran ahead past it, nothing starts before it ends
        self._start_after(index)
        future = self.ahead.pop(item.nodeid, None)
        if future is None:
            return False
        while not future.done():  # meanwhile, keep the pool busy: start checks as others end
            wait([future, *self._running()], return_when=FIRST_COMPLETED)
            self._start_after(index)
        future.result()
        return True

    def close(self, halted: Callable[[], AbstractContextManager[object]] = nullcontext) -> None:
        """Drop bodies not started and wait for running ones, within ``halted()`` (``Http.halted_meanwhile``:
        their requests stop quickly), so that teardown removes everything they created."""
        for future in self.ahead.values():
            future.cancel()
        with halted() if self._running() else nullcontext():
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.ahead.clear()

    def _learn(self, item: pytest.Function) -> None:
        """Values of the session fixtures this check received (later checks that take them may run ahead)."""
        definitions = item._fixtureinfo.name2fixturedefs
        for name, value in (item.funcargs or {}).items():
            if name not in self.shared and definitions.get(name) and definitions[name][-1].scope == "session":
                self.shared[name] = value

    def _running(self) -> list[Future[object]]:
        return list(self.running)

    def _start_after(self, index: int) -> None:
        """Start the checks after ``index`` while fewer than ``width`` run, and fewer than ``LOOKAHEAD``
        times ``width`` wait (done or not) for their turn to be reported."""
        position = max(self.considered, index + 1)
        while (position < len(self.items) and len(self.running) < self.width
               and len(self.ahead) < LOOKAHEAD * self.width):
            item = self.items[position]
            if self.alone(item):
                break  # nothing starts past a check that runs alone before it has run
            body = self.body_of(item, self.shared)
            if body is not None:
                future = self._pool.submit(contextvars.copy_context().run, body)
                self.running.add(future)
                future.add_done_callback(self.running.discard)  # at once if it is done already
                self.ahead[item.nodeid] = future
            position += 1
        self.considered = position
