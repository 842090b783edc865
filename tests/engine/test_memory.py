"""Freed memory goes back to the operating system during long runs (``tenantcheck.run.memory``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tenantcheck.run.memory import Trimmer, release_free_memory


def test_trimmer_releases_once_every_n_checks() -> None:
    releases: list[int] = []
    trimmer = Trimmer(every=3, release=lambda: releases.append(trimmer.done))
    for _ in range(7):
        trimmer.check_done()
    assert releases == [3, 6]


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads RSS from /proc; malloc_trim is glibc's")
def test_release_hands_back_a_fragmented_heap() -> None:
    """What a run leaves: many freed blocks below one that lives on. malloc alone keeps them resident
    (a heap shrinks only from its top); released, they leave the process."""
    blocks = [bytes(4000) for _ in range(25_000)]  # 100 MB of heap blocks (above pymalloc's 512 bytes)
    survivor = bytes(4000)  # on top of them: the heap cannot shrink past it
    del blocks
    before = resident_mb()
    assert release_free_memory()
    after = resident_mb()
    assert before - after > 50, f"RSS {before:.0f} MB -> {after:.0f} MB after releasing ~100 MB of freed blocks"
    assert survivor


ARENA_COUNT = """
import ctypes, ctypes.util, sys, tempfile, threading
from tenantcheck.run.memory import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
ready, done = threading.Barrier(9), threading.Event()

def allocate():
    kept = [bytes(4000) for _ in range(200)]  # each thread allocates from the arena malloc gives it
    ready.wait()
    done.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
ready.wait()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile(suffix=".xml") as report:
    stream = libc.fopen(report.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(report.name).read().count("<heap nr="))
done.set()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts glibc's malloc arenas")
def test_threads_share_two_arenas_once_limited() -> None:
    def arenas(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", ARENA_COUNT, mode], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return int(run.stdout)

    assert arenas("limited") <= 2
    assert arenas("unlimited") > 2  # what the limit prevents: eight threads get arenas of their own
