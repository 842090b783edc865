"""The HTTP surface of CONTRACT.md as a Starlette app: routes, body reading, identity, the error shape."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tenantcheck.reference import admin
from tenantcheck.reference.chaos import Chaos, ChaosMiddleware, chaos_status
from tenantcheck.reference.config import ReferenceConfig
from tenantcheck.reference.errors import ApiError, error_response
from tenantcheck.reference.identity import Caller
from tenantcheck.reference.openapi import openapi_document
from tenantcheck.reference.operations import Operations, OpRequest, OpResult
from tenantcheck.reference.runtime import Audit, Operation, Runtime
from tenantcheck.reference.validation import MAX_BODY_BYTES, parse_json_object

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
AdminHandler = Callable[[Runtime, Request, Any], Awaitable[Response]]


def runtime_of(app: Starlette) -> Runtime:
    """The Runtime of an app made by create_app."""
    runtime: Runtime = app.state.reference
    return runtime


async def read_body(request: Request) -> bytes:
    """The raw body, refused with 413 as soon as it passes 1 MiB (declared or streamed, chunked included)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ApiError(400, "invalid_request", "invalid Content-Length")
        if int(declared) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _render(result: OpResult) -> Response:
    payload = result.payload
    if payload is None:
        return Response(status_code=result.status)
    if isinstance(payload, bytes):
        return Response(payload, status_code=result.status, media_type="application/octet-stream")
    if isinstance(payload, str):
        return PlainTextResponse(payload, status_code=result.status)
    assert result.body is not None, "Runtime.execute serializes JSON payloads in the transaction"
    return Response(result.body, status_code=result.status, media_type="application/json")


def _error(exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message)


def _internal_error() -> JSONResponse:
    return error_response(500, "internal_error", "internal error")


def tenant_endpoint(
    operation: Operation,
    resource_type: str,
    action: str,
    *,
    resource_param: str | None = None,
    resource_field: str | None = None,
    body: bool = False,
) -> Endpoint:
    """An endpoint that resolves the caller, runs one operation and logs the request in the access log.

    The log names the resource by the path parameter `resource_param` or the body field `resource_field`.
    """

    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request.app)
        audit = Audit(
            resource_type=resource_type,
            resource_id=request.path_params.get(resource_param) if resource_param else None,
            action=action,
            ip_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        caller: Caller | None = None
        try:
            caller = await runtime.identify(request.headers, audit)
            parsed = parse_json_object(await read_body(request)) if body else None
            if resource_field and parsed and isinstance(parsed.get(resource_field), str):
                audit = dataclasses.replace(audit, resource_id=parsed[resource_field])
            req = OpRequest(
                path=request.path_params,
                query=request.query_params,
                body=parsed,
                url=request.url.path + ("?" + request.url.query if request.url.query else ""),
            )
            result = await runtime.execute(operation, caller, req, audit)
        except ApiError as exc:
            if caller is not None and not exc.logged:
                await runtime.log_failure(caller, audit, exc)
            return _error(exc)
        except Exception:
            logger.exception("unexpected error in %s %s", request.method, request.url.path)
            return _internal_error()
        return _render(result)

    return endpoint


def admin_endpoint(handler: AdminHandler, *, body: bool = False) -> Endpoint:
    """An endpoint that requires the admin token."""

    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request.app)
        try:
            admin.check_admin(runtime, request)
            parsed = parse_json_object(await read_body(request)) if body else None
            return await handler(runtime, request, parsed)
        except ApiError as exc:
            return _error(exc)
        except Exception:
            logger.exception("unexpected error in %s %s", request.method, request.url.path)
            return _internal_error()

    return endpoint


async def health(request: Request) -> Response:
    """GET /api/health: liveness, no identity needed."""
    return JSONResponse({"status": "ok"})


async def openapi(request: Request) -> Response:
    """GET /openapi.json: the API's own OpenAPI document, public like health so clients can read it first."""
    return JSONResponse(openapi_document())


