"""The reliability tests' tools: reference targets in this process with a tap, and whole runs.

Every target here is wrapped in a ``Tap``: it remembers every API key the target hands out (so artifacts
can be scanned for them), can hold or fail chosen requests (to interrupt a run at a known moment), and
tells when they arrive. Every run goes through ``run_tenantcheck``, which scans the run's output and every
file it wrote for the secrets in play: a leaked token fails whichever test made the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantcheck.reference import ReferenceConfig, create_app
from tenantcheck.reference.app import runtime_of
from tenantcheck.reference.chaos import close_connection
from tenantcheck.reference.server import base_url, bind_socket, uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
ADMIN_VAR = "TC_REL_ADMIN_TOKEN"

Before = Callable[[str, str], Awaitable[str | int | float | None]]
"""Called with (method, path) before a request reaches the target (after ``Tap.answer``, which may answer
it itself with any response): ``"drop"`` closes the connection, a
status (``429``) answers it with that status and ``Retry-After: 0``, a float lets the target serve it but
holds the answer that many seconds (the work is done, the client does not know yet), ``None`` lets it
through."""


class Tap:
    """ASGI wrapper around a reference target: records issued API keys, lets a test hold or drop requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.keys: set[str] = set()
        self.before: Before | None = None
        self.answer: Callable[[str, str], Response | None] | None = None
        self.answer_held: threading.Event | None = None  # set when a held answer is ready (the work is done)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        replaced = self.answer(method, path) if self.answer is not None else None
        if replaced is not None:
            await replaced(scope, receive, send)
            return
        action = await self.before(method, path) if self.before is not None else None
        if action == "drop":
            await close_connection(send)
            return
        if isinstance(action, float):
            await self.app(scope, receive, self.late(send, action))
            return
        if isinstance(action, int):
            await JSONResponse({"error": {"code": "staged", "message": f"staged {action}"}}, status_code=action,
                               headers={"Retry-After": "0"})(scope, receive, send)
            return
        if (method, path) != ("POST", "/admin/tenants"):
            await self.app(scope, receive, send)
            return
        body = bytearray()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    key = json.loads(body or b"{}").get("api_key") if body.startswith(b"{") else None
                    if isinstance(key, str):
                        self.keys.add(key)
            await send(message)

        await self.app(scope, receive, keep)

    def late(self, send: Send, seconds: float) -> Send:
        async def held(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.answer_held is not None:
                    self.answer_held.set()
                await asyncio.sleep(seconds)
            await send(message)

        return held


@dataclass
class Target:
    """A reference target on 127.0.0.1 in this process."""

    base_url: str
    admin_token: str
    data_dir: Path
    tap: Tap

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    @property
    def secrets(self) -> dict[str, str]:
        """Every secret this target knows: the admin token and each API key it issued."""
        found = {"admin token": self.admin_token}
        found.update({f"API key {i}": key for i, key in enumerate(sorted(self.tap.keys))})
        return found

    def tenants(self, prefix: str = "tc-") -> list[str]:
        """Tenant ids the admin API lists (those a run makes start with ``tc-``)."""
        reply = httpx.get(f"{self.base_url}/admin/tenants", headers=self.admin, timeout=10)
        reply.raise_for_status()
        return sorted(t["tenant_id"] for t in reply.json()["tenants"] if t["tenant_id"].startswith(prefix))

    def chaos(self) -> dict[str, Any]:
        """What chaos mode injected so far (``GET /admin/chaos``)."""
        reply = httpx.get(f"{self.base_url}/admin/chaos", headers=self.admin, timeout=10)
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result

    def create_tenant(self, tenant_id: str) -> str:
        """A pre-provisioned tenant (for static environments); returns its API key."""
        reply = httpx.post(f"{self.base_url}/admin/tenants", headers=self.admin, timeout=10,
                           json={"tenant_id": tenant_id, "name": tenant_id})
        assert reply.status_code == 201, reply.text
        key: str = reply.json()["api_key"]
        return key

    def access_log(self, tenant_id: str) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.base_url}/admin/access-logs", params={"tenant_id": tenant_id},
                          headers=self.admin, timeout=10)
        reply.raise_for_status()
        entries: list[dict[str, Any]] = reply.json()["entries"]
        return entries


@contextmanager
def serve(config: ReferenceConfig | None = None) -> Iterator[Target]:
    """A reference target behind a Tap, on a free loopback port, for the duration of the block."""
    app = create_app(config or ReferenceConfig())
    runtime = runtime_of(app)
    tap = Tap(app)
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn_server(tap, log_config=None)  # type: ignore[arg-type]  # any ASGI app will do
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="reliability-target")
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the reference target did not start"
            time.sleep(0.005)
        yield Target(base_url=base_url("127.0.0.1", sock.getsockname()[1]), admin_token=runtime.admin_token,
                     data_dir=runtime.data_dir, tap=tap)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        runtime.close()


