#!/usr/bin/env python
"""Where a catalog run leaves its cap on requests in flight unused: one run against a reference target
with a latency (127.0.0.1, started here), and its requests in flight over time, by case.

    .venv/bin/python benchmarks/inflight.py                  # 50 ms, N = 2, local.toml's [safety]
    .venv/bin/python benchmarks/inflight.py --latency 50 --bucket 0.1 -- --tenants 5
    .venv/bin/python benchmarks/inflight.py --cap 32                # the cap the latency figure is judged at

Each line is one bucket of the window: requests in flight on average (a bar against the cap) and the
cases that sent them (``MainThread`` and ``tenantcheck-http`` are provisioning and teardown). The last
lines compare the window with the floor the cap sets (requests x latency / cap).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import ROOT, environment_file, start_target  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=int, default=50, help="the target's latency per request (ms)")
    parser.add_argument("--bucket", type=float, default=0.05, help="seconds per line")
    parser.add_argument("--cap", type=int, help="requests in flight at most (default: local.toml's max_concurrency)")
    parser.add_argument("extra", nargs="*", help="after --: more arguments for tenantcheck run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantcheck-inflight-") as tmp:
        target = start_target(args.latency)
        try:
            work = Path(tmp)
            env_file = environment_file(work, target, **({"max_concurrency": args.cap} if args.cap else {}))
            out = work / "inflight.json"
            env = dict(os.environ, PYTEST_PLUGINS="inflight_plugin", INFLIGHT_OUT=str(out),
                       TENANTCHECK_ADMIN_TOKEN=target.admin_token,
                       PYTHONPATH=os.pathsep.join(p for p in (str(BENCH), str(ROOT), os.environ.get("PYTHONPATH", ""))
                                                  if p))
            code = subprocess.call([sys.executable, "-m", "tenantcheck", "run", "--env", str(env_file), "--report-dir",
                                    str(work / "reports"), "-q", "-p", "no:cacheprovider", *args.extra],
                                   cwd=work, env=env, stdout=subprocess.DEVNULL)
            events = json.loads(out.read_text()) if out.exists() else []
        finally:
            target.stop()
    if not events:
        raise SystemExit(f"the harness sent no request (exit {code}): run it with the same arguments to see why")
    local = tomllib.loads((ROOT / "environments" / "local.toml").read_text())
    cap = args.cap or int(local["safety"]["max_concurrency"])
    print(timeline(events, args.bucket, cap))
    window = max(end for _, end, _ in events) - min(start for start, _, _ in events)
    floor = len(events) * args.latency / 1000 / cap
    print(f"{len(events)} requests in {window:.2f} s (harness exit {code}); the cap of {cap} in flight sets a floor "
          f"of {floor:.2f} s at {args.latency} ms: window / floor {window / floor:.2f}")
    return 0


def timeline(events: list[tuple[float, float, str]], bucket: float, cap: int) -> str:
    """One line per bucket: mean requests in flight, a bar, and the three cases that sent the most."""
    origin = min(start for start, _, _ in events)
    count = int((max(end for _, end, _ in events) - origin) / bucket) + 1
    busy = [0.0] * count
    senders: list[Counter[str]] = [Counter() for _ in range(count)]
    for start, end, check in events:
        for index in range(int((start - origin) / bucket), min(count, int((end - origin) / bucket) + 1)):
            low, high = origin + index * bucket, origin + (index + 1) * bucket
            overlap = min(end, high) - max(start, low)
            if overlap > 0:
                busy[index] += overlap / bucket
                senders[index][check.split("[")[0].rsplit("_", 1)[0]] += 1
    return "\n".join(f"{index * bucket:6.2f} s {busy[index]:5.1f} {'#' * round(busy[index] * 24 / cap):24s} "
                     + ", ".join(f"{name} {n}" for name, n in senders[index].most_common(3)) for index in range(count))


if __name__ == "__main__":
    raise SystemExit(main())
