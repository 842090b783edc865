"""Ctrl-C and SIGTERM: the run stops between checks, then removes what it created.

A KeyboardInterrupt raised wherever the main thread happens to be can skip pytest's remaining
finalizers (pytest catches only ``Exception`` between them: the world's teardown among them), leave a
lock half handed over, or land in a frame pytest cannot render (pytest then crashes and hands the run
status OK). So, in a process that runs checks, the first signal only asks the run to stop: pytest's
``session.shouldstop`` ends the run after the check under way, and requests not yet sent are refused,
so the checks in flight end at once (inconclusive). The teardown then removes what the run created, with
both signals ignored. A second signal before it stops at once (KeyboardInterrupt).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulStop:
    """The handler of both signals while a process runs checks (``install``, main thread only)."""

    def __init__(self, session: pytest.Session, halt: Callable[[], None]) -> None:
        self.session = session
        self.halt = halt  # refuses every request not yet sent (Http.halt)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.session.shouldstop:
            raise KeyboardInterrupt  # asked twice: at once
        self.session.shouldstop = f"{signal.Signals(signum).name}: stopped after the checks under way"
        self.halt()

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                signal.signal(signum, self)


@contextmanager
def interrupts_ignored() -> Iterator[None]:
    """Meanwhile (teardown) Ctrl-C and SIGTERM are ignored: the run is ending anyway, and an interrupt
    would cut the removals short."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals, and only it may set their handlers
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
