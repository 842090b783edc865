"""Keeping checks that run at once (``tenantcheck.run.fanout``) from misreading each other's effects.

``Gate`` is a readers-writer lock per key: holders of ``shared(key)`` overlap each other, a holder of
``exclusive(key)`` has the key to itself (and announces itself first, so new shared holders wait behind
it). Two uses:

- per tenant: a create, from its request to its registration, holds ``shared(owner)``; a check that
  compares what the tenant lists (projects, search hits) with what the run created for it asks for the
  latter after the listing, through ``exclusive(owner)`` (``World.created_by``). That waits for every
  create already under way, so a project in the listing whose create was answered but not yet
  registered is not taken for a foreign one, and the listing itself never waits;
- for the target's caches: every write request holds ``Http.writes.shared()``; TX-05 holds
  ``exclusive()`` from warming a cache to the attempt on it, since any write empties caches and a shared
  cache entry can only be tested while nothing writes (nor another TX-05 check warms it).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    """Readers-writer lock per key; never take ``exclusive(key)`` while holding ``shared(key)``."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared: Counter[str] = Counter()
        self._exclusive: Counter[str] = Counter()  # holding or waiting

    @contextmanager
    def shared(self, key: str = "") -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive[key])
            self._shared[key] += 1
        try:
            yield
        finally:
            with self._changed:
                self._shared[key] -= 1
                self._changed.notify_all()

    @contextmanager
    def exclusive(self, key: str = "") -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive[key])  # one holder at a time
            self._exclusive[key] += 1  # announced: new shared holders wait behind it
            self._changed.wait_for(lambda: not self._shared[key])
        try:
            yield
        finally:
            with self._changed:
                self._exclusive[key] -= 1
                self._changed.notify_all()
