"""Handing freed memory back to the operating system during long runs.

A check keeps little (its result), but frees a lot: response bodies, parsed JSON, evidence and reports
are garbage milliseconds later, made on many threads. glibc's malloc keeps freed chunks inside the process
and gives memory back only from the top of a heap, so a long run's RSS creeps up with fragmentation while
its live memory stays flat (at N = 20 with ``--pairs all``, 21,924 checks, about 30 MB of free chunks).
So every ``TRIM_EVERY`` checks the plugin asks glibc to release free pages (``malloc_trim``), as
long-running Python services do; and a run's threads share two malloc arenas instead of getting up to
eight per core, each keeping its own free chunks (threads hold the GIL when they allocate, so they hardly
contend for an arena). Where the C library has neither (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

TRIM_EVERY = 250  # checks: a second or more; a trim takes 10-40 ms (with the GIL released)
M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


@cache
def _libc_function(name: str) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(library), name) if library else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the operating system; whether this platform can."""
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True


def limit_malloc_arenas() -> bool:
    """Let threads started from now on share ``ARENAS`` malloc arenas; whether this platform can."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, ARENAS) == 1


class Trimmer:
    """Calls ``release`` once every ``every`` finished checks (pytest ends checks on its main thread)."""

    def __init__(self, every: int = TRIM_EVERY, release: Callable[[], object] = release_free_memory) -> None:
        self.every = every
        self.release = release
        self.done = 0

    def check_done(self) -> None:
        self.done += 1
        if self.done % self.every == 0:
            self.release()
