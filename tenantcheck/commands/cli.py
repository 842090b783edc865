"""The ``tenantcheck`` command: run, verify, seed, cleanup, report, init, catalog, reference serve.

``run`` is pytest underneath: every argument it does not know goes to pytest (``-n auto``, ``-k TC-04``).
Exit codes: 0 isolated, 1 findings, 2 inconclusive, 3 usage or configuration error. Every usage or
configuration error is one line on stderr naming what is wrong (argparse's own exit code, 2, would read
as "inconclusive", and pytest's, 4, means nothing here).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from tenantcheck import tool_version
from tenantcheck.bundled import suites_dir
from tenantcheck.catalog import CASES
from tenantcheck.config.runid import run_id_argument
from tenantcheck.errors import ConfigError
from tenantcheck.verdict import EXIT_CONFIG

RUN = "tenantcheck run"
VERIFY = "tenantcheck verify"


class Parser(argparse.ArgumentParser):
    """argparse with tenantcheck's exit code: a usage error is one line on stderr (what is wrong, naming the
    option) and exit 3. Subcommands' parsers are of this class too (``add_subparsers`` takes the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


class RunUsageError(Exception):
    """pytest refused the arguments of ``tenantcheck run``; the message is one line."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(args)
    except BrokenPipeError:  # `tenantcheck run --help | head`: the reader is gone, nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def dispatch(args: list[str]) -> int:
    if args[:1] == ["run"]:  # before anything imports a pytest plugin's module (pytest must do that)
        return run(args[1:])
    if args[:1] == ["verify"]:
        return verify(args[1:])
    try:
        options = build_parser().parse_args(args)
    except SystemExit as stop:  # --help and --version: 0; a usage error: 3 (Parser.error)
        return stop.code if isinstance(stop.code, int) else EXIT_CONFIG if stop.code else 0
    try:
        code: int = options.handler(options)
    except ConfigError as error:
        print(f"tenantcheck: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return code


def build_parser() -> argparse.ArgumentParser:
    from tenantcheck.commands.init import add_init_arguments, init
    from tenantcheck.commands.openapi import add_profile_commands
    from tenantcheck.reference.cli import add_serve_arguments, serve

    parser = Parser(prog="tenantcheck", description="Tenant-isolation conformance harness. Exit codes: 0 isolated, "
                    "1 findings, 2 inconclusive, 3 usage or configuration error.")
    parser.add_argument("--version", action="version", version=f"tenantcheck {tool_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # run and verify are dispatched before this parser (their arguments are pytest's); listed for --help
    commands.add_parser("run", help="run the catalog (pytest underneath; extra arguments go to pytest)")
    commands.add_parser("verify", help="after a restore: check a seed manifest (RV cases) and run the catalog "
                        "(--manifest PATH [--env NAME] [--keep]; extra arguments go to pytest)")
    seed = commands.add_parser("seed", help="before a backup: provision and seed tenants, keep them, write a manifest")
    seed.add_argument("--env", required=True, metavar="NAME",
                      help="environment name or TOML path (a target with base_url)")
    seed.add_argument("--manifest", required=True, type=Path, metavar="PATH",
                      help="where to write the manifest (no secrets)")
    seed.add_argument("--tenants", type=int, default=2, metavar="N", help="number of tenants to seed (default: 2)")
    seed.add_argument("--keys", type=Path, default=None, metavar="PATH",
                      help="where to write the tenants' keys as shell exports (default: MANIFEST.keys.env)")
    seed.set_defaults(handler=run_seed)
    cleanup = commands.add_parser("cleanup", help="remove tenants and objects that earlier runs left behind")
    cleanup.add_argument("--env", required=True, metavar="NAME", help="environment name or TOML path")
    which = cleanup.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", metavar="ID", type=run_id_argument, help="remove what this run created")
    which.add_argument("--stale", action="store_true", help="remove what every finished or crashed run left")
    cleanup.set_defaults(handler=run_cleanup)
    report = commands.add_parser("report", help="render index.html and junit.xml again from an isolation-report.json")
    report.add_argument("path", metavar="PATH.json")
    report.set_defaults(handler=render_report)
    init_parser = commands.add_parser("init", help="write a starter environment (and profile) into this repository")
    add_init_arguments(init_parser)
    init_parser.set_defaults(handler=init)
    add_profile_commands(commands)
    catalog = commands.add_parser("catalog", help="list the catalog's cases")
    catalog.set_defaults(handler=show_catalog)
    reference = commands.add_parser("reference", help="the embedded reference target")
    reference_commands = reference.add_subparsers(dest="reference_command", required=True, metavar="COMMAND")
    serve_parser = reference_commands.add_parser("serve", help="serve the reference target on 127.0.0.1")
    add_serve_arguments(serve_parser)
    serve_parser.set_defaults(handler=serve)
    return parser


def run(args: list[str], *, prog: str = RUN) -> int:
    """``pytest suites/ --env local ARGS``: the plugin does the rest and sets the exit code.

    Usage errors. pytest parses the arguments itself (plugins add options to its parser as it goes, so
    no parser of ours could pre-check them faithfully) and reports a bad one by raising ``UsageError``,
    which ``pytest.main`` catches, prints as ``usage: pytest.main() ...`` plus the error and ini/rootdir
    lines, and returns 4. So this passes pytest a plugin object (``usage_guard``) whose hook wrappers around
    ``pytest_cmdline_parse`` (the arguments) and ``pytest_cmdline_main`` (usage errors raised later, e.g.
    by a plugin's configure) turn a ``UsageError`` into ``RunUsageError`` carrying its one meaningful line
    (argparse's "error:" line). ``pytest.main`` does not catch that, so it arrives here, is printed as
    ``tenantcheck run: unrecognized arguments: --no-such-option`` and gives exit 3. Only public hooks are
    used, and the run's own output is never captured. A usage error pytest reports by itself anyway
    (``ExitCode.USAGE_ERROR``, e.g. a conftest that does not import) gives 3 too.
    """
    import pytest

    if wants_help(args):
        return show_run_help(prog)
    try:
        suites = suites_dir()
    except ConfigError as error:
        print(f"tenantcheck: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if option_value(args, "--env") is None:
        args = ["--env", "local", *args]
    # Defaults that keep pytest's machinery cheap (see benchmarks/README.md); options given win. Checks
    # print nothing, so file-descriptor capture (two dup2 and an fstat per test phase) buys nothing; and
    # verdicts come from the oracles, not from rewritten asserts, whose rewriting of every plugin package
    # (faker's hundreds of modules) costs seconds per process where bytecode is not cached.
    if not any(arg in ("-s", "--capture") or arg.startswith("--capture=") for arg in args):
        args = ["--capture=sys", *args]
    if not any(arg == "--assert" or arg.startswith("--assert=") for arg in args):
        args = ["--assert=plain", *args]
    # A failed check is one line (its findings' titles); the harness's own traceback helps nobody reading
    # a report. --tb=long (or any --tb) brings it back.
    if not any(arg == "--tb" or arg.startswith("--tb=") for arg in args):
        args = ["--tb=line", *args]
    try:
        code = pytest.main([str(suites), *args], plugins=[usage_guard()])
    except RunUsageError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_CONFIG if code == pytest.ExitCode.USAGE_ERROR else int(code)


def usage_guard() -> object:
    """A pytest plugin object that turns pytest's ``UsageError`` into a one-line ``RunUsageError``."""
    import pytest

    class UsageGuard:
        @pytest.hookimpl(wrapper=True)
        def pytest_cmdline_parse(self) -> Generator[None, Any, Any]:
            try:
                return (yield)
            except pytest.UsageError as error:
                raise RunUsageError(one_line(error)) from None

        @pytest.hookimpl(wrapper=True)
        def pytest_cmdline_main(self) -> Generator[None, Any, Any]:
            try:
                return (yield)
            except pytest.UsageError as error:
                raise RunUsageError(one_line(error)) from None

    return UsageGuard()


def one_line(error: Exception) -> str:
    """What a ``UsageError`` says, in one line: argparse's ``PROG: error: WHAT`` line gives ``WHAT`` (the usage
    line before it and the inifile/rootdir lines after it are left out); else each message's first line."""
    said = []
    for message in error.args:
        lines = [line.strip() for line in str(message).splitlines() if line.strip()]
        error_line = next((line.split(": error: ", 1)[1] for line in lines if ": error: " in line), None)
        said.append(error_line or (lines[0] if lines else ""))
    return "; ".join(part for part in said if part) or "pytest refused the arguments"


def wants_help(args: list[str]) -> bool:
    options = args[: args.index("--")] if "--" in args else args
    return "-h" in options or "--help" in options


def option_value(args: list[str], flag: str) -> str | None:
    """The value of ``FLAG VALUE`` or ``FLAG=VALUE`` in ``args`` (the last one given), else None."""
    value = None
    for index, arg in enumerate(args):
        if arg == flag and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(flag + "="):
            value = arg.split("=", 1)[1]
    return value


class HelpFormatter(argparse.HelpFormatter):
    """Wraps help text between words only, so that a flaw name (``list-unfiltered``) stays whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


RUN_USAGE = f"{RUN} [options] [pytest options] [file_or_dir ...]"
RUN_DESCRIPTION = ("Run the catalog: pytest on tenantcheck's suites with the options below; every other argument "
                   "goes to pytest (-k TC-04, -n 2, -x, ...). Exit codes: 0 isolated, 1 findings, 2 inconclusive, "
                   "3 usage or configuration error.")
VERIFY_USAGE = f"{VERIFY} --manifest PATH [--env NAME] [--keep] [options] [pytest options]"
VERIFY_DESCRIPTION = ("After a restore: check every object the seed manifest names (RV-01, RV-02, RV-04) and run "
                      "the whole catalog on the restored environment (RV-03). Without --env, the manifest's "
                      "environment is used. In token identity the seeded tenants' keys must be set "
                      "(TENANTCHECK_SEED_KEY_<LABEL>: `source` the keys file `tenantcheck seed` wrote). Exit "
                      "codes as for run.")


def show_run_help(prog: str) -> int:
    """tenantcheck's options with their defaults (``tenantcheck.config.options.OPTIONS``, what the plugin
    registers), then pytest's help."""
    import pytest

    from tenantcheck.config.options import GROUP, OPTIONS
    from tenantcheck.reference.flaws import FLAWS

    verify = prog == VERIFY
    parser = argparse.ArgumentParser(prog=prog, usage=VERIFY_USAGE if verify else RUN_USAGE, add_help=False,
                                     description=VERIFY_DESCRIPTION if verify else RUN_DESCRIPTION,
                                     formatter_class=HelpFormatter)
    group = parser.add_argument_group(f"{GROUP[1]} (tenantcheck's options)")
    group.add_argument("-h", "--help", action="store_true", help="show this help, then pytest's")
    for option in OPTIONS:
        group.add_argument(option.flag, **option.kwargs(run=True, flaws=list(FLAWS)))
    print(parser.format_help())
    print(f"pytest's options follow: {prog} passes every argument above to its pytest plugin and every other "
          "one to pytest.\n", flush=True)
    try:
        # --assert=plain: modules imported above (the reference flaws) are not for pytest to rewrite
        code = pytest.main([str(suites_dir()), "--help", "--assert=plain"], plugins=[usage_guard()])
    except (ConfigError, RunUsageError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return int(code)


def verify(args: list[str]) -> int:
    """``tenantcheck run --manifest PATH ...``: the environment is ``--env`` or the manifest's own (said on
    stderr); the plugin checks the seeded tenants' keys before anything runs."""
    from tenantcheck.restore.manifest import load_manifest

    if wants_help(args):
        return show_run_help(VERIFY)
    manifest_path = option_value(args, "--manifest")
    if not manifest_path:
        print(f"{VERIFY}: give --manifest PATH (the manifest `tenantcheck seed` wrote before the backup)",
              file=sys.stderr)
        return EXIT_CONFIG
    if option_value(args, "--env") is None:
        try:
            manifest = load_manifest(Path(manifest_path))
        except ConfigError as error:
            print(f"{VERIFY}: {error}", file=sys.stderr)
            return EXIT_CONFIG
        print(f"{VERIFY}: --env not given; using the manifest's environment {manifest.environment}", file=sys.stderr)
        args = ["--env", manifest.environment, *args]
    return run(args, prog=VERIFY)


def show_catalog(options: argparse.Namespace) -> int:
    for case in CASES:
        print(f"{case.id}  {case.name}")
        print(f"       tries:   {case.tries}")
        print(f"       decides: {case.oracles}")
    return 0


def run_seed(options: argparse.Namespace) -> int:
    from tenantcheck.restore.seed import seed

    return seed(options.env, options.manifest, tenants=options.tenants, keys_path=options.keys)


def render_report(options: argparse.Namespace) -> int:
    from tenantcheck.report.command import report_main

    return report_main(options.path)


def run_cleanup(options: argparse.Namespace) -> int:
    from tenantcheck.commands.cleanup import cleanup

    return cleanup(options.env, run_id=options.run_id, stale=options.stale)


if __name__ == "__main__":
    raise SystemExit(main())
