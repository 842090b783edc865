"""Checks in flight at once: the fan-out's window, order and serial checks; the gate; the recorder
attributing findings to the check whose thread (or gathered call) saw them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tenantcheck.engine.canaries import Sighting
from tenantcheck.errors import TargetError
from tenantcheck.run.concurrency import Gate, Pending
from tenantcheck.run.fanout import FanOut
from tenantcheck.run.recording import CheckContext, Recorder
from tests.engine.test_http import Peak, make_http

WAIT = 5.0  # generous: only a broken fan-out ever waits this long


class FakeItem:
    """What the fan-out reads of a pytest item: node id and received arguments."""

    def __init__(self, name: str, *, serial: bool = False) -> None:
        self.nodeid = name
        self.serial = serial
        self.funcargs: dict[str, Any] = {}
        self._fixtureinfo = SimpleNamespace(name2fixturedefs={})


class Bodies:
    """Bodies that record when they start and block until released; counts how many run at once."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = threading.Event()
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.fail: set[str] = set()
        self.quick: set[str] = set()  # these end at once

    def body_of(self, item: Any, shared: dict[str, Any]) -> Callable[[], None]:
        def body() -> None:
            with self.lock:
                self.started.append(item.nodeid)
                self.running += 1
                self.most = max(self.most, self.running)
            if item.nodeid not in self.quick:
                self.release.wait(WAIT)
            with self.lock:
                self.running -= 1
            if item.nodeid in self.fail:
                raise AssertionError(f"finding in {item.nodeid}")

        return body


def fanout(
    names: list[str], width: int, bodies: Bodies, serial: frozenset[str] = frozenset()
) -> tuple[FanOut, list[Any]]:
    items: list[Any] = [FakeItem(name, serial=name in serial) for name in names]
    return FanOut(items, width, bodies.body_of, lambda item: item.serial), items


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_next_checks_run_ahead_within_the_width() -> None:
    bodies = Bodies()
    run, items = fanout([f"c{i}" for i in range(10)], 3, bodies)
    threading.Timer(0.05, bodies.release.set).start()
    # The current check runs on the pool too (pytest's thread goes on starting the next ones), the next
    # two beside it, and no more until one ends.
    assert run.call(items[0]) is True
    assert sorted(bodies.started[:3]) == ["c0", "c1", "c2"]
    for item in items[1:]:
        assert run.call(item) is True
    assert bodies.most == 3 and sorted(bodies.started) == [f"c{i}" for i in range(10)]
    run.close()


def test_a_slow_check_does_not_hold_up_the_checks_after_it() -> None:
    started: list[str] = []
    seen_by_slow: list[int] = []

    def body_of(item: Any, shared: dict[str, Any]) -> Callable[[], None]:
        def body() -> None:
            started.append(item.nodeid)
            if item.nodeid == "c1":  # ends once all the others have started (or after WAIT)
                deadline = time.monotonic() + WAIT
                while len(started) < 8 and time.monotonic() < deadline:
                    time.sleep(0.005)
                seen_by_slow.append(len(started))

        return body

    items: list[Any] = [FakeItem(f"c{i}") for i in range(8)]
    run = FanOut(items, 2, body_of, lambda item: False)
    run.call(items[0])
    assert run.call(items[1]) is True  # while c1 ran, its neighbour's thread went on with the rest
    assert seen_by_slow == [8] and sorted(started) == [f"c{i}" for i in range(8)]
    run.close()


def test_a_check_body_outcome_is_reraised_in_its_own_call() -> None:
    bodies = Bodies()
    bodies.fail = {"c2"}
    bodies.release.set()
    run, items = fanout(["c0", "c1", "c2", "c3"], 4, bodies)
    run.call(items[0])
    assert run.call(items[1]) is True
    with pytest.raises(AssertionError, match="finding in c2"):
        run.call(items[2])
    assert run.call(items[3]) is True
    run.close()


def test_a_serial_check_runs_alone() -> None:
    bodies = Bodies()
    bodies.release.set()
    run, items = fanout(["c0", "c1", "s2", "c3", "c4"], 8, bodies, serial=frozenset({"s2"}))
    assert run.call(items[0]) is True
    wait_until(lambda: "c1" in bodies.started)
    assert sorted(bodies.started) == ["c0", "c1"]  # nothing past the serial check starts before it has run
    assert run.call(items[1]) is True
    assert run.call(items[2]) is False  # pytest calls the serial check itself, with nothing in flight
    assert sorted(bodies.started) == ["c0", "c1"]
    assert run.call(items[3]) is True  # the ones after it run on the pool again
    assert run.call(items[4]) is True
    assert sorted(bodies.started) == ["c0", "c1", "c3", "c4"]
    run.close()


