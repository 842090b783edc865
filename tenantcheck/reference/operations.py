"""The tenant operations of CONTRACT.md, and the flaw switches that break them.

Each operation runs on the storage thread inside one transaction (see `runtime.py`) and decides who may do
what. The correct rule everywhere: an object belongs to the tenant in its `tenant_id` (a project's
deployments, files and index rows belong to the project's owner), and only that tenant may see or change
it. Every flaw check is a plain `self.config.has("<flaw>")`, so grep finds what each switch changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantcheck.reference import d1
from tenantcheck.reference.config import TENANT_ID_RE, ReferenceConfig
from tenantcheck.reference.errors import ApiError, invalid_request, not_found
from tenantcheck.reference.identity import Caller
from tenantcheck.reference.kv import KVKeyError, check_key
from tenantcheck.reference.store import Store
from tenantcheck.reference.validation import (
    check_file_path,
    optional_object,
    optional_text,
    required_text,
)

MAX_LOG_ENTRIES = 1000


def encode_json(value: Any) -> bytes:
    """JSON bytes as answers and the response cache carry them; a NaN or infinite number raises ValueError."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, kw_only=True)
class OpRequest:
    """What an operation gets from HTTP: path parameters, query parameters, the JSON body, the URL."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: dict[str, Any] | None
    url: str  # path and query, the response-cache key (after the tenant prefix)


@dataclass(kw_only=True)
class OpResult:
    """An operation's answer: a JSON value, text (`str`), raw bytes, or None for 204."""

    status: int
    payload: Any
    list_key: str | None = None  # the list inside payload, served bare in the `bare` shape
    resource_id: str | None = None  # for the access log, when only known after the operation
    body: bytes | None = None  # a JSON payload serialized by `serialize`

    def serialize(self, shape: str) -> None:
        """Serialize a JSON payload into `body` (in the transaction, so an answer that cannot be sent rolls
        the write back: ValueError for a NaN or infinite number)."""
        if self.payload is None or isinstance(self.payload, str | bytes):
            return
        bare = self.list_key is not None and shape == "bare"
        self.body = encode_json(self.payload[self.list_key] if bare else self.payload)


class DeniedError(ApiError):
    """A cross-tenant attempt refused (the access log records it as a denial)."""

    denial = True


