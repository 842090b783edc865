"""Request timeline probe for benchmarks/inflight.py, loaded with ``PYTEST_PLUGINS=inflight_plugin``.

It wraps ``Limiter.slot`` (the point every request of the run passes, holding one of the requests in
flight) and records, per request, when it was let go and when it ended, with the check it was sent for
(else the thread's name: provisioning, teardown). The list goes to ``INFLIGHT_OUT`` as JSON at the end.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_events: list[tuple[float, float, str]] = []
_lock = threading.Lock()


def pytest_configure(config: pytest.Config) -> None:
    from tenantcheck.engine.http import Limiter
    from tenantcheck.plugin.stash import RECORDER_KEY

    slot = Limiter.slot

    def sender() -> str:
        recorder = config.stash.get(RECORDER_KEY, None)
        context = recorder.current if recorder is not None else None
        return context.check if context is not None else threading.current_thread().name

    @contextmanager
    def traced(self: Limiter, *, urgent: bool = False) -> Iterator[None]:
        with slot(self, urgent=urgent):
            started = time.monotonic()
            try:
                yield
            finally:
                with _lock:
                    _events.append((started, time.monotonic(), sender()))

    Limiter.slot = traced  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("INFLIGHT_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as stream:
            json.dump(_events, stream)