def test_a_check_passed_over_for_a_session_value_runs_ahead_once_it_is_known() -> None:
    """Checks that take a session fixture no earlier check has received yet (the inspector) are passed over,
    then run ahead once a check brings it; the first that takes it runs on the pool once pytest has set it
    up for it."""
    started: list[str] = []
    needs_inspector = {"c2", "c3", "c4", "c6"}

    def body_of(item: Any, shared: dict[str, Any]) -> Callable[[], None] | None:
        if item.nodeid in needs_inspector and "inspector" not in shared:
            return None
        return lambda: started.append(item.nodeid)

    items: list[Any] = [FakeItem(f"c{i}") for i in range(8)]
    items[2].funcargs = {"inspector": "the inspector"}  # c2 is the first that takes it: pytest sets it up
    items[2]._fixtureinfo = SimpleNamespace(name2fixturedefs={"inspector": [SimpleNamespace(scope="session")]})
    run = FanOut(items, 8, body_of, lambda item: False)
    assert run.call(items[0]) is True
    wait_until(lambda: sorted(started) == ["c0", "c1", "c5", "c7"])
    assert run.call(items[1]) is True
    assert run.call(items[2]) is True  # pytest set the inspector up for c2: now it is known
    wait_until(lambda: sorted(started) == [f"c{i}" for i in range(8)])
    assert all(run.call(item) is True for item in items[3:])
    assert sorted(started) == [f"c{i}" for i in range(8)]  # each ran once
    run.close()


def test_close_drops_waiting_checks_and_halts_running_ones() -> None:
    bodies = Bodies()
    bodies.quick = {"c0"}
    run, items = fanout([f"c{i}" for i in range(6)], 2, bodies)
    assert run.call(items[0]) is True  # c0 ended; c1 and c2 run, blocked
    wait_until(lambda: bodies.running == 2)
    halts: list[bool] = []

    @contextmanager
    def halted() -> Iterator[None]:
        halts.append(True)
        bodies.release.set()  # what Http.halted_meanwhile does for real bodies: their requests end at once
        yield
        halts.append(False)

    run.close(halted)
    assert halts == [True, False] and sorted(bodies.started) == ["c0", "c1", "c2"] and bodies.running == 0


def test_settled_waits_for_work_begun_before_it_and_holds_up_none_begun_after() -> None:
    """A comparison with the owner's creates waits for one answered but not registered yet; a create begun
    meanwhile neither waits for the comparison nor holds it up; another owner's creates never count."""
    pending = Pending()
    order: list[str] = []
    finish = {"create-1": threading.Event(), "create-2": threading.Event()}

    def create(name: str) -> None:
        with pending.under_way("tenant-a"):
            order.append(f"{name} started")
            finish[name].wait(WAIT)
            order.append(f"{name} registered")

    def compare() -> None:
        pending.settled("tenant-a")
        order.append("compared")

    first = threading.Thread(target=create, args=("create-1",))
    first.start()
    wait_until(lambda: "create-1 started" in order)
    comparison = threading.Thread(target=compare)
    comparison.start()
    time.sleep(0.05)
    second = threading.Thread(target=create, args=("create-2",))
    second.start()
    wait_until(lambda: "create-2 started" in order)  # it did not wait for the comparison
    assert "compared" not in order
    finish["create-1"].set()
    comparison.join(WAIT)
    assert order == ["create-1 started", "create-2 started", "create-1 registered", "compared"]
    finish["create-2"].set()
    second.join(WAIT)
    with pending.under_way("tenant-b"):
        pending.settled("tenant-a")  # returns at once: other owners' work never counts


def test_exclusive_waits_for_shared_holders_and_holds_new_ones() -> None:
    """A cache check (exclusive) waits for a write in flight (shared) and holds the next write back."""
    gate = Gate()
    order: list[str] = []
    writing = threading.Event()
    finish_write = threading.Event()

    def write(name: str, hold: threading.Event | None = None) -> None:
        with gate.shared():
            order.append(f"{name} answered" if hold is None else f"{name} sent")
            if hold is not None:
                writing.set()
                hold.wait(WAIT)
                order.append(f"{name} answered")

    def test_cache() -> None:
        with gate.exclusive():
            order.append("cache tested")
            time.sleep(0.05)
            order.append("cache done")

    first = threading.Thread(target=write, args=("write-1", finish_write))
    first.start()
    writing.wait(WAIT)
    cache = threading.Thread(target=test_cache)
    cache.start()
    time.sleep(0.05)
    assert "cache tested" not in order  # a write is still in flight
    second = threading.Thread(target=write, args=("write-2",))
    second.start()
    time.sleep(0.05)
    finish_write.set()
    for thread in (first, cache, second):
        thread.join(WAIT)
    assert order == ["write-1 sent", "write-1 answered", "cache tested", "cache done", "write-2 answered"]


