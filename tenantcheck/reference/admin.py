"""Admin endpoints (provisioning and operations), behind `Authorization: Bearer <admin_token>`."""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantcheck.reference import d1
from tenantcheck.reference.config import TENANT_ID_RE
from tenantcheck.reference.errors import ApiError, invalid_request, not_found
from tenantcheck.reference.identity import hash_api_key
from tenantcheck.reference.operations import parse_limit
from tenantcheck.reference.runtime import Runtime
from tenantcheck.reference.store import BackupNotFoundError, Store
from tenantcheck.reference.validation import optional_text, required_text


def check_admin(runtime: Runtime, request: Request) -> None:
    """401 `unauthorized` unless the request carries the admin token."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), runtime.admin_token.encode()
    ):
        raise ApiError(401, "unauthorized", "admin endpoints need 'Authorization: Bearer <admin_token>'")


def _tenant_id(value: str) -> str:
    if not TENANT_ID_RE.match(value):
        raise ApiError(400, "invalid_tenant", f"tenant id must match {TENANT_ID_RE.pattern}")
    return value


async def create_tenant(runtime: Runtime, request: Request, body: dict[str, Any]) -> Response:
    """POST /admin/tenants {tenant_id?, name}: 201 {tenant_id, name, api_key}; the key is shown only here."""
    name = required_text(body, "name")
    given = optional_text(body, "tenant_id", max_chars=64)
    tenant_id = _tenant_id(given) if given is not None else f"t-{secrets.token_hex(6)}"
    api_key = f"tck_{secrets.token_urlsafe(32)}"

    def work(store: Store) -> None:
        try:
            with store.transaction():
                d1.insert_tenant(store.d1, tenant_id, name, hash_api_key(api_key))
        except sqlite3.IntegrityError as exc:
            raise invalid_request(f"tenant {tenant_id} already exists") from exc

    await runtime.store.run(work)
    return JSONResponse({"tenant_id": tenant_id, "name": name, "api_key": api_key}, status_code=201)


async def list_tenants(runtime: Runtime, request: Request, body: None) -> Response:
    """GET /admin/tenants."""
    tenants = await runtime.store.run(lambda store: d1.list_tenants(store.d1))
    return JSONResponse(tenants if runtime.config.shape == "bare" else {"tenants": tenants})


async def delete_tenant(runtime: Runtime, request: Request, body: None) -> Response:
    """DELETE /admin/tenants/{tenant_id}: every row and KV key of the tenant; 404 when it had nothing."""
    tenant_id = _tenant_id(request.path_params["tenant_id"])

    def work(store: Store) -> int:
        with store.transaction():
            removed, kv_keys = d1.delete_tenant(store.d1, tenant_id)
            for key in kv_keys:
                store.files.delete(key)
            removed += store.files.delete_prefix(f"{tenant_id}:")
            removed += store.cache.delete_prefix(f"{tenant_id}:")
            runtime.ops.invalidate_cache(store, [])
        return removed

    if await runtime.store.run(work) == 0:
        raise not_found("no such tenant")
    return Response(status_code=204)


async def access_logs(runtime: Runtime, request: Request, body: None) -> Response:
    """GET /admin/access-logs?tenant_id=&success=&since=&limit=: entries across tenants, newest first."""
    query = request.query_params
    tenant_id = _tenant_id(query["tenant_id"]) if query.get("tenant_id") else None
    success = _parse_bool(query["success"]) if query.get("success") else None
    since = _parse_since(query["since"]) if query.get("since") else None
    limit = parse_limit(query)
    entries = await runtime.store.run(
        lambda store: d1.list_logs(
            store.d1, tenant_id=tenant_id, success=success, since=since, limit=limit, admin=True
        )
    )
    return JSONResponse(entries if runtime.config.shape == "bare" else {"entries": entries})


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise invalid_request("'success' must be true or false")


def _parse_since(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid_request("'since' must be an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def backup(runtime: Runtime, request: Request, body: None) -> Response:
    """POST /admin/backup: 201 {backup_id}."""
    backup_id = await runtime.store.run(lambda store: store.backup())
    return JSONResponse({"backup_id": backup_id}, status_code=201)


async def restore(runtime: Runtime, request: Request, body: dict[str, Any]) -> Response:
    """POST /admin/restore {backup_id}: D1 and KV replaced by the backup (the restore flaws change that)."""
    backup_id = body.get("backup_id")
    if not isinstance(backup_id, str) or not backup_id:
        raise invalid_request("'backup_id' must be a string")
    config = runtime.config
    owner = config.default_tenant if config.has("restore-drops-owner") else None
    restore_kv = not config.has("restore-drops-files")
    try:
        await runtime.store.run(lambda store: store.restore(backup_id, restore_kv=restore_kv, owner=owner))
    except BackupNotFoundError as exc:
        raise not_found("no such backup") from exc
    return JSONResponse({"backup_id": backup_id, "restored": True})
