"""A target that answers 200 with everything to everyone: every request is served, every answer holds
every object ever sent to it (also to anonymous callers), and nothing is ever checked or deleted.

The evidence test runs the catalog against it: no check may pass there.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantcheck.reference.server import base_url, bind_socket, uvicorn_server

LISTS = ("projects", "deployments", "files", "results", "entries", "tenants")


def leaky_app() -> Starlette:
    stored: list[dict[str, Any]] = []
    ids = itertools.count(1)

    async def everything(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        identifier = request.path_params["path"].rsplit("/", 1)[-1]
        if request.method in ("POST", "PUT"):
            identifier = f"obj{next(ids)}"
            stored.append({**body, "id": identifier, "tenant_id": body.get("tenant_id", "anyone")})
        answer = {"status": "ok", "id": identifier, "tenant_id": body.get("tenant_id", "anyone"),
                  "api_key": f"key-{body.get('tenant_id', identifier)}", "project_id": body.get("project_id"),
                  **{name: list(stored) for name in LISTS}}
        return JSONResponse(answer, status_code=201 if request.method == "POST" else 200)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", everything, methods=methods)])


@contextmanager
def serve_leaky() -> Iterator[str]:
    """The leaky target on a free loopback port for the duration of the block; yields its base URL."""
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn_server(leaky_app(), log_config=None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="leaky-target")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the leaky target did not start"
            time.sleep(0.005)
        yield base_url("127.0.0.1", sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
