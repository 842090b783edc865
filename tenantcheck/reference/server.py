"""Starting a target app: in-process on a thread (`serving_in_thread`) or as a subprocess (`TargetProcess`).

Both bind 127.0.0.1 on a free port and hand back only when the target accepts connections, so callers
never race the startup. `running_reference` and `ReferenceProcess` are the reference target's use of them;
the second reference app (`tenantcheck.ledger`) uses the same launchers.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Self

import uvicorn
from starlette.applications import Starlette

from tenantcheck.reference.app import create_app, runtime_of
from tenantcheck.reference.chaos import chaos_argv
from tenantcheck.reference.config import ReferenceConfig

ADMIN_TOKEN_ENV = "TENANTCHECK_REFERENCE_ADMIN_TOKEN"
FLAWS_ENV = "TENANTCHECK_REFERENCE_FLAWS"
READY_PREFIX = "READY "


class TargetStartError(RuntimeError):
    """A target did not come up; the message carries what it said on stderr."""


class ReferenceStartError(TargetStartError):
    """The reference target did not come up; the message carries what it said on stderr."""


@dataclass(frozen=True, kw_only=True)
class RunningReference:
    """A reference target that accepts connections."""

    base_url: str
    admin_token: str
    data_dir: Path
    config: ReferenceConfig


def base_url(host: str, port: int) -> str:
    """http://host:port, with brackets for an IPv6 host."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0: a free one), bound before uvicorn starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it small responses wait ~40 ms for delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def uvicorn_server(app: Starlette, *, log_config: dict[str, Any] | None) -> uvicorn.Server:
    """A uvicorn server for the app: plain h11, no websockets, no lifespan (the Runtime has none)."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        ws="none",
        http="h11",
        log_config=log_config,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


@contextmanager
def serving_in_thread(
    app: Starlette,
    host: str,
    port: int,
    *,
    name: str = "tenantcheck-reference",
    error: type[TargetStartError] = ReferenceStartError,
    what: str = "the reference target",
) -> Iterator[str]:
    """Serve an app on host:port (uvicorn on a thread named `name`) for the block; yields its base URL.

    The block starts once the server accepts connections; on exit the server thread is joined and the socket
    closed. A server that does not start raises `error`. The app's own state is the caller's to close.
    """
    sock = bind_socket(host, port)
    server = uvicorn_server(app, log_config=None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise error(f"{what} did not start (see the log above)")
            time.sleep(0.005)
        yield base_url(host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def running_reference(config: ReferenceConfig | None = None) -> Iterator[RunningReference]:
    """Run the reference target in this process (uvicorn on a thread) for the duration of the block."""
    app = create_app(config or ReferenceConfig())
    runtime = runtime_of(app)
    try:
        with serving_in_thread(app, runtime.config.host, runtime.config.port) as url:
            yield RunningReference(
                base_url=url,
                admin_token=runtime.admin_token,
                data_dir=runtime.data_dir,
                config=runtime.config,
            )
    finally:
        runtime.close()


class TargetProcess:
    """A target app as a child process that prints `READY <url>` on stdout once it accepts connections.

    Subclasses say what they start (`what`, `start_error`) and build the command line; `launch` starts the
    child and waits for READY, `stop` ends it. Without a data directory of its own the child is given a
    temporary one (made with `dir_prefix`), removed when it stops.
    """

    what: ClassVar[str] = "the target"
    start_error: ClassVar[type[TargetStartError]] = TargetStartError
    dir_prefix: ClassVar[str] = "tenantcheck-target-"

    def __init__(self, *, data_dir: Path | None) -> None:
        self.data_dir = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix=self.dir_prefix))
        self._owned_dir = None if data_dir is not None else self.data_dir
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[str]:
        """The child (once launched)."""
        assert self._process is not None, "the child was not launched"
        return self._process

    def launch(self, argv: list[str], env: dict[str, str], timeout: float) -> Self:
        """Start the child and wait for its READY line; `start_error` (with its stderr) if it fails, after
        stopping it."""
        try:
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child, closed in stop())
            self._process = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL, env=env, text=True
            )
            lines: queue.Queue[str | None] = queue.Queue()
            self._reader = threading.Thread(
                target=_pump, args=(self._process.stdout, lines), daemon=True, name="tenantcheck-target-stdout"
            )
            self._reader.start()
            self.base_url = self._ready_url(lines, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _ready_url(self, lines: queue.Queue[str | None], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self.start_error(
                    f"{self.what} did not print READY within {timeout} s{self._stderr_text()}"
                ) from None
            if line is None:
                self.process.wait()
                raise self.start_error(
                    f"{self.what} exited with code {self.process.returncode} before it was ready"
                    f"{self._stderr_text()}"
                )
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip()

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace").strip()
        return f":\n{text}" if text else ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL after timeout; closes pipes and removes a data directory it made."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=timeout)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)

    @property
    def returncode(self) -> int | None:
        """The child's exit code once it has stopped."""
        return self.process.poll()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ReferenceProcess(TargetProcess):
    """The reference target as a child process (`python -m tenantcheck.reference serve`)."""

    what = "the reference target"
    start_error = ReferenceStartError
    dir_prefix = "tenantcheck-reference-"

    def __init__(self, config: ReferenceConfig) -> None:
        super().__init__(data_dir=config.data_dir)
        assert config.admin_token is not None
        self.config = config
        self.admin_token: str = config.admin_token

    @classmethod
    def start(cls, config: ReferenceConfig | None = None, timeout: float = 30) -> ReferenceProcess:
        """Start the child and wait for its READY line; ReferenceStartError (with its stderr) if it fails."""
        started = cls((config or ReferenceConfig()).with_admin_token())
        env = {k: v for k, v in os.environ.items() if k != FLAWS_ENV}  # the config says which flaws, exactly
        env[ADMIN_TOKEN_ENV] = started.admin_token  # never on the command line (visible in `ps`)
        return started.launch(_serve_argv(started.config, started.data_dir), env, timeout)


def _serve_argv(config: ReferenceConfig, data_dir: Path) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "tenantcheck.reference",
        "serve",
        "--host",
        config.host,
        "--port",
        str(config.port),
        "--auth",
        config.auth,
        "--strict" if config.strict else "--lenient",
        "--default-tenant",
        config.default_tenant,
        "--data-dir",
        str(data_dir),
        "--latency-ms",
        str(config.latency_ms),
        "--shape",
        config.shape,
    ]
    for flaw in sorted(config.flaws):
        argv += ["--flaw", flaw]
    return argv + chaos_argv(config.chaos)


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    # Drains the child's stdout for its whole life (a full pipe would block it), passing lines on.
    if stream is not None:
        for line in stream:
            lines.put(line)
    lines.put(None)
