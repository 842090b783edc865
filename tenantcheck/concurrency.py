"""Keeping concurrent checks from misreading each other's objects.

Checks run at once (``tenantcheck.fanout``). A check that compares what a tenant lists (projects, search
hits) with what the run created for it must not see a project whose create has been answered but not
yet registered: it would look foreign. ``CreateGate`` lets creates of an owner overlap each other, and
holds a comparison for that owner until the creates in flight are registered (and new ones wait for it).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class CreateGate:
    """Per owner: creates share the gate with each other, a comparison has it to itself."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._creating: Counter[str] = Counter()
        self._comparing: Counter[str] = Counter()

    @contextmanager
    def creating(self, owner: str) -> Iterator[None]:
        """Around a create and its registration: waits while a comparison for ``owner`` runs."""
        with self._changed:
            self._changed.wait_for(lambda: not self._comparing[owner])
            self._creating[owner] += 1
        try:
            yield
        finally:
            with self._changed:
                self._creating[owner] -= 1
                self._changed.notify_all()

    @contextmanager
    def comparing(self, owner: str) -> Iterator[None]:
        """Around a read and the look at what the run created for ``owner``; never create inside it."""
        with self._changed:
            self._comparing[owner] += 1  # announced first, so that new creates wait behind it
            self._changed.wait_for(lambda: not self._creating[owner])
        try:
            yield
        finally:
            with self._changed:
                self._comparing[owner] -= 1
                self._changed.notify_all()
