"""`serve`: the reference target as a standalone server (`python -m tenantcheck.reference serve`).

`add_serve_arguments` and `serve` are also what `tenantcheck reference serve` calls. Exit codes: 0 after a
clean stop (SIGTERM/SIGINT), 3 for a usage or configuration error (message, no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn

from tenantcheck.reference.app import create_app, runtime_of
from tenantcheck.reference.chaos import KINDS, parse_chaos
from tenantcheck.reference.config import ReferenceConfig
from tenantcheck.reference.flaws import FLAWS, parse_flaws
from tenantcheck.reference.server import (
    ADMIN_TOKEN_ENV,
    FLAWS_ENV,
    READY_PREFIX,
    base_url,
    bind_socket,
    uvicorn_server,
)

USAGE_ERROR = 3


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `serve`."""
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 for a free one (default 0)")
    parser.add_argument(
        "--auth",
        choices=["token", "header"],
        default="token",
        help="identity: bearer API keys (token, default) or self-asserted X-Tenant-ID (header)",
    )
    strictness = parser.add_mutually_exclusive_group()
    strictness.add_argument(
        "--strict",
        dest="strict",
        action="store_true",
        default=True,
        help="refuse requests without identity with 401 (default)",
    )
    strictness.add_argument(
        "--lenient",
        dest="strict",
        action="store_false",
        help="serve requests without identity as the default tenant",
    )
    parser.add_argument(
        "--default-tenant",
        default="default",
        metavar="ID",
        help="tenant of requests without identity in lenient mode (default 'default')",
    )
    parser.add_argument(
        "--admin-token",
        default=None,
        metavar="T",
        help=f"admin bearer token (else ${ADMIN_TOKEN_ENV}, else generated and printed)",
    )
    parser.add_argument(
        "--flaw",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help=f"switch on an isolation flaw; repeatable or comma-separated (also ${FLAWS_ENV}); "
        f"one of: {', '.join(FLAWS)}",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where d1.sqlite, kv.sqlite and backups live (default: a temporary directory)",
    )
    parser.add_argument("--latency-ms", type=int, default=0, metavar="N", help="delay added to every request")
    parser.add_argument(
        "--shape",
        choices=["contract", "bare"],
        default="contract",
        help="'bare': lists as bare arrays and cross-tenant denials as 404",
    )
    parser.add_argument(
        "--chaos",
        default=None,
        metavar="RATE[:KINDS]",
        help="answer a share RATE (0-1] of the requests with failures instead of serving them; KINDS is a "
        f"comma-separated choice of {', '.join(KINDS)} (default: all). Admin endpoints and /api/health "
        "are exempt",
    )
    parser.add_argument("--chaos-seed", type=int, default=None, metavar="N",
                        help="seed of the chaos decisions, for reproducible runs")
    parser.add_argument("--chaos-hang", type=float, default=15.0, metavar="SECONDS",
                        help="how long a 'timeout' keeps the client waiting before a 504 (default 15, max 120)")
    parser.add_argument("--chaos-only", default=None, metavar="REGEX",
                        help="chaos only for requests whose 'METHOD /path' matches REGEX (e.g. '^PUT ')")


def _fail(message: str) -> int:
    print(f"tenantcheck reference serve: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def serve(args: argparse.Namespace) -> int:
    """Run the reference target until SIGTERM/SIGINT; prints `READY <url>` on stdout once it accepts."""
    try:
        flaws = parse_flaws([*args.flaw, os.environ.get(FLAWS_ENV, "")])
        admin_token = args.admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None
        chaos = None
        if args.chaos is not None:
            chaos = parse_chaos(args.chaos, seed=args.chaos_seed, hang_seconds=args.chaos_hang, only=args.chaos_only)
        elif args.chaos_seed is not None or args.chaos_only is not None:
            return _fail("--chaos-seed and --chaos-only need --chaos RATE[:KINDS]")
        config = ReferenceConfig(
            host=args.host,
            port=args.port,
            auth=args.auth,
            strict=args.strict,
            default_tenant=args.default_tenant,
            admin_token=admin_token,
            flaws=flaws,
            data_dir=args.data_dir,
            latency_ms=args.latency_ms,
            shape=args.shape,
            chaos=chaos,
        )
    except ValueError as exc:  # UnknownFlawError and ChaosError included
        return _fail(str(exc))
    config = config.with_admin_token()
    if admin_token is None:
        print(f"admin token: {config.admin_token}", file=sys.stderr, flush=True)
    if config.chaos is not None:
        print(f"chaos: {config.chaos.describe()} (admin endpoints and /api/health exempt)", file=sys.stderr,
              flush=True)
    try:
        sock = bind_socket(config.host, config.port)
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
    owned_dir = None
    if config.data_dir is None:
        # Made here rather than by the app, so it is removed even if startup fails halfway.
        owned_dir = Path(tempfile.mkdtemp(prefix="tenantcheck-reference-"))
        config = dataclasses.replace(config, data_dir=owned_dir)
    try:
        try:
            app = create_app(config)
        except (OSError, sqlite3.Error) as exc:
            return _fail(f"cannot use data dir {config.data_dir}: {exc}")
        try:
            server = uvicorn_server(app, log_config=uvicorn.config.LOGGING_CONFIG)
            url = base_url(config.host, sock.getsockname()[1])
            run_until_signalled(server, sock, url)
        finally:
            runtime_of(app).close()
    finally:
        sock.close()
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)
    return 0


def run_until_signalled(server: uvicorn.Server, sock: socket.socket, url: str) -> None:
    """Serve on ``sock`` until SIGTERM or SIGINT (the reference and Ledger CLIs), then stop cleanly."""
    def stop(signum: int, frame: FrameType | None) -> None:
        # Ours before and after uvicorn's own handlers; uvicorn re-raises the signal it caught on exit,
        # which lands here and ends the process cleanly instead of killing it.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        asyncio.run(_serve_and_announce(server, sock, url))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _serve_and_announce(server: uvicorn.Server, sock: socket.socket, url: str) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(f"{READY_PREFIX}{url}", flush=True)
    await task


class UsageErrorParser(argparse.ArgumentParser):
    """Usage errors exit 3, the harness's code for usage and configuration errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m tenantcheck.reference serve [options]`."""
    parser = UsageErrorParser(prog="python -m tenantcheck.reference", description="The tenantcheck reference target.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageErrorParser)
    add_serve_arguments(commands.add_parser("serve", help="run the reference target"))
    args = parser.parse_args(argv)
    return serve(args)
