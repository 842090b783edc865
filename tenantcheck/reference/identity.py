"""Who is calling: resolves a request's tenant from its headers, as CONTRACT.md "Identity" describes.

`token` mode trusts only `Authorization: Bearer <api_key>` (the key names the tenant; an identity header
naming someone else is a mismatch). `header` mode takes `X-Tenant-ID` / `X-Bolt-Tenant-ID` at their word,
like Pom Bolt does today. With no identity, lenient mode acts as the default tenant and strict mode refuses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers

from tenantcheck.reference.config import TENANT_ID_RE, ReferenceConfig
from tenantcheck.reference.errors import ApiError

IDENTITY_HEADERS = ("x-tenant-id", "x-bolt-tenant-id")


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The tenant a request acts as; `anonymous` when it named none and got the default tenant."""

    tenant: str
    anonymous: bool = False


class IdentityError(ApiError):
    """Identity refused; `tenant` is the tenant the request is known to come from (for the access log)."""

    def __init__(self, status: int, code: str, message: str, tenant: str | None = None) -> None:
        super().__init__(status, code, message)
        self.tenant = tenant
        self.denial = code == "tenant_mismatch"


def hash_api_key(api_key: str) -> str:
    """sha256 hex of a key: what the tenants table stores instead of the key."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def resolve_caller(
    headers: Headers, config: ReferenceConfig, key_owner: Callable[[str], str | None]
) -> Caller:
    """The caller of a request, or IdentityError. `key_owner` maps an API key hash to its tenant."""
    claims = [value for name in IDENTITY_HEADERS for value in headers.getlist(name)]
    for claim in claims:
        if not TENANT_ID_RE.match(claim):
            raise IdentityError(400, "invalid_tenant", f"tenant id must match {TENANT_ID_RE.pattern}")
    if config.auth == "token":
        authorization = headers.getlist("authorization")
        if authorization:
            return _token_caller(authorization, claims, config, key_owner)
    elif claims:
        if len(set(claims)) > 1:
            raise IdentityError(403, "tenant_mismatch", "identity headers name different tenants", claims[0])
        return Caller(tenant=claims[0])
    return _anonymous_caller(claims, config)


def _token_caller(
    authorization: list[str],
    claims: list[str],
    config: ReferenceConfig,
    key_owner: Callable[[str], str | None],
) -> Caller:
    scheme, _, key = authorization[0].strip().partition(" ")
    key = key.strip()
    if len(authorization) > 1 or scheme.lower() != "bearer" or not key:
        raise IdentityError(401, "unauthorized", "expected one 'Authorization: Bearer <api_key>' header")
    tenant = key_owner(hash_api_key(key))
    if tenant is None:
        raise IdentityError(401, "unauthorized", "invalid API key")
    if claims and config.has("header-overrides-token"):
        return Caller(tenant=claims[0])
    if any(claim != tenant for claim in claims):
        raise IdentityError(403, "tenant_mismatch", "the tenant header does not match the API key", tenant)
    return Caller(tenant=tenant)


def _anonymous_caller(claims: list[str], config: ReferenceConfig) -> Caller:
    if config.strict and not config.has("strict-ignored"):
        raise IdentityError(401, "tenant_required", "this request needs a tenant identity")
    tenant = config.default_tenant
    if any(claim != tenant for claim in claims):
        # token mode without a key: a header alone never proves a tenant.
        raise IdentityError(403, "tenant_mismatch", "a tenant header needs a matching API key", tenant)
    return Caller(tenant=tenant, anonymous=True)
