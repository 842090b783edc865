"""Keeping checks that run at once (``tenantcheck.run.fanout``) from misreading each other's effects.

``Pending`` counts work under way per key. A create, from its request to its registration, is
``under_way(owner)``; a check that compares what the tenant lists (projects, search hits) with what the run
created for it asks for the latter after the listing (``World.created_by``), once every create begun before
it has ended (``settled(owner)``). So a project in the listing whose create was answered but not yet
registered is not taken for a foreign one; a create begun after the listing was answered cannot be in it,
and waits for nothing.

``Gate`` is a readers-writer lock: holders of ``shared()`` overlap each other, a holder of ``exclusive()``
has the gate to itself (and announces itself first, so new shared holders wait behind it), and holders of
``apart()`` overlap each other but no shared holder. Two uses:

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
    """Readers-writer lock with a third kind of holder. ``shared`` holders overlap each other; ``apart``
    holders overlap each other but no shared holder; an ``exclusive`` holder has the gate to itself. Apart
    and exclusive holders announce themselves first, so new shared holders wait behind them (and new apart
    holders behind an exclusive one). Never take a kind while holding another."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held: Counter[str] = Counter()  # per kind: holding
        self._announced: Counter[str] = Counter()  # apart and exclusive: holding or waiting
        self._mine = threading.local()  # how many apart or exclusive holds this thread has

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._announced["exclusive"] and not self._announced["apart"])
            self._held["shared"] += 1
        try:
            yield
        finally:
            self._leave("shared", announced=False)

    @contextmanager
    def apart(self) -> Iterator[None]:
        with self._taken("apart", lambda: not self._held["shared"] and not self._held["exclusive"]):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._taken("exclusive", lambda: not self._held["shared"] and not self._held["apart"]):
            yield

    @contextmanager
    def _taken(self, kind: str, free: Callable[[], bool]) -> Iterator[None]:
        """Wait behind an exclusive holder (or one announced), announce, wait until ``free()``, hold."""
        with self._changed:
            self._changed.wait_for(lambda: not self._announced["exclusive"])  # one exclusive holder at a time
            self._announced[kind] += 1
            self._changed.wait_for(free)
            self._held[kind] += 1
        self._mine.holds = getattr(self._mine, "holds", 0) + 1
        try:
            yield
        finally:
            self._mine.holds -= 1
            self._leave(kind, announced=True)

    def held_apart(self) -> bool:
        """Whether this thread holds the gate apart or alone (its requests hold up every shared holder)."""
        return bool(getattr(self._mine, "holds", 0))

    def _leave(self, kind: str, *, announced: bool) -> None:
        with self._changed:
            self._held[kind] -= 1
            if announced:
                self._announced[kind] -= 1
            self._changed.notify_all()
