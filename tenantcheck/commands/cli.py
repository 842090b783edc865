"""The ``tenantcheck`` command: run, cleanup, catalog, reference serve.

``run`` is pytest underneath: every argument it does not know goes to pytest (``-n auto``, ``-k TC-04``).
Exit codes: 0 isolated, 1 findings, 2 inconclusive, 3 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tenantcheck.bundled import suites_dir
from tenantcheck.catalog import CASES
from tenantcheck.errors import ConfigError
from tenantcheck.verdict import EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:  # before anything imports a pytest plugin's module (pytest must do that)
        return run(args[1:])
    if args[:1] == ["verify"]:
        if not any(arg == "--manifest" or arg.startswith("--manifest=") for arg in args):
            print("tenantcheck verify: give --manifest PATH.json (written by `tenantcheck seed`) and --env",
                  file=sys.stderr)
            return EXIT_CONFIG
        return run(args[1:])
    options = build_parser().parse_args(args)
    try:
        code: int = options.handler(options)
    except ConfigError as error:
        print(f"tenantcheck: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return code


def build_parser() -> argparse.ArgumentParser:
    from tenantcheck.commands.init import add_init_arguments, init
    from tenantcheck.reference.cli import add_serve_arguments, serve

    parser = argparse.ArgumentParser(prog="tenantcheck", description="Tenant-isolation conformance harness.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the catalog (pytest underneath; extra arguments go to pytest)")
    commands.add_parser("verify", help="after a restore: check a seed manifest (RV cases) and run the catalog "
                        "(--env ENV --manifest PATH.json [--keep]; extra arguments go to pytest)")
    seed = commands.add_parser("seed", help="before a backup: provision and seed tenants, keep them, write a manifest")
    seed.add_argument("--env", required=True, help="environment name or TOML path (a target with base_url)")
    seed.add_argument("--manifest", required=True, type=Path, help="where to write the manifest (no secrets)")
    seed.add_argument("--tenants", type=int, default=2, help="number of tenants to seed (default 2)")
    seed.add_argument("--keys", type=Path, default=None,
                      help="where to write the tenants' keys as shell exports (default: MANIFEST.keys.env)")
    seed.set_defaults(handler=run_seed)
    cleanup = commands.add_parser("cleanup", help="remove tenants and objects that earlier runs left behind")
    cleanup.add_argument("--env", required=True, help="environment name or TOML path")
    which = cleanup.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="remove what this run created")
    which.add_argument("--stale", action="store_true", help="remove what every finished or crashed run left")
    cleanup.set_defaults(handler=run_cleanup)
    report = commands.add_parser("report", help="render index.html and junit.xml again from an isolation-report.json")
    report.add_argument("path", metavar="PATH.json")
    report.set_defaults(handler=render_report)
    init_parser = commands.add_parser("init", help="write a starter environment (and profile) into this repository")
    add_init_arguments(init_parser)
    init_parser.set_defaults(handler=init)
    catalog = commands.add_parser("catalog", help="list the catalog's cases")
    catalog.set_defaults(handler=show_catalog)
    reference = commands.add_parser("reference", help="the embedded reference target")
    reference_commands = reference.add_subparsers(dest="reference_command", required=True, metavar="COMMAND")
    serve_parser = reference_commands.add_parser("serve", help="serve the reference target on 127.0.0.1")
    add_serve_arguments(serve_parser)
    serve_parser.set_defaults(handler=serve)
    return parser


def run(args: list[str]) -> int:
    """``pytest suites/ --env local ARGS``: the plugin does the rest and sets the exit code."""
    import pytest

    try:
        suites = suites_dir()
    except ConfigError as error:
        print(f"tenantcheck: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if not any(arg == "--env" or arg.startswith("--env=") for arg in args):
        args = ["--env", "local", *args]
    # Defaults that keep pytest's machinery cheap (see benchmarks/README.md); options given win. Checks
    # print nothing, so file-descriptor capture (two dup2 and an fstat per test phase) buys nothing; and
    # verdicts come from the oracles, not from rewritten asserts, whose rewriting of every plugin package
    # (faker's hundreds of modules) costs seconds per process where bytecode is not cached.
    if not any(arg in ("-s", "--capture") or arg.startswith("--capture=") for arg in args):
        args = ["--capture=sys", *args]
    if not any(arg == "--assert" or arg.startswith("--assert=") for arg in args):
        args = ["--assert=plain", *args]
    return int(pytest.main([str(suites), *args]))


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
