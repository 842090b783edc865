"""The ``wrangler`` backend: the project's own wrangler reads D1 and KV, local (``wrangler dev``'s state)
or remote (the deployed databases and namespaces, with wrangler's login or ``CLOUDFLARE_API_TOKEN``).

This is what a Workers team already uses by hand, so it needs no ids: ``database`` is the D1 database name
of wrangler.toml and the namespaces are its KV bindings (a 32-hex-digit value is taken as a namespace id).
wrangler cannot bind parameters, so values are inlined as quoted literals after the read-only guard
(``readonly.inline``); it runs without a shell, one subprocess per read (about two seconds each).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tenantcheck.config.environment import Inspector
from tenantcheck.inspectors.base import CACHE, FILES, InspectorError, Row, StorageInspector
from tenantcheck.inspectors.readonly import inline

NAMESPACE_ID = re.compile(r"^[0-9a-f]{32}$")
TIMEOUT = 120.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TRANSIENT = re.compile(r"internal error|SQLITE_BUSY|database is locked", re.IGNORECASE)
"""Local reads share miniflare's SQLite files with a running ``wrangler dev``: a read that meets its write
lock fails like this, and is tried again."""
ATTEMPTS = 3


class WranglerInspector(StorageInspector):
    """Reads through ``wrangler d1 execute --json`` and ``wrangler kv key list``."""

    kind = "wrangler"

    def __init__(self, *, command: Sequence[str], project_dir: Path, database: str, namespaces: dict[str, str],
                 remote: bool = False, wrangler_env: str | None = None, persist_to: str | None = None,
                 extra_env: dict[str, str] | None = None, timeout: float = TIMEOUT) -> None:
        self.command = list(command)
        self.project_dir = project_dir
        self.database = database
        self.namespaces = namespaces
        self.remote = remote
        self.where = ["--remote"] if remote else ["--local"]
        if wrangler_env:
            self.where += ["--env", wrangler_env]
        if persist_to and not remote:
            self.where += ["--persist-to", persist_to]
        # no telemetry, and miniflare must not fetch Request.cf from Cloudflare for a local read
        self.env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CLOUDFLARE_CF_FETCH_ENABLED": "false",
                    "NO_COLOR": "1", "CI": "true", **(extra_env or {})}
        self.timeout = timeout
        if not (project_dir / "wrangler.toml").is_file() and not any(project_dir.glob("wrangler.json*")):
            raise InspectorError(f"no wrangler.toml in {project_dir}: set [inspector] project_dir")

    def describe(self) -> str:
        return f"wrangler ({'remote' if self.remote else 'local'} D1 {self.database}, {self.project_dir})"

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        statement = inline(sql, params)
        answer = self._run(["d1", "execute", self.database, "--json", "--command", statement, *self.where],
                           f"D1 query on {self.database}")
        if not isinstance(answer, list) or not answer or not isinstance(answer[-1], dict):
            raise InspectorError(f"wrangler d1 execute: unexpected output {str(answer)[:200]}")
        rows = answer[-1].get("results")
        if answer[-1].get("success") is False or not isinstance(rows, list):
            raise InspectorError(f"wrangler d1 execute failed: {str(answer[-1])[:300]}")
        return [dict(row) for row in rows]

    def kv_keys(self, namespace: str, prefix: str = "") -> list[str]:
        target = self.namespaces.get(namespace, namespace)
        selector = ["--namespace-id", target] if NAMESPACE_ID.match(target) else ["--binding", target]
        args = ["kv", "key", "list", *selector, *self.where, *(["--prefix", prefix] if prefix else [])]
        answer = self._run(args, f"KV key listing of {target}")
        if not isinstance(answer, list):
            raise InspectorError(f"wrangler kv key list: unexpected output {str(answer)[:200]}")
        return [str(entry["name"]) for entry in answer if isinstance(entry, dict) and "name" in entry]

    def _run(self, args: list[str], what: str) -> Any:
        """Run wrangler and parse the JSON it prints; a failure is an ``InspectorError`` with its message."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._run_once(args, what)
            except InspectorError as error:
                if attempt == ATTEMPTS or self.remote or not TRANSIENT.search(str(error)):
                    raise
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _run_once(self, args: list[str], what: str) -> Any:
        try:
            done = subprocess.run([*self.command, *args], cwd=self.project_dir, env=self.env, capture_output=True,
                                  text=True, timeout=self.timeout, stdin=subprocess.DEVNULL, check=False)
        except FileNotFoundError:
            raise InspectorError(f"{what}: cannot run {self.command[0]!r} (is Node.js installed, and npm ci done "
                                 f"in {self.project_dir}?)") from None
        except subprocess.TimeoutExpired:
            raise InspectorError(f"{what}: wrangler did not answer within {self.timeout:g}s") from None
        answer = json_in(done.stdout)
        if done.returncode != 0 or answer is None:
            raise InspectorError(f"{what}: wrangler exited {done.returncode}: {error_text(answer, done)}")
        if isinstance(answer, dict) and "error" in answer:
            raise InspectorError(f"{what}: {error_text(answer, done)}")
        return answer


def json_in(output: str) -> Any:
    """The JSON document in wrangler's output (it may print a banner or notes before it), or None."""
    text = ANSI.sub("", output)
    for index, char in enumerate(text):
        if char in "[{" and (index == 0 or text[index - 1] == "\n"):
            try:
                return json.loads(text[index:])
            except ValueError:
                continue
    return None


def error_text(answer: Any, done: subprocess.CompletedProcess[str]) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return str(answer["error"].get("text") or answer["error"])[:500]
    lines = [line.strip() for line in ANSI.sub("", done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
    useful = [line for line in lines if "ERROR" in line or "rror" in line] or lines
    return " ".join(useful[-3:])[:500] or "no output"


def wrangler_command(project_dir: Path, configured: str | None) -> list[str]:
    """The wrangler to run: the configured one, the project's ``node_modules/.bin/wrangler``, one on PATH."""
    if configured:
        return [configured]
    local = project_dir / "node_modules" / ".bin" / "wrangler"
    if local.exists():
        return [str(local.resolve())]
    found = shutil.which("wrangler")
    if found:
        return [found]
    raise InspectorError(f"wrangler not found: run `npm ci` in {project_dir} (Node.js 20+), or set "
                         "[inspector] wrangler to its path")


def wrangler_inspector(section: Inspector) -> WranglerInspector:
    """The ``wrangler`` inspector of an ``[inspector]`` section."""
    project_dir = Path(section.project_dir or ".").resolve()
    if not (project_dir / "wrangler.toml").is_file() and not any(project_dir.glob("wrangler.json*")):
        raise InspectorError(f"no wrangler.toml in {project_dir}: set [inspector] project_dir")
    if section.database is None:
        raise InspectorError('kind = "wrangler" needs database (the D1 database name of wrangler.toml)')
    extra = {}
    if section.api_token is not None:
        extra["CLOUDFLARE_API_TOKEN"] = section.api_token.get()
    if section.account_id is not None:
        extra["CLOUDFLARE_ACCOUNT_ID"] = section.account_id.get()
    return WranglerInspector(
        command=wrangler_command(project_dir, section.wrangler), project_dir=project_dir, database=section.database,
        namespaces={FILES: section.files_namespace or FILES, CACHE: section.cache_namespace or CACHE},
        remote=section.remote, wrangler_env=section.wrangler_env, extra_env=extra,
        persist_to=str(Path(section.persist_to).resolve()) if section.persist_to else None)