ENV_TEMPLATE = """\
description = "reliability test target"
profile = "pom-bolt"

[target]
base_url = "{url}"
strict = true

[provisioning]
method = "admin-api"
admin_token = "${{{admin_var}}}"

[safety]
requests_per_second = 1000
max_concurrency = 8
timeout = {timeout}
retries = {retries}
"""


def write_env(directory: Path, url: str, *, name: str = "target", timeout: float = 5, retries: int = 2,
              text: str | None = None) -> Path:
    """An environment file for a running target (admin-api provisioning, admin token from ADMIN_VAR)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text if text is not None else
                    ENV_TEMPLATE.format(url=url, admin_var=ADMIN_VAR, timeout=timeout, retries=retries))
    return path


@dataclass
class Run:
    """One finished ``tenantcheck run``: exit code, terminal output, JSON report, where it ran."""

    code: int
    output: str
    document: dict[str, Any] | None
    cwd: Path
    duration: float
    args: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("findings", []))

    @property
    def fingerprints(self) -> set[str]:
        return {finding["fingerprint"] for finding in self.findings}

    @property
    def checks(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("checks", []))

    def verdicts(self, verdict: str) -> list[dict[str, Any]]:
        return [check for check in self.checks if check["verdict"] == verdict]

    @property
    def verdict(self) -> str | None:
        verdict: str | None = (self.document or {}).get("verdict", {}).get("verdict")
        return verdict

    @property
    def stats(self) -> dict[str, int]:
        return dict((self.document or {}).get("stats", {}))

    def records(self) -> list[Path]:
        """Run records the run left in its working directory (``.tenantcheck/runs``)."""
        return sorted((self.cwd / ".tenantcheck" / "runs").glob("*.json"))

    def describe(self) -> str:
        """For assertion messages: what ran and how it ended."""
        tail = "\n".join(self.output.splitlines()[-40:])
        return f"tenantcheck run {' '.join(self.args)} -> exit {self.code} in {self.duration:.1f}s\n{tail}"


def artifact_files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


def assert_no_secret(places: dict[str, str], secrets: dict[str, str]) -> None:
    """No secret appears in any of the named texts."""
    for where, text in places.items():
        for what, secret in secrets.items():
            assert secret not in text, f"{what} leaked into {where}"


def scan_artifacts(cwd: Path, output: str, secrets: dict[str, str]) -> int:
    """Scan the output and every file under ``cwd`` for the secrets; returns how many files were read."""
    files = artifact_files(cwd)
    places = {"the terminal output": output}
    places.update({str(path): path.read_bytes().decode("utf-8", "replace") for path in files})
    assert_no_secret(places, secrets)
    return len(files)


def run_tenantcheck(cwd: Path, *args: str, secrets: dict[str, str] | None = None,
                    env: dict[str, str] | None = None, timeout: float = 240) -> Run:
    """``tenantcheck run ARGS`` in a subprocess with ``cwd`` as working directory and report folder.

    Afterwards every file under ``cwd`` and the output are scanned for ``secrets`` (zero hits, or the
    calling test fails) and the output for a traceback.
    """
    cwd.mkdir(parents=True, exist_ok=True)
    run_id = os.urandom(4).hex()
    command = [sys.executable, "-m", "tenantcheck", "run", "-q", "--report-dir", str(cwd / "reports"),
               "--run-id", run_id, *args]
    variables = {**os.environ, **(env or {})}
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=variables)
    path = cwd / "reports" / run_id / "isolation-report.json"
    document = json.loads(path.read_text()) if path.exists() else None
    run = Run(completed.returncode, completed.stdout + completed.stderr, document, cwd,
              time.monotonic() - started, tuple(args))
    scan_artifacts(cwd, run.output, secrets or {})
    assert "Traceback (most recent call last)" not in run.output, run.describe()
    return run


def run_against(target: Target, cwd: Path, *args: str, timeout: float = 5, retries: int = 2,
                env_text: str | None = None) -> Run:
    """A run against ``target`` through a written environment file, with its secrets checked."""
    path = write_env(cwd, target.base_url, timeout=timeout, retries=retries, text=env_text)
    run = run_tenantcheck(cwd / "run", "--env", str(path), *args, env={ADMIN_VAR: target.admin_token},
                          secrets=target.secrets)
    return run


def hold(target: Target, method: str, prefix: str, seconds: float, *, answer: bool = False) -> threading.Event:
    """Hold every request ``METHOD prefix...`` for ``seconds`` before the target sees it (``answer``: serve it
    at once and hold its answer instead); the returned event is set when the first one arrives (``answer``:
    when its answer is ready, so the target has done the work), for a test to interrupt the run then."""
    arrived = threading.Event()
    target.tap.answer_held = arrived if answer else None

    async def before(request_method: str, path: str) -> float | None:
        if request_method == method and path.startswith(prefix):
            if answer:
                return float(seconds)
            arrived.set()
            await asyncio.sleep(seconds)
        return None

    target.tap.before = before
    return arrived
