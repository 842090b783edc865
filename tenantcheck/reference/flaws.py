"""The isolation flaws the reference target can switch on (one name per flaw of FLAWS.md).

The target is correct by default; each name turns on exactly one realistic isolation bug so that the
harness can prove it catches it. The switches are read in `operations.py`, `identity.py`, `app.py` and
`store.py`, always as `"<name>" in config.flaws`.
"""

from __future__ import annotations

from collections.abc import Iterable

FLAWS: dict[str, str] = {
    "list-unfiltered": "GET /api/projects forgets the tenant filter",
    "get-unchecked": "GET /api/projects/{id} does not check the owner",
    "update-unchecked": "PUT /api/projects/{id} does not check the owner (GET still does)",
    "delete-unchecked": "DELETE /api/projects/{id} does not check the owner",
    "deployments-unchecked": "project deployments are listed without checking the project's owner",
    "deploy-foreign": "POST /api/deploy accepts another tenant's project",
    "file-read-unchecked": "a file of another tenant's project is served",
    "file-write-unchecked": "a file is stored into another tenant's project",
    "search-unscoped": "search runs over all tenants",
    "tenant-not-persisted": "new rows are written with the default tenant id instead of the caller's",
    "denials-not-logged": "denied attempts are not written to tenant_access_logs",
    "kv-unprefixed": "file contents are stored at {project_id}:{file_path}",
    "default-sees-all": "a request with no identity sees every tenant's data",
    "default-in-lists": "GET /api/projects also lists the default tenant's projects to every tenant",
    "strict-ignored": "strict mode still serves requests with no identity (as the default tenant)",
    "header-overrides-token": "X-Tenant-ID wins over the tenant of the bearer key",
    "body-tenant-honored": "a body tenant_id on create is honored",
    "download-any-key": "/api/download/{key} serves any key",
    "error-leaks-data": "the 403 body names the other tenant's project",
    "audit-unscoped": "/api/access-logs returns every tenant's entries",
    "cache-key-shared": "cached responses are keyed by URL alone",
    "request-state-shared": "the current tenant is kept in process-wide state, so concurrent requests "
    "can act as each other's tenant",
    "list-state-shared": "like request-state-shared, on GET /api/projects only: concurrent lists can be answered "
    "as each other's tenant",
    "restore-drops-owner": "restore writes every row back with the default tenant id",
    "restore-drops-files": "restore brings D1 back but not KV",
}


class UnknownFlawError(ValueError):
    """A flaw name that the reference target does not know; the message lists the valid ones."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = sorted(unknown)
        super().__init__(
            f"unknown flaw {', '.join(repr(n) for n in self.unknown)}; valid flaws are: {', '.join(FLAWS)}"
        )


def parse_flaws(values: Iterable[str]) -> frozenset[str]:
    """Flaw names from repeated and/or comma-separated values; raises UnknownFlawError on a bad name."""
    names = {part.strip() for value in values for part in value.split(",")}
    names.discard("")
    check_flaws(names)
    return frozenset(names)


def check_flaws(names: Iterable[str]) -> None:
    """Raise UnknownFlawError unless every name is a known flaw."""
    unknown = set(names) - FLAWS.keys()
    if unknown:
        raise UnknownFlawError(unknown)
