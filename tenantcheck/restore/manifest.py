"""The seed manifest: what `tenantcheck seed` left on a target before a backup, without any secret.

`tenantcheck verify` reads it after a restore to prove every object came back, with its owner, and that
D1 and KV agree. Tenant credentials are not in it: they are handed to verify through environment
variables (``TENANTCHECK_SEED_KEY_<LABEL>``, written by seed to a separate keys file) or, in header
identity, not needed at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, ValidationError

from tenantcheck.config.tomlconfig import StrictModel, describe_error
from tenantcheck.errors import ConfigError

MANIFEST_VERSION = 2


class SeededObject(StrictModel):
    """One object seed made: its resource, id and address (the placeholders that reach it), the sensitive
    values it was written with (fake data carrying the tenant's markers) and, for the profile's
    ``download_resource``, its stored key."""

    resource: str
    id: str
    address: dict[str, str]
    content: dict[str, str] = Field(default_factory=dict)
    key: str | None = None


class SeededTenant(StrictModel):
    label: str
    tenant_id: str
    markers: list[str]
    objects: list[SeededObject] = Field(default_factory=list)

    @property
    def key_variable(self) -> str:
        return "TENANTCHECK_SEED_KEY_" + self.label.upper().replace("-", "_")

    def of(self, resource: str) -> list[SeededObject]:
        return [obj for obj in self.objects if obj.resource == resource]


class DeletedTenant(StrictModel):
    """A tenant removed before the backup point: a restore must not bring it back (RV-04)."""

    tenant_id: str
    objects: list[SeededObject]


class Manifest(StrictModel):
    version: int = MANIFEST_VERSION
    run_id: str
    environment: str
    profile: str
    target_url: str
    mode: str
    seeded_at: str
    tenants: list[SeededTenant]
    deleted: list[DeletedTenant] = Field(default_factory=list)

    def tenant(self, label: str) -> SeededTenant:
        return next(tenant for tenant in self.tenants if tenant.label == label)


def write_manifest(manifest: Manifest, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest.model_dump(), indent=2))


def load_manifest(path: Path) -> Manifest:
    """Read a manifest; a missing, malformed or foreign file is a ``ConfigError`` naming it."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such manifest (write one with `tenantcheck seed`)") from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a JSON manifest: {error}") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        issues = "; ".join(describe_error(Manifest, issue) for issue in error.errors(include_url=False)[:3])
        raise ConfigError(f"Error in {path}: {issues}") from None
    if manifest.version != MANIFEST_VERSION:
        raise ConfigError(f"{path}: manifest version {manifest.version}, this tenantcheck reads {MANIFEST_VERSION}")
    return manifest
