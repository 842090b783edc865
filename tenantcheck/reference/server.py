"""Starting the reference target: in-process on a thread (`running_reference`) or as a subprocess.

Both bind 127.0.0.1 on a free port and hand back only when the target accepts connections, so callers
never race the startup.
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
from typing import IO, Any

import uvicorn
from starlette.applications import Starlette

from tenantcheck.reference.app import create_app, runtime_of
from tenantcheck.reference.chaos import chaos_argv
from tenantcheck.reference.config import ReferenceConfig

ADMIN_TOKEN_ENV = "TENANTCHECK_REFERENCE_ADMIN_TOKEN"
FLAWS_ENV = "TENANTCHECK_REFERENCE_FLAWS"
READY_PREFIX = "READY "


class ReferenceStartError(RuntimeError):
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
def running_reference(config: ReferenceConfig | None = None) -> Iterator[RunningReference]:
    """Run the reference target in this process (uvicorn on a thread) for the duration of the block."""
    app = create_app(config or ReferenceConfig())
    runtime = runtime_of(app)
    try:
        sock = bind_socket(runtime.config.host, runtime.config.port)
    except BaseException:
        runtime.close()
        raise
    server = uvicorn_server(app, log_config=None)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="tenantcheck-reference", daemon=True
    )
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ReferenceStartError("the reference target did not start (see the log above)")
            time.sleep(0.005)
        port = sock.getsockname()[1]
        yield RunningReference(
            base_url=base_url(runtime.config.host, port),
            admin_token=runtime.admin_token,
            data_dir=runtime.data_dir,
            config=runtime.config,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        runtime.close()


class ReferenceProcess:
    """The reference target as a child process (`python -m tenantcheck.reference serve`)."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[str],
        stderr: IO[bytes],
        base_url: str,
        admin_token: str,
        data_dir: Path,
        config: ReferenceConfig,
        owned_dir: Path | None,
        reader: threading.Thread,
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.admin_token = admin_token
        self.data_dir = data_dir
        self.config = config
        self._stderr = stderr
        self._owned_dir = owned_dir
        self._reader = reader

    @classmethod
    def start(cls, config: ReferenceConfig | None = None, timeout: float = 30) -> ReferenceProcess:
        """Start the child and wait for its READY line; ReferenceStartError (with its stderr) if it fails."""
        config = (config or ReferenceConfig()).with_admin_token()
        owned_dir = (
            None if config.data_dir is not None else Path(tempfile.mkdtemp(prefix="tenantcheck-reference-"))
        )
        data_dir = config.data_dir or owned_dir
        assert data_dir is not None and config.admin_token is not None
        env = {k: v for k, v in os.environ.items() if k != FLAWS_ENV}  # the config says which flaws, exactly
        env[ADMIN_TOKEN_ENV] = config.admin_token  # never on the command line (visible in `ps`)
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child, closed in stop())
        process = subprocess.Popen(
            _serve_argv(config, data_dir),
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(
            target=_pump, args=(process.stdout, lines), daemon=True, name="tenantcheck-reference-stdout"
        )
        reader.start()
        started = cls(
            process=process,
            stderr=stderr,
            base_url="",
            admin_token=config.admin_token,
            data_dir=data_dir,
            config=config,
            owned_dir=owned_dir,
            reader=reader,
        )
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise ReferenceStartError(
                        f"the reference target did not print READY within {timeout} s{started._stderr_text()}"
                    ) from None
                if line is None:
                    process.wait()
                    raise ReferenceStartError(
                        f"the reference target exited with code {process.returncode} before it was ready"
                        f"{started._stderr_text()}"
                    )
                if line.startswith(READY_PREFIX):
                    started.base_url = line[len(READY_PREFIX) :].strip()
                    return started
        except BaseException:
            started.stop()
            raise

    def _stderr_text(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace").strip()
        return f":\n{text}" if text else ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL after timeout; closes pipes and removes a data directory it made."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)

    @property
    def returncode(self) -> int | None:
        """The child's exit code once it has stopped."""
        return self.process.poll()

    def __enter__(self) -> ReferenceProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


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
