"""Keeping checks that run at once (``tenantcheck.run.fanout``) from misreading each other's effects.

``Pending`` counts work under way per key. A create, from its request to its registration, is
``under_way(owner)``; a check that compares what the tenant lists (projects, search hits) with what the run
created for it asks for the latter after the listing (``World.created_by``), once every create begun before
it has ended (``settled(owner)``). So a project in the listing whose create was answered but not yet
registered is not taken for a foreign one; a create begun after the listing was answered cannot be in it,
and waits for nothing.

``Gate`` is a readers-writer lock per key: holders of ``shared(key)`` overlap each other, a holder of
``exclusive(key)`` has the key to itself (and announces itself first, so new shared holders wait behind
it), and holders of ``apart(key)`` overlap each other but no shared holder. Two uses:

- for the target's caches: every write request holds ``Http.writes.shared()``; TX-05 holds it from
  warming a cache to the attempt on it, since any write empties caches and a shared cache entry can only
  be tested while nothing writes. On a URL of its own (a nonce in the query) it holds ``apart()``: other
  TX-05 checks may test their own URLs meanwhile. On the plain URL, which every pair shares, it holds
  ``exclusive()``: no other TX-05 check may warm that URL between its warm-up and its attempt;
- for storage: every request holds ``Http.traffic.shared()``, but those of a check within ``Http.quiet()``
  (which holds it exclusive): TX-09 sweeps again in quiet when storage changed while it swept beside other
  checks, so that what it finds is its own requests' doing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Pending:
    """Work under way per key, and a wait for the work begun before it (never for work begun after)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._begun: Counter[str] = Counter()  # per key: tickets handed out
        self._open: dict[str, set[int]] = {}  # per key: tickets of work not ended

    @contextmanager
    def under_way(self, key: str = "") -> Iterator[None]:
        with self._changed:
            ticket = self._begun[key]
            self._begun[key] += 1
            self._open.setdefault(key, set()).add(ticket)
        try:
            yield
        finally:
            with self._changed:
                self._open[key].discard(ticket)
                self._changed.notify_all()

    def settled(self, key: str = "") -> None:
        """Return once all work under ``key`` begun before this call has ended."""
        with self._changed:
            mark = self._begun[key]
            self._changed.wait_for(lambda: min(self._open.get(key) or {mark}) >= mark)


class Gate:
    """Readers-writer lock per key, with a third kind of holder. ``shared`` holders overlap each other;
    ``apart`` holders overlap each other but no shared holder; an ``exclusive`` holder has the key to
    itself. Apart and exclusive holders announce themselves first, so new shared holders wait behind
    them (and new apart holders behind an exclusive one). Never take a kind while holding another."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared: Counter[str] = Counter()
        self._apart: Counter[str] = Counter()  # holding
        self._apart_announced: Counter[str] = Counter()  # holding or waiting
        self._exclusive: Counter[str] = Counter()  # holding
        self._exclusive_announced: Counter[str] = Counter()  # holding or waiting
        self._mine = threading.local()  # how many apart or exclusive holds this thread has

    @contextmanager
    def shared(self, key: str = "") -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive_announced[key] and not self._apart_announced[key])
            self._shared[key] += 1
        try:
            yield
        finally:
            self._leave(key, self._shared)

    @contextmanager
    def apart(self, key: str = "") -> Iterator[None]:
        with self._taken(key, self._apart, self._apart_announced,
                         lambda: not self._shared[key] and not self._exclusive[key]):
            yield

    @contextmanager
    def exclusive(self, key: str = "") -> Iterator[None]:
        with self._taken(key, self._exclusive, self._exclusive_announced,
                         lambda: not self._shared[key] and not self._apart[key]):
            yield

    @contextmanager
    def _taken(self, key: str, holding: Counter[str], announced: Counter[str],
               free: Callable[[], bool]) -> Iterator[None]:
        """Wait behind an exclusive holder (or one announced), announce, wait until ``free()``, hold."""
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive_announced[key])  # one exclusive holder at a time
            announced[key] += 1
            self._changed.wait_for(free)
            holding[key] += 1
        try:
            with self._held():
                yield
        finally:
            self._leave(key, holding, announced)

    def held_apart(self) -> bool:
        """Whether this thread holds a key apart or alone (its requests hold up every shared holder)."""
        return bool(getattr(self._mine, "holds", 0))

    @contextmanager
    def _held(self) -> Iterator[None]:
        self._mine.holds = getattr(self._mine, "holds", 0) + 1
        try:
            yield
        finally:
            self._mine.holds -= 1

    def _leave(self, key: str, *counters: Counter[str]) -> None:
        with self._changed:
            for counter in counters:
                counter[key] -= 1
            self._changed.notify_all()
