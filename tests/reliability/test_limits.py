"""The environment's request rate is respected at the target, with one process and with xdist workers.

The target counts what arrives (a tap in front of it); in no one-second window may more requests arrive
than the environment allows, plus two per worker: each worker's limiter may send its first at once, and
it spaces requests when it lets them go, so a request whose thread was held up a moment (several
threads send at once now) can arrive just before the next one, on time.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import ADMIN_VAR, run_against, serve

RATE = 25
ENV = f"""\
profile = "pom-bolt"
[target]
base_url = "{{url}}"
[provisioning]
admin_token = "${{{{{ADMIN_VAR}}}}}"
[safety]
requests_per_second = {RATE}
max_concurrency = 4
"""


def busiest_second(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    return max(bisect.bisect_left(arrivals, start + 1.0) - index for index, start in enumerate(arrivals))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_rate_limit_holds_at_the_target(tmp_path: Path, workers: str) -> None:
    with serve() as target:
        arrivals: list[float] = []

        async def count(method: str, path: str) -> None:
            arrivals.append(time.monotonic())

        target.tap.before = count
        run = run_against(target, tmp_path, "-k", "TC-02 or TC-04", "-n", workers,
                          env_text=ENV.format(url=target.base_url))
    assert run.code == 0, run.describe()
    assert len(arrivals) > RATE + 10, "too few requests to measure a rate"
    allowed = RATE + 2 * max(1, int(workers))
    assert busiest_second(arrivals) <= allowed, f"{busiest_second(arrivals)} requests in one second"


@pytest.mark.parametrize("concurrency", [None, "1"])
def test_checks_overlap_within_the_cap_on_requests_in_flight(tmp_path: Path, concurrency: str | None) -> None:
    """Checks run at once (``--concurrency``, default ``max_concurrency``), never with more requests in
    flight than ``max_concurrency``; ``--concurrency 1`` runs one check at a time. Reads tell checks
    apart from seeding (tenants are provisioned and seeded at once whatever the setting: all writes)."""
    with serve() as target:
        in_flight = {"all": 0, "GET": 0}
        most = {"all": 0, "GET": 0}

        async def hold(method: str, path: str) -> None:
            kinds = ("all", "GET") if method == "GET" else ("all",)
            for kind in kinds:
                in_flight[kind] += 1
                most[kind] = max(most[kind], in_flight[kind])
            await asyncio.sleep(0.02)  # a little latency, so that overlapping requests meet here
            for kind in kinds:
                in_flight[kind] -= 1

        target.tap.before = hold
        options = ["--concurrency", concurrency] if concurrency else []
        run = run_against(target, tmp_path, "-k", "TC-02 or TC-04", *options,
                          env_text=ENV.format(url=target.base_url).replace(f"= {RATE}", "= 1000"))
    assert run.code == 0, run.describe()
    assert most["all"] <= 4, f"{most['all']} requests in flight at once (cap 4)"
    if concurrency == "1":
        assert most["GET"] == 1
    else:
        assert most["GET"] >= 2, "checks did not overlap"


def test_teardown_removes_tenants_at_once_within_the_cap(tmp_path: Path) -> None:
    """Removals are independent: teardown sends them together (under the cap on requests in flight), so
    behind real latency it takes one round trip, not one per tenant."""
    with serve() as target:
        in_flight = [0]
        most = [0]

        async def hold_removals(method: str, path: str) -> None:
            if method == "DELETE" and path.startswith("/admin/tenants/"):
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
                await asyncio.sleep(0.2)  # long enough for removals sent together to meet here
                in_flight[0] -= 1

        target.tap.before = hold_removals
        run = run_against(target, tmp_path, "-k", "TC-01", "--tenants", "3",
                          env_text=ENV.format(url=target.base_url).replace(f"= {RATE}", "= 1000"))
        left = target.tenants()
    assert run.code == 0, run.describe()
    assert left == []
    assert most[0] == 3, f"{most[0]} of 3 tenant removals in flight at once"