@dataclass(frozen=True)
class Operations:
    """The operations, bound to one target's configuration."""

    config: ReferenceConfig

    # --- helpers ---------------------------------------------------------------------------------------

    def _deny(self, what: str, project: d1.Row | None = None) -> DeniedError:
        message = f"access to this {what} is denied"
        if project is not None and self.config.has("error-leaks-data"):
            message = f"{what} belongs to another tenant: project {project['name']!r}"
        if self.config.shape == "bare":  # some deployments hide the existence of foreign objects
            if not self.config.has("error-leaks-data"):
                message = f"{what} not found"
            return DeniedError(404, "not_found", message)
        return DeniedError(403, "tenant_access_denied", message)

    def _sees_all(self, caller: Caller) -> bool:
        """Reads skip the owner check and filter: the `default-sees-all` flaw for callers without identity."""
        return caller.anonymous and self.config.has("default-sees-all")

    def _project(self, store: Store, caller: Caller, project_id: str, *, unchecked: bool) -> d1.Row:
        project = d1.get_project(store.d1, project_id)
        if project is None:
            raise not_found("project not found")
        if project["tenant_id"] != caller.tenant and not unchecked:
            raise self._deny("project", project)
        return project

    def _stored_tenant(self, tenant: str) -> str:
        """The tenant_id written on a new row (the `tenant-not-persisted` flaw writes the default one)."""
        return self.config.default_tenant if self.config.has("tenant-not-persisted") else tenant

    def _file_key(self, owner: str, project_id: str, file_path: str) -> str:
        if self.config.has("kv-unprefixed"):
            return f"{project_id}:{file_path}"
        return f"{owner}:{project_id}:{file_path}"

    def invalidate_cache(self, store: Store, tenants: Iterable[str]) -> None:
        """Drop the cached responses of tenants a write changed (and the URL-keyed ones under
        `cache-key-shared`, so that flaw only shares answers, it never makes them stale)."""
        for tenant in tenants:
            store.cache.delete_prefix(f"{tenant}:")
        if self.config.has("cache-key-shared"):
            store.cache.delete_prefix("/")

    def _cache_key(self, caller: Caller, req: OpRequest) -> str:
        if self.config.has("cache-key-shared"):
            return req.url
        return f"{caller.tenant}:{req.url}"

    def _cached(self, store: Store, caller: Caller, req: OpRequest, scoped: bool) -> Any:
        if not scoped:  # an unscoped (flawed) answer is never cached: its staleness would be a second bug
            return None
        value = store.cache.get(self._cache_key(caller, req))
        return None if value is None else json.loads(value)

    def _remember(self, store: Store, caller: Caller, req: OpRequest, scoped: bool, payload: Any) -> None:
        if scoped:
            store.cache.put(self._cache_key(caller, req), encode_json(payload))

    @staticmethod
    def _body(req: OpRequest) -> dict[str, Any]:
        if req.body is None:
            raise invalid_request("request body must be a JSON object")
        return req.body

    # --- projects --------------------------------------------------------------------------------------

    def create_project(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        body = self._body(req)
        name = required_text(body, "name")
        description = optional_text(body, "description", allow_blank=True)
        metadata = optional_object(body, "metadata") or {}
        owner = caller.tenant
        claimed = body.get("tenant_id")
        if (
            self.config.has("body-tenant-honored")
            and isinstance(claimed, str)
            and TENANT_ID_RE.match(claimed)
        ):
            owner = claimed
        now = d1.now_iso()
        project: d1.Row = {
            "id": d1.new_id("prj"),
            "tenant_id": self._stored_tenant(owner),
            "name": name,
            "description": description,
            "metadata": metadata,
            "created_at": now,
            "updated_at": now,
        }
        d1.insert_project(store.d1, project)
        self._index_project(store, project)
        self.invalidate_cache(store, {caller.tenant, project["tenant_id"]})
        return OpResult(status=201, payload=project, resource_id=project["id"])

    @staticmethod
    def _index_project(store: Store, project: d1.Row) -> None:
        text = project["name"] + ("\n" + project["description"] if project["description"] else "")
        d1.index_document(
            store.d1, tenant_id=project["tenant_id"], project_id=project["id"], file_path=None, content=text
        )

    def list_projects(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        scoped = not (self.config.has("list-unfiltered") or self._sees_all(caller))
        tenants = self._listed_tenants(caller)
        cacheable = scoped and len(tenants) == 1  # a flawed answer is never cached (see _cached)
        payload = self._cached(store, caller, req, cacheable)
        if payload is None:
            payload = {"projects": d1.list_projects(store.d1, tenants if scoped else None)}
            self._remember(store, caller, req, cacheable, payload)
        return OpResult(status=200, payload=payload, list_key="projects")

    def _listed_tenants(self, caller: Caller) -> list[str]:
        """The caller's own tenant; with `default-in-lists`, also the default tenant (a fallback query)."""
        if self.config.has("default-in-lists") and caller.tenant != self.config.default_tenant:
            return [caller.tenant, self.config.default_tenant]
        return [caller.tenant]

    def get_project(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        unchecked = self.config.has("get-unchecked") or self._sees_all(caller)
        project = self._project(store, caller, req.path["project_id"], unchecked=unchecked)
        return OpResult(status=200, payload=project)

    def update_project(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        project = self._project(
            store, caller, req.path["project_id"], unchecked=self.config.has("update-unchecked")
        )
        body = self._body(req)
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = required_text(body, "name")
        if "description" in body:
            changes["description"] = optional_text(body, "description", allow_blank=True)
        if "metadata" in body:
            changes["metadata"] = optional_object(body, "metadata")
        # A body tenant_id is ignored: the owner never changes.
        if changes:
            d1.update_project(store.d1, project["id"], changes)
        updated = d1.get_project(store.d1, project["id"])
        assert updated is not None
        if "name" in changes or "description" in changes:
            self._index_project(store, updated)
        self.invalidate_cache(store, {caller.tenant, project["tenant_id"]})
        return OpResult(status=200, payload=updated)

    def delete_project(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        project = self._project(
            store, caller, req.path["project_id"], unchecked=self.config.has("delete-unchecked")
        )
        kv_keys, _ = d1.delete_project(store.d1, project["id"])
        for key in kv_keys:
            store.files.delete(key)
        store.files.delete_prefix(f"{project['tenant_id']}:{project['id']}:")
        self.invalidate_cache(store, {caller.tenant, project["tenant_id"]})
        return OpResult(status=204, payload=None)

    # --- deployments -----------------------------------------------------------------------------------

    def deploy(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        body = self._body(req)
        project_id = required_text(body, "project_id")
        provider = required_text(body, "provider", max_chars=64)
        project = self._project(store, caller, project_id, unchecked=self.config.has("deploy-foreign"))
        deployment_id = d1.new_id("dep")
        deployment = {
            "id": deployment_id,
            "tenant_id": self._stored_tenant(project["tenant_id"]),
            "project_id": project["id"],
            "provider": provider,
            "status": "queued",
            "url": f"https://{deployment_id.replace('_', '-')}.pages.example",
            "created_at": d1.now_iso(),
        }
        d1.insert_deployment(store.d1, deployment)
        self.invalidate_cache(store, {caller.tenant, project["tenant_id"]})
        return OpResult(status=201, payload=deployment, resource_id=project["id"])

    def list_deployments(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        unchecked = self.config.has("deployments-unchecked") or self._sees_all(caller)
        project = self._project(store, caller, req.path["project_id"], unchecked=unchecked)
        return OpResult(
            status=200,
            payload={"deployments": d1.list_deployments(store.d1, project["id"])},
            list_key="deployments",
        )

    def get_deployment(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        deployment = d1.get_deployment(store.d1, req.path["deployment_id"])
        if deployment is None:
            raise not_found("deployment not found")
        if deployment["tenant_id"] != caller.tenant and not self._sees_all(caller):
            raise self._deny("deployment", d1.get_project(store.d1, deployment["project_id"]))
        return OpResult(status=200, payload=deployment)

    # --- files -----------------------------------------------------------------------------------------

    def write_file(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        body = self._body(req)
        file_path = body.get("path")
        if not isinstance(file_path, str):
            raise invalid_request("'path' must be a string")
        check_file_path(file_path)
        content = body.get("content")
        if not isinstance(content, str):
            raise invalid_request("'content' must be a string")
        project = self._project(
            store, caller, req.path["project_id"], unchecked=self.config.has("file-write-unchecked")
        )
        data = content.encode("utf-8")
        key = self._file_key(project["tenant_id"], project["id"], file_path)
        try:
            store.files.put(key, data)
        except KVKeyError as exc:
            raise invalid_request(f"file path too long: {exc}") from exc
        row, previous_key = d1.upsert_file(
            store.d1,
            tenant_id=self._stored_tenant(project["tenant_id"]),
            project_id=project["id"],
            file_path=file_path,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            kv_key=key,
        )
        if previous_key is not None:
            store.files.delete(previous_key)
        d1.index_document(
            store.d1,
            tenant_id=row["tenant_id"],
            project_id=project["id"],
            file_path=file_path,
            content=content,
        )
        row.pop("kv_key")
        self.invalidate_cache(store, {caller.tenant, project["tenant_id"]})
        return OpResult(status=201, payload=row)

    def list_files(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        project = self._project(store, caller, req.path["project_id"], unchecked=self._sees_all(caller))
        return OpResult(
            status=200, payload={"files": d1.list_files(store.d1, project["id"])}, list_key="files"
        )

    def read_file(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        file_path = check_file_path(req.path["file_path"])
        unchecked = self.config.has("file-read-unchecked") or self._sees_all(caller)
        project = self._project(store, caller, req.path["project_id"], unchecked=unchecked)
        row = d1.get_file(store.d1, project["id"], file_path)
        content = None if row is None else store.files.get(row["kv_key"])
        if content is None:
            raise not_found("file not found")
        return OpResult(status=200, payload=content.decode("utf-8", errors="replace"))

    def download(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        key = req.path["key"]
        try:
            check_key(key)
        except KVKeyError as exc:
            raise invalid_request(str(exc)) from exc
        if not key.startswith(f"{caller.tenant}:") and not (
            self.config.has("download-any-key") or self._sees_all(caller)
        ):
            raise self._deny("key")
        value = store.files.get(key)
        if value is None:
            raise not_found("key not found")
        return OpResult(status=200, payload=value)

    # --- search and audit ------------------------------------------------------------------------------

    def search(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        query = req.query.get("q", "")
        if not query.strip():
            raise invalid_request("query parameter 'q' is required")
        if len(query) > 500:
            raise invalid_request("query is longer than 500 characters")
        scoped = not (self.config.has("search-unscoped") or self._sees_all(caller))
        payload = self._cached(store, caller, req, scoped)
        if payload is None:
            payload = {"results": d1.search(store.d1, query, caller.tenant if scoped else None)}
            self._remember(store, caller, req, scoped, payload)
        return OpResult(status=200, payload=payload, list_key="results")

    def access_logs(self, store: Store, caller: Caller, req: OpRequest) -> OpResult:
        tenant = None if self.config.has("audit-unscoped") else caller.tenant
        entries = d1.list_logs(store.d1, tenant_id=tenant, limit=parse_limit(req.query))
        return OpResult(status=200, payload={"entries": entries}, list_key="entries")


def parse_limit(query: Mapping[str, str]) -> int:
    """The `limit` query parameter of log listings (1..1000, default 1000)."""
    raw = query.get("limit")
    if raw is None:
        return MAX_LOG_ENTRIES
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LOG_ENTRIES:
        raise invalid_request(f"'limit' must be an integer from 1 to {MAX_LOG_ENTRIES}")
    return int(raw)
