"""One running target's state: resolved config, storage, operations, and the glue that logs every request.

The access log is written here, not in the operations, so no operation can forget it: a success is logged
in the operation's transaction, a failure right after its rollback (a denial is skipped only under the
`denials-not-logged` flaw).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers

from tenantcheck.reference import d1
from tenantcheck.reference.config import ReferenceConfig
from tenantcheck.reference.errors import ApiError
from tenantcheck.reference.identity import Caller, IdentityError, resolve_caller
from tenantcheck.reference.operations import Operations, OpRequest, OpResult
from tenantcheck.reference.store import Store

Operation = Callable[[Operations, Store, Caller, OpRequest], OpResult]

SHARED_STATE_WINDOW_S = 0.005
"""How long a `request-state-shared` request waits between storing and reading the shared tenant."""


@dataclass(frozen=True, kw_only=True)
class Audit:
    """What an access-log entry says about a request: resource type, resource id (if known), action."""

    resource_type: str
    resource_id: str | None
    action: str
    ip_address: str | None
    user_agent: str | None


class Runtime:
    """The state of one reference target; `close()` releases storage and a temporary data directory."""

    def __init__(self, config: ReferenceConfig) -> None:
        self.owns_data_dir = config.data_dir is None
        if config.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="tenantcheck-reference-"))
        else:
            self.data_dir = config.data_dir
            self.data_dir.mkdir(parents=True, exist_ok=True)
        config = dataclasses.replace(config.with_admin_token(), data_dir=self.data_dir)
        self.config = config
        self.admin_token: str = config.admin_token or ""
        try:
            self.store = Store(self.data_dir)
            self.store.call(self._ensure_default_tenant)
        except BaseException:
            self._remove_data_dir()
            raise
        self.ops = Operations(config)
        # The `request-state-shared` flaw: one "current tenant" for every request in flight.
        self._current_caller: Caller | None = None

    def _ensure_default_tenant(self, store: Store) -> None:
        # The default tenant owns what anonymous requests create; it has no API key.
        if not d1.tenant_exists(store.d1, self.config.default_tenant):
            d1.insert_tenant(store.d1, self.config.default_tenant, "Default tenant", None)

    async def identify(self, headers: Headers, audit: Audit) -> Caller:
        """The caller of a request; a refused identity is logged when its tenant is known."""

        def work(store: Store) -> Caller:
            try:
                return resolve_caller(headers, self.config, lambda h: d1.tenant_for_key_hash(store.d1, h))
            except IdentityError as exc:
                if exc.tenant is not None:
                    self._log_failure(store, exc.tenant, audit, exc)
                raise

        caller = await self.store.run(work)
        shared = self.config.has("request-state-shared") or (
            self.config.has("list-state-shared") and (audit.resource_type, audit.action) == ("project", "list"))
        if shared:
            self._current_caller = caller
            await asyncio.sleep(SHARED_STATE_WINDOW_S)  # any await would do; this one makes the window real
            assert self._current_caller is not None
            caller = self._current_caller
        return caller

    async def execute(self, operation: Operation, caller: Caller, req: OpRequest, audit: Audit) -> OpResult:
        """Run an operation in one transaction and log it (success with it, failure after the rollback).

        The answer is serialized before the commit: one that cannot be sent rolls back what the operation wrote.
        """

        def work(store: Store) -> OpResult:
            try:
                with store.transaction():
                    result = operation(self.ops, store, caller, req)
                    result.serialize(self.config.shape)
                    self._log(store, caller.tenant, audit, True, result.resource_id)
            except ApiError as exc:
                self._log_failure(store, caller.tenant, audit, exc)
                raise
            return result

        return await self.store.run(work)

    async def log_failure(self, caller: Caller, audit: Audit, exc: ApiError) -> None:
        """Log a request refused before its operation ran (e.g. a malformed body)."""
        await self.store.run(lambda store: self._log_failure(store, caller.tenant, audit, exc))

    def _log_failure(self, store: Store, tenant: str, audit: Audit, exc: ApiError) -> None:
        if not exc.logged and not (exc.denial and self.config.has("denials-not-logged")):
            self._log(store, tenant, audit, False, None)
        exc.logged = True

    @staticmethod
    def _log(store: Store, tenant: str, audit: Audit, success: bool, resource_id: str | None) -> None:
        d1.insert_log(
            store.d1,
            tenant_id=tenant,
            resource_type=audit.resource_type,
            resource_id=resource_id or audit.resource_id,
            action=audit.action,
            success=success,
            ip_address=audit.ip_address,
            user_agent=audit.user_agent,
        )

    def close(self) -> None:
        """Close storage and remove the data directory if this runtime made it."""
        self.store.close()
        self._remove_data_dir()

    def _remove_data_dir(self) -> None:
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
