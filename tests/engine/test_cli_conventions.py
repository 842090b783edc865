"""The command line's conventions: a usage error is exit 3 with one line on stderr naming what is wrong
(argparse's 2 would read as "inconclusive", pytest's 4 means nothing); --version and every --help exit 0;
``tenantcheck run --help`` leads with tenantcheck's own options, their plain metavars and defaults."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tenantcheck import tool_version
from tenantcheck.config.options import OPTIONS
from tenantcheck.reference import FLAWS

CLI = [sys.executable, "-m", "tenantcheck"]


def tenantcheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def error_lines(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in completed.stderr.splitlines() if line.strip()]


USAGE_ERRORS = {
    "no-command": ([], "tenantcheck: the following arguments are required: COMMAND (see `tenantcheck --help`)"),
    "unknown-command": (["bogus"], "tenantcheck: argument COMMAND: invalid choice: 'bogus' (choose from 'run', "
                        "'verify', 'seed', 'cleanup', 'report', 'init', 'profile', 'catalog', 'reference') "
                        "(see `tenantcheck --help`)"),
    "seed-missing": (["seed"], "tenantcheck seed: the following arguments are required: --env, --manifest "
                     "(see `tenantcheck seed --help`)"),
    "seed-type": (["seed", "--env", "local", "--manifest", "m.json", "--tenants", "two"],
                  "tenantcheck seed: argument --tenants: invalid int value: 'two' (see `tenantcheck seed --help`)"),
    "cleanup-which": (["cleanup", "--env", "local"], "tenantcheck cleanup: one of the arguments --run-id --stale "
                      "is required (see `tenantcheck cleanup --help`)"),
    "report-missing": (["report"], "tenantcheck report: the following arguments are required: PATH.json "
                       "(see `tenantcheck report --help`)"),
    "run-unknown": (["run", "--no-such-option"], "tenantcheck run: unrecognized arguments: --no-such-option"),
    "run-type": (["run", "--tenants", "x"], "tenantcheck run: argument --tenants: invalid int value: 'x'"),
    "run-no-value": (["run", "--run-id"], "tenantcheck run: argument --run-id: expected one argument"),
    "verify-unknown": (["verify", "--env", "local", "--manifest", "m.json", "--no-such-option"],
                       "tenantcheck verify: unrecognized arguments: --no-such-option"),
}


@pytest.mark.parametrize("name", sorted(USAGE_ERRORS))
def test_usage_errors_exit_3_with_one_line(name: str, tmp_path: Path) -> None:
    args, expected = USAGE_ERRORS[name]
    completed = tenantcheck(*args, cwd=tmp_path)
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert error_lines(completed) == [expected]
    assert "usage:" not in completed.stdout + completed.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_version() -> None:
    completed = tenantcheck("--version")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"tenantcheck {tool_version()}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", tool_version())


HELPS = [[], ["run"], ["verify"], ["seed"], ["cleanup"], ["report"], ["init"], ["catalog"], ["reference", "serve"]]


def test_every_help_exits_0(tmp_path: Path) -> None:
    """Given --help on the command and each subcommand, each prints tenantcheck's usage and exits 0 (verify
    used to demand --manifest first, run printed only pytest's usage)."""
    for command in HELPS:
        completed = tenantcheck(*command, "--help", cwd=tmp_path)
        said = completed.stdout[-2000:] + completed.stderr[-2000:]
        assert completed.returncode == 0, f"{command}: {said}"
        assert completed.stdout.startswith(f"usage: {' '.join(['tenantcheck', *command])}"), f"{command}: {said}"
        assert "Traceback" not in completed.stderr


@pytest.fixture(scope="module")
def run_help() -> str:
    completed = tenantcheck("run", "--help")
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_run_help_leads_with_tenantcheck_options_then_pytest(run_help: str) -> None:
    ours = run_help.index("tenant isolation checks (tenantcheck's options):")
    follow = run_help.index("pytest's options follow")
    pytest_help = run_help.index("usage: pytest")
    assert ours < follow < pytest_help
    section = run_help[ours:follow]
    for option in OPTIONS:
        assert f"  {option.flag}" in section, option.flag
    flat = " ".join(section.split())
    for expected in ("--env NAME", "activates tenantcheck (default: local)", "--tenants N",
                     "number of test tenants to provision (default: 2)", "--run-id ID", "--report-dir PATH",
                     "(default: reports)", "--base-url URL", "--concurrency K", "--flaw NAME",
                     "(default: 8 random hex digits)"):
        assert expected in flat, expected
    for flaw in FLAWS:  # whole: lines are not broken at a name's hyphens
        assert f" {flaw}," in flat or flat.endswith(f" {flaw}"), flaw


def test_metavars_are_plain(run_help: str) -> None:
    """Given both help texts (ours, then pytest's group), no option shows a metavar derived from its dest."""
    assert not re.search(r"--[a-z-]+[ =]TENANTCHECK_", run_help), re.findall(r"--[a-z-]+[ =]TENANTCHECK_\w+", run_help)
    assert "--tenants=N" in run_help and "--run-id=ID" in run_help  # pytest's rendering of the same options


def test_verify_help_describes_verify(tmp_path: Path) -> None:
    completed = tenantcheck("verify", "--help", cwd=tmp_path)
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: tenantcheck verify --manifest PATH [--env NAME]")
    assert "--manifest PATH" in completed.stdout and "TENANTCHECK_SEED_KEY_<LABEL>" in completed.stdout