def test_exclusive_holders_take_turns() -> None:
    gate = Gate()
    peak = Peak()

    def hold() -> None:
        with gate.exclusive():
            peak.stay()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert peak.most == 1


def test_apart_holders_overlap_each_other_but_no_shared_or_exclusive_holder() -> None:
    """Cache checks on URLs of their own (apart) test at once; no write (shared) and no check on the shared
    URL (exclusive) runs beside them."""
    gate = Gate()
    events: list[str] = []
    lock = threading.Lock()
    both_apart = threading.Barrier(2, timeout=WAIT)

    def note(event: str) -> None:
        with lock:
            events.append(event)

    def apart(name: str) -> None:
        with gate.apart():
            note(f"{name} in")
            both_apart.wait()  # fails (BrokenBarrierError) unless the two apart holders overlap
            time.sleep(0.05)
            note(f"{name} out")

    def hold(kind: str) -> None:
        with getattr(gate, kind)():
            note(f"{kind} in")
            time.sleep(0.02)
            note(f"{kind} out")

    with gate.shared():  # a write in flight: the apart holders wait for it
        threads = [threading.Thread(target=apart, args=(name,)) for name in ("a1", "a2")]
        for thread in threads:
            thread.start()
        time.sleep(0.05)
        assert events == []
    late = [threading.Thread(target=hold, args=(kind,)) for kind in ("shared", "exclusive")]
    wait_until(lambda: len(events) == 2)  # both apart holders are in
    for thread in late:
        thread.start()
    for thread in [*threads, *late]:
        thread.join(WAIT)
    assert sorted(events[:2]) == ["a1 in", "a2 in"] and sorted(events[2:4]) == ["a1 out", "a2 out"]
    assert sorted(events[4:]) == ["exclusive in", "exclusive out", "shared in", "shared out"]
    inner = events[4:]
    assert inner.index(f"{inner[0].split()[0]} out") == 1  # the shared and the exclusive holder never overlap


def test_findings_go_to_the_check_whose_thread_saw_them() -> None:
    recorder = Recorder()
    contexts = [CheckContext(check=f"TC-01[{name}]", case="TC-01") for name in ("a", "b")]
    exchange = SimpleNamespace(method="GET", url="/api/projects", status=200, to_dict=dict, curl=str)
    ready = threading.Barrier(2)

    def check(context: CheckContext, owner: str) -> None:
        with recorder.running(context):
            ready.wait(WAIT)  # both checks are running at once
            recorder.leak("tenant-x", [Sighting(marker="tcm0", owner=owner, where="body")], exchange)  # type: ignore[arg-type]

    pairs = zip(contexts, "ab", strict=True)
    threads = [threading.Thread(target=check, args=(context, owner)) for context, owner in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert [[finding.victim for finding in context.findings] for context in contexts] == [["a"], ["b"]]
    recorder.leak("tenant-x", [Sighting(marker="tcm1", owner="c", where="body")], exchange)  # type: ignore[arg-type]
    assert [finding.victim for finding in recorder.take_orphans()] == ["c"]  # outside any check


def test_gathered_calls_belong_to_the_check_that_gathered_them() -> None:
    recorder = Recorder()
    context = CheckContext(check="TX-06[all]", case="TX-06")
    exchange = SimpleNamespace(method="GET", url="/api/projects", status=200, to_dict=dict, curl=str)

    def seen_by(owner: str) -> Callable[[], None]:
        return lambda: recorder.leak("tenant-x", [Sighting(marker="tcm0", owner=owner, where="body")], exchange)  # type: ignore[arg-type]

    with make_http(httpx.MockTransport(lambda request: httpx.Response(200))) as http:
        with recorder.running(context):
            http.gather([seen_by(owner) for owner in ("a", "b", "c")])
        http.gather([seen_by("d")])
    assert sorted(finding.victim for finding in context.findings) == ["a", "b", "c"]
    assert [finding.victim for finding in recorder.take_orphans()] == ["d"]


def test_a_halted_client_sends_nothing() -> None:
    sent: list[str] = []
    transport = httpx.MockTransport(lambda request: sent.append(request.method) or httpx.Response(200))
    with make_http(transport) as http:
        with http.halted_meanwhile(), pytest.raises(TargetError, match="stopping"):
            http.actor("tenant-a").request("GET", "/api/projects")
        assert http.actor("tenant-a").request("GET", "/api/projects").status == 200
    assert sent == ["GET"]
