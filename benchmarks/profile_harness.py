#!/usr/bin/env python
"""Profile one harness run with pyinstrument, against a reference target this script starts (127.0.0.1).

    .venv/bin/pip install pyinstrument
    .venv/bin/python benchmarks/profile_harness.py                      # N = 2, latency 0
    .venv/bin/python benchmarks/profile_harness.py --tenants 5 --latency 50 --html /tmp/p.html

The harness runs as ``python -m pyinstrument -m tenantcheck run --env <base_url file>`` (the same
environment file as benchmarks/run.py writes); the text profile goes to stdout (or ``--text FILE``).
Extra arguments after ``--`` go to ``tenantcheck run`` (e.g. ``-- -k TC-02``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import ROOT, environment_file, start_target  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--pairs", default="all")
    parser.add_argument("--latency", type=int, default=0)
    parser.add_argument("-n", dest="workers", default="0")
    parser.add_argument("--interval", default="0.0005", help="pyinstrument sampling interval (s)")
    parser.add_argument("--text", type=Path, help="write the text profile here (default: stdout)")
    parser.add_argument("--html", type=Path, help="also write an HTML profile here")
    parser.add_argument("extra", nargs="*", help="after --: more arguments for tenantcheck run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantcheck-profile-") as tmp, start_target(args.latency) as target:
        work = Path(tmp)
        env_file = environment_file(work, target)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env["TENANTCHECK_ADMIN_TOKEN"] = target.admin_token
        harness = ["-m", "tenantcheck", "run", "--env", str(env_file), "--tenants", str(args.tenants),
                   "--pairs", args.pairs, "-n", args.workers, "--report-dir", str(work / "reports"), "-q",
                   *args.extra]
        renders = [("text", args.text or work / "profile.txt")]
        if args.html:
            renders.append(("html", args.html))
        session = work / "profile.pyisession"
        code = subprocess.call([sys.executable, "-m", "pyinstrument", "--interval", args.interval, "-r",
                                "pyisession", "-o", str(session), *harness], cwd=work, env=env,
                               stdout=subprocess.DEVNULL)
        for renderer, path in renders:
            subprocess.check_call([sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", renderer,
                                   "-o", str(path)])
        if not args.text:
            sys.stdout.write((work / "profile.txt").read_text())
        print(f"harness exit code {code}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
