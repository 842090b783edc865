"""Checks run ahead on threads while pytest reports them one by one, in order.

A check spends nearly all its time waiting for the target, and pytest runs one test at a time. So when
check k's call phase starts, the next checks (up to ``width`` at once) start on a thread pool with the
arguments their fixtures would give them, and check k's call phase waits for its own body and re-raises
its outcome. Check k's body runs on the pool too, if it did not run ahead: pytest's thread, while it
waits, starts the next checks as others end. Setup, call and teardown hooks, reports and their order stay
pytest's; only the bodies overlap, within the environment's limits (``Http``'s rate limiter and cap on
requests in flight).

A check runs on the pool only when the plugin can give it everything it takes (``body_of``): session
fixtures it takes must already be set up by an earlier check (their values are learned from that check's
arguments, or from its own once pytest has set them up for it). A check passed over only because such a
fixture was not known yet (the inspector, first set up by a check further on) is tried again once a check
brings a new one. Anything else runs in pytest's own call, as before. A check the plugin says must run
``alone`` (marked ``serial``, for one) does: nothing runs ahead past it, and it starts when all checks
before it have finished.
"""

from __future__ import annotations

import contextvars
from collections import deque
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
        self.considered = 0  # items before this index have been started ahead or passed over
        self.passed_over: deque[int] = deque()  # positions body_of declined (oldest first): tried again on learning
        self.again: deque[int] = deque()  # passed over before the last session value was learned: try them
        self._pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="tenantcheck-check")

    def call(self, item: pytest.Function) -> bool:
        """Finish ``item``'s call phase if its body ran ahead (re-raising what it raised), after starting
        the next ones; ``False``: pytest calls it itself."""
        if self._learn(item):
            self.again.extend(self.passed_over)
            self.passed_over.clear()
        index = self.position.get(id(item))
        if index is None or self.alone(item):
            return False  # a check that runs alone: nothing ran ahead past it, nothing starts before it ends
        if item.nodeid not in self.ahead:
            self._start(index)  # on the pool too (if it can be): this thread goes on starting the next ones
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

    def _learn(self, item: pytest.Function) -> bool:
        """Values of the session fixtures this check received (later checks that take them may run ahead);
        whether one was new."""
        definitions = item._fixtureinfo.name2fixturedefs
        known = len(self.shared)
        for name, value in (item.funcargs or {}).items():
            if name not in self.shared and definitions.get(name) and definitions[name][-1].scope == "session":
                self.shared[name] = value
        return len(self.shared) > known

    def _running(self) -> list[Future[object]]:
        return list(self.running)

    def _start_after(self, index: int) -> None:
        """Start checks after ``index`` while fewer than ``width`` run, and fewer than ``LOOKAHEAD`` times
        ``width`` wait (done or not) for their turn to be reported: first those passed over before a session
        value they take was known (one pytest has reached starts in its own call), then the next ones in order."""
        while self.again and self._room():
            position = self.again.popleft()
            if position > index and not self._start(position):
                self.passed_over.append(position)
        while self.passed_over and self.passed_over[0] <= index:
            self.passed_over.popleft()  # pytest has reached it: its own call starts it
        position = max(self.considered, index + 1)
        while position < len(self.items) and self._room():
            if self.alone(self.items[position]):
                break  # nothing starts past a check that runs alone before it has run
            if not self._start(position):
                self.passed_over.append(position)
            position += 1
        self.considered = position

    def _room(self) -> bool:
        return len(self.running) < self.width and len(self.ahead) < LOOKAHEAD * self.width

    def _start(self, position: int) -> bool:
        """Start the check at ``position`` on the pool; ``False``: ``body_of`` cannot give it what it takes."""
        item = self.items[position]
        body = self.body_of(item, self.shared)
        if body is None:
            return False
        future = self._pool.submit(contextvars.copy_context().run, body)
        self.running.add(future)
        future.add_done_callback(self.running.discard)  # at once if it is done already
        self.ahead[item.nodeid] = future
        return True
