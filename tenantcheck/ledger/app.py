"""The Ledger's HTTP surface as a Starlette app: the route table, the request pipeline, the error shape.

Every authenticated route goes through `authenticated`: resolve the caller, read the body, serve from the
per-org cache or run the handler in one transaction with its audit event, then drop the cache entries the
write touched. A refusal is audited after the rollback (a denial is skipped only under
`denials-not-audited`). Public routes (`/health`, `/openapi.json`, `/auth/*`, `/directory`) only share the
error handling; so do the hidden routes a flaw adds (`/debug/env`, `/backup`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tenantcheck.ledger import audit, auth, invoices, notes, search
from tenantcheck.ledger.bodies import BodyReader, read_form, read_json, read_text
from tenantcheck.ledger.config import LedgerConfig
from tenantcheck.ledger.errors import LedgerError, error_response
from tenantcheck.ledger.openapi import openapi_document
from tenantcheck.ledger.runtime import Call, Caller, Handler, Ledger
from tenantcheck.reference.d1 import new_id, now_iso

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
PublicHandler = Callable[[Request, Ledger], Awaitable[Response]]


def ledger_of(app: Starlette) -> Ledger:
    """The Ledger of an app made by create_app."""
    ledger: Ledger = app.state.ledger
    return ledger


def _internal_error(request: Request) -> Response:
    logger.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error")


def authenticated(handler: Handler, action: str, *, body: BodyReader | None = None, cached: bool = False) -> Endpoint:
    """An endpoint that needs a caller: audited, cached per org when `cached`, one transaction."""

    async def endpoint(request: Request) -> Response:
        ledger = ledger_of(request.app)
        caller: Caller | None = None
        try:
            caller = await auth.identify(ledger, request)
            call = Call(ledger=ledger, request=request, caller=caller, body=await body(request) if body else None)
            return _serve(call, handler, action, cached)
        except LedgerError as exc:
            if caller is not None and not (exc.denied and ledger.config.has("denials-not-audited")):
                with ledger.db.transaction():
                    audit.record(ledger.db, caller, action, audit.target_of(request.path_params), ok=False)
            return error_response(exc.status, exc.code, exc.detail)
        except Exception:
            return _internal_error(request)

    return endpoint


def _serve(call: Call, handler: Handler, action: str, cached: bool) -> Response:
    ledger, request = call.ledger, call.request
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    key = ledger.cache.key(call.caller.org_id, url) if cached else None
    hit = ledger.cache.get(key) if key is not None else None
    with ledger.db.transaction():
        response = Response(hit, media_type="application/json") if hit is not None else handler(call)
        audit.record(ledger.db, call.caller, action, audit.target_of(request.path_params), ok=True)
    if request.method not in ("GET", "HEAD"):
        ledger.cache.invalidate({call.caller.org_id, *call.touched})
    elif key is not None and hit is None and call.cacheable and response.status_code == 200:
        ledger.cache.put(key, bytes(response.body))
    return response


def public(handler: PublicHandler) -> Endpoint:
    """An endpoint that needs no identity (it only shares the error handling)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, ledger_of(request.app))
        except LedgerError as exc:
            return error_response(exc.status, exc.code, exc.detail)
        except Exception:
            return _internal_error(request)

    return endpoint


async def health(request: Request, ledger: Ledger) -> Response:
    """GET /health: liveness."""
    return JSONResponse({"ok": True})


async def openapi(request: Request, ledger: Ledger) -> Response:
    """GET /openapi.json: the Ledger's own OpenAPI document, public like health so clients can read it first."""
    return JSONResponse(openapi_document())


async def debug_env(request: Request, ledger: Ledger) -> Response:
    """GET /debug/env, only under `debug-open`: a forgotten debug route that answers anyone."""
    config = ledger.config
    return JSONResponse(
        {
            "config": {
                "host": config.host,
                "port": config.port,
                "token_ttl": config.token_ttl,
                "flaws": sorted(config.flaws),
                "data_dir": str(ledger.data_dir),
            },
            "bindings": {"DB": str(ledger.db.path), "BLOBS": "table blobs", "CACHE": "memory"},
        }
    )