def routes() -> list[Route]:
    """Every route of the contract."""
    t = tenant_endpoint
    ops = Operations
    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/api/projects", t(ops.create_project, "project", "create", body=True), methods=["POST"]),
        Route("/api/projects", t(ops.list_projects, "project", "list"), methods=["GET"]),
        Route(
            "/api/projects/{project_id}",
            t(ops.get_project, "project", "read", resource_param="project_id"),
            methods=["GET"],
        ),
        Route(
            "/api/projects/{project_id}",
            t(ops.update_project, "project", "update", resource_param="project_id", body=True),
            methods=["PUT"],
        ),
        Route(
            "/api/projects/{project_id}",
            t(ops.delete_project, "project", "delete", resource_param="project_id"),
            methods=["DELETE"],
        ),
        Route(
            "/api/deploy",
            t(ops.deploy, "project", "deploy", resource_field="project_id", body=True),
            methods=["POST"],
        ),
        Route(
            "/api/projects/{project_id}/deployments",
            t(ops.list_deployments, "deployment", "list", resource_param="project_id"),
            methods=["GET"],
        ),
        Route(
            "/api/deployments/{deployment_id}",
            t(ops.get_deployment, "deployment", "read", resource_param="deployment_id"),
            methods=["GET"],
        ),
        Route(
            "/api/projects/{project_id}/files",
            t(ops.write_file, "file", "write", resource_param="project_id", body=True),
            methods=["POST"],
        ),
        Route(
            "/api/projects/{project_id}/files",
            t(ops.list_files, "file", "list", resource_param="project_id"),
            methods=["GET"],
        ),
        Route(
            "/api/projects/{project_id}/files/{file_path:path}",
            t(ops.read_file, "file", "read", resource_param="project_id"),
            methods=["GET"],
        ),
        Route("/api/search", t(ops.search, "search", "search"), methods=["GET"]),
        Route(
            "/api/download/{key:path}",
            t(ops.download, "kv", "download", resource_param="key"),
            methods=["GET"],
        ),
        Route("/api/access-logs", t(ops.access_logs, "access_log", "list"), methods=["GET"]),
        Route("/admin/tenants", admin_endpoint(admin.create_tenant, body=True), methods=["POST"]),
        Route("/admin/tenants", admin_endpoint(admin.list_tenants), methods=["GET"]),
        Route("/admin/tenants/{tenant_id}", admin_endpoint(admin.delete_tenant), methods=["DELETE"]),
        Route("/admin/access-logs", admin_endpoint(admin.access_logs), methods=["GET"]),
        Route("/admin/backup", admin_endpoint(admin.backup), methods=["POST"]),
        Route("/admin/restore", admin_endpoint(admin.restore, body=True), methods=["POST"]),
        Route("/admin/chaos", admin_endpoint(chaos_status), methods=["GET"]),
    ]


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    message = {404: "no such route", 405: f"method {request.method} not allowed here"}.get(
        exc.status_code, str(exc.detail)
    )
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Last resort for errors outside the endpoints (they catch their own): still the error shape.
    return _internal_error()


class LatencyMiddleware:
    """Delays every request, to imitate the network latency of a remote deployment."""

    def __init__(self, app: ASGIApp, latency_ms: int) -> None:
        self.app = app
        self.delay = latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.delay:
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


def create_app(config: ReferenceConfig) -> Starlette:
    """The reference target as an ASGI app; its Runtime (resolved config, storage) is `app.state.reference`.

    The caller closes it with `runtime_of(app).close()` (running_reference and the CLI do).
    """
    runtime = Runtime(config)
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(LatencyMiddleware, latency_ms=config.latency_ms)],
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
    )
    app.state.reference = runtime
    app.state.chaos = Chaos(config.chaos) if config.chaos is not None else None
    if app.state.chaos is not None:
        # Outermost, outside Starlette's error middleware: chaos gets the server's own `send`, so it can
        # drop a connection instead of having a 500 sent for it, and it acts before any handler runs.
        app.middleware_stack = ChaosMiddleware(app.build_middleware_stack(), app.state.chaos)
    return app
