"""`python -m tenantcheck.ledger serve`: the Ledger as a standalone server on 127.0.0.1.

Prints `READY <url>` on stdout once it accepts connections, stops cleanly on SIGTERM/SIGINT (exit 0,
removing a temporary data directory it made). Exit code 3 for a usage or configuration error. The signal
handling and the usage-error parser are the reference target's.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from contextlib import ExitStack, closing
from pathlib import Path

import uvicorn

from tenantcheck.ledger.app import create_app, ledger_of
from tenantcheck.ledger.config import DEFAULT_TOKEN_TTL, LedgerConfig
from tenantcheck.ledger.flaws import FLAWS, parse_flaws
from tenantcheck.ledger.server import FLAWS_ENV
from tenantcheck.reference.cli import USAGE_ERROR, UsageErrorParser, run_until_signalled
from tenantcheck.reference.server import base_url, bind_socket, uvicorn_server


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `serve`."""
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 for a free one (default 0)")
    parser.add_argument(
        "--flaw", action="extend", nargs="+", default=[], metavar="NAME",
        help=f"switch on an isolation flaw; repeatable or comma-separated (also ${FLAWS_ENV}); "
        f"one of: {', '.join(FLAWS)}",
    )
    parser.add_argument("--token-ttl", type=float, default=DEFAULT_TOKEN_TTL, metavar="S",
                        help=f"seconds a session token lives (default {DEFAULT_TOKEN_TTL:g})")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="PATH",
                        help="where ledger.sqlite lives (default: a temporary directory, removed on exit)")


def _fail(message: str) -> int:
    print(f"tenantcheck ledger serve: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def serve(args: argparse.Namespace) -> int:
    """Run the Ledger until SIGTERM/SIGINT."""
    try:
        config = LedgerConfig(
            host=args.host,
            port=args.port,
            flaws=parse_flaws([*args.flaw, os.environ.get(FLAWS_ENV, "")]),
            token_ttl=args.token_ttl,
            data_dir=args.data_dir,
        )
    except ValueError as exc:  # UnknownFlawError included
        return _fail(str(exc))
    with ExitStack() as cleanup:  # unwinds in reverse: the Ledger (and its temporary dir), then the socket
        try:
            sock = cleanup.enter_context(closing(bind_socket(config.host, config.port)))
        except OSError as exc:
            return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
        try:
            app = create_app(config)
        except (OSError, sqlite3.Error) as exc:
            return _fail(f"cannot use data dir {config.data_dir}: {exc}")
        cleanup.callback(ledger_of(app).close)
        url = base_url(config.host, sock.getsockname()[1])
        run_until_signalled(uvicorn_server(app, log_config=uvicorn.config.LOGGING_CONFIG), sock, url)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m tenantcheck.ledger serve [options]`."""
    parser = UsageErrorParser(prog="python -m tenantcheck.ledger", description="The Ledger reference app.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageErrorParser)
    add_serve_arguments(commands.add_parser("serve", help="run the Ledger"))
    return serve(parser.parse_args(argv))