async def backup(request: Request, ledger: Ledger) -> Response:
    """GET /backup, only under `backup-on-get`: a forgotten maintenance route that writes on a GET, for anyone.

    It records a job row and answers nothing about it, so only a storage inspector can tell it wrote.
    """
    with ledger.db.transaction():
        ledger.db.execute(
            "INSERT INTO jobs (id, kind, created_at) VALUES (?, ?, ?)", (new_id("job"), "backup", now_iso())
        )
    return JSONResponse({"started": True})


def routes(config: LedgerConfig) -> list[Route]:
    """Every route of the Ledger (and the hidden debug and backup routes when their flaws are on)."""
    a = authenticated
    inv = invoices
    invoice = "/orgs/{org_id}/invoices/{invoice_id}"
    attachment = invoice + "/attachments/{name}"
    table = [
        Route("/health", public(health), methods=["GET"]),
        Route("/openapi.json", public(openapi), methods=["GET"]),
        Route("/auth/signup", public(auth.signup), methods=["POST"]),
        Route("/auth/login", public(auth.login), methods=["POST"]),
        Route("/directory", public(search.directory), methods=["GET"]),
        Route("/me", a(auth.me, "me.read"), methods=["GET"]),
        Route("/orgs/{org_id}/invoices", a(inv.create_invoice, "invoice.create", body=read_json), methods=["POST"]),
        Route("/orgs/{org_id}/invoices", a(inv.list_invoices, "invoice.list", cached=True), methods=["GET"]),
        Route(invoice, a(inv.get_invoice, "invoice.read"), methods=["GET"]),
        Route(invoice, a(inv.update_invoice, "invoice.update", body=read_json), methods=["PATCH"]),
        Route(invoice, a(inv.delete_invoice, "invoice.delete"), methods=["DELETE"]),
        Route(invoice + "/send", a(inv.send_invoice, "invoice.send"), methods=["POST"]),
        Route(invoice + "/export", a(inv.export_invoice, "invoice.export"), methods=["GET"]),
        Route(invoice + "/attachments", a(inv.list_attachments, "attachment.list", cached=True), methods=["GET"]),
        Route(attachment, a(inv.put_attachment, "attachment.write", body=read_text), methods=["PUT"]),
        Route(attachment, a(inv.get_attachment, "attachment.read"), methods=["GET"]),
        Route("/notes", a(notes.create_note, "note.create", body=read_form), methods=["POST"]),
        Route("/notes", a(notes.list_notes, "note.list", cached=True), methods=["GET"]),
        Route("/notes/import", a(notes.import_notes, "note.import", body=read_json), methods=["POST"]),
        Route("/notes/{note_id}", a(notes.get_note, "note.read"), methods=["GET"]),
        Route("/notes/{note_id}", a(notes.delete_note, "note.delete"), methods=["DELETE"]),
        Route("/search", a(search.search, "search", cached=True), methods=["GET"]),
        Route("/audit", a(audit.list_events, "audit.list"), methods=["GET"]),
    ]
    if config.has("debug-open"):
        table.append(Route("/debug/env", public(debug_env), methods=["GET"]))
    if config.has("backup-on-get"):
        table.append(Route("/backup", public(backup), methods=["GET"]))
    return table


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, detail = {
        404: ("not_found", "no such route"),
        405: ("method_not_allowed", f"method {request.method} is not allowed here"),
    }.get(exc.status_code, ("bad_request", str(exc.detail)))
    return error_response(exc.status_code, code, detail, headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Last resort for errors outside the endpoints (they catch their own): still the error shape.
    return error_response(500, "internal_error", "internal error")


def create_app(config: LedgerConfig | None = None) -> Starlette:
    """The Ledger as an ASGI app; its state is `ledger_of(app)`, closed by the caller with `.close()`."""
    ledger = Ledger(config or LedgerConfig())
    app = Starlette(
        routes=routes(ledger.config),
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
    )
    app.state.ledger = ledger
    return app


