"""The environment: where a run goes (a URL or the embedded reference target) and how carefully.

Secrets appear in these files only as ``${VAR}`` references, resolved when the file is loaded so that a
missing variable stops the run before any request, with the variable named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from tenantcheck.bundled import known_names, named_file
from tenantcheck.config.tomlconfig import SecretRef, StrictModel, load_model, read_toml, secret_fields
from tenantcheck.errors import ConfigError

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


class Target(StrictModel):
    """What to test: a running deployment (``base_url``) or the embedded reference target."""

    embedded: bool = False
    base_url: str | None = None
    mode: Literal["token", "header"] | None = Field(
        default=None, description="identity mode of the target; absent: the profile's"
    )
    strict: bool = True
    default_tenant: str = "default"
    flaws: list[str] = Field(default_factory=list, description="embedded only: reference flaws to switch on")
    latency_ms: int = Field(default=0, ge=0, le=10_000, description="embedded only: added delay per request")
    shape: Literal["contract", "bare"] = "contract"

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL with a host (got {url!r})")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if self.embedded == (self.base_url is not None):
            raise ValueError("give either base_url = \"https://...\" or embedded = true (not both, not neither)")
        if not self.embedded and (self.flaws or self.latency_ms or self.shape != "contract"):
            raise ValueError("flaws, latency_ms and shape configure the embedded target only")
        return self


class StaticTenant(StrictModel):
    """A tenant that already exists on the target, with its API key (token mode)."""

    id: str
    key: SecretRef | None = None
    name: str | None = None

    _secret = secret_fields("key")

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not TENANT_ID.match(value):
            raise ValueError(f"tenant id {value!r} does not match {TENANT_ID.pattern}")
        return value


class ProvisioningConfig(StrictModel):
    """Where test tenants come from."""

    method: Literal["admin-api", "static", "header"] = "admin-api"
    admin_token: SecretRef | None = None
    tenants: list[StaticTenant] = Field(default_factory=list)

    _secret = secret_fields("admin_token")


class Policy(StrictModel):
    """What counts as a compliant answer, and how long to wait for an eventually consistent store."""

    deny_statuses: list[int] | None = Field(default=None, description="absent: the profile's default")
    consistency_window: float = Field(default=0.0, ge=0, le=600)
    poll_interval: float = Field(default=0.5, gt=0, le=60)


class Safety(StrictModel):
    """Limits that keep a run polite on a shared environment."""

    production: bool = False
    allow_writes: bool = True
    test_tenants: list[str] = Field(default_factory=list, description="dedicated tenants for production")
    requests_per_second: float = Field(default=200.0, gt=0)
    max_concurrency: int = Field(default=8, ge=1, le=256)
    timeout: float = Field(default=10.0, gt=0, le=300)
    retries: int = Field(default=2, ge=0, le=10)


class Inspector(StrictModel):
    """Read-only access to the target's storage (D1 and KV), for the storage oracles (docs/inspectors.md).

    Relative paths are taken from the directory the run starts in (the checkout's root).
    """

    kind: Literal["sqlite", "wrangler", "cloudflare-api"]
    d1_path: str | None = Field(default=None, description="sqlite: D1 file, or wrangler state dir; absent: embedded")
    kv_path: str | None = Field(default=None, description="sqlite: KV file, or wrangler state dir")
    database: str | None = Field(default=None, description="D1 database: name (wrangler) or id")
    files_namespace: str | None = Field(default=None, description="FILES: binding name or namespace id")
    cache_namespace: str | None = Field(default=None, description="CACHE: binding name or namespace id")
    remote: bool = Field(default=False, description="wrangler: --remote instead of --local")
    project_dir: str | None = Field(default=None, description="wrangler: directory of wrangler.toml")
    wrangler: str | None = Field(default=None, description="wrangler: the executable (default: the project's)")
    wrangler_env: str | None = Field(default=None, description="wrangler: --env (e.g. preview)")
    persist_to: str | None = Field(default=None, description="wrangler: --persist-to of wrangler dev")
    account_id: SecretRef | None = None
    api_token: SecretRef | None = None

    _secret = secret_fields("account_id", "api_token")

    @model_validator(mode="after")
    def _complete(self) -> Inspector:
        if self.kind == "wrangler" and not self.database:
            raise ValueError('kind = "wrangler" needs database (the D1 database name of wrangler.toml)')
        if self.kind == "cloudflare-api":
            missing = [name for name in ("account_id", "api_token", "database", "files_namespace",
                                         "cache_namespace") if getattr(self, name) is None]
            if missing:
                raise ValueError(f'kind = "cloudflare-api" needs {", ".join(missing)} '
                                 '(ids, with account_id and api_token as ${VAR} references)')
        return self


class Environment(StrictModel):
    """One environment file (``environments/<name>.toml``)."""

    name: str = ""
    description: str = ""
    profile: str = "pom-bolt"
    target: Target
    provisioning: ProvisioningConfig = Field(default_factory=ProvisioningConfig)
    policy: Policy = Field(default_factory=Policy)
    safety: Safety = Field(default_factory=Safety)
    inspector: Inspector | None = None

    @model_validator(mode="after")
    def _provisioning_is_complete(self) -> Environment:
        prov = self.provisioning
        if prov.method == "admin-api" and prov.admin_token is None and not self.target.embedded:
            raise ValueError("[provisioning] admin_token is required for method = \"admin-api\"")
        if prov.method == "static" and len(prov.tenants) < 2:
            raise ValueError("[provisioning] method = \"static\" needs at least two [[provisioning.tenants]]")
        return self


def resolve_environment_path(name_or_path: str) -> Path:
    """``local`` -> ``environments/local.toml`` (the repository's own, else the shipped one); anything with a
    suffix or a slash is a path."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        return Path(name_or_path)
    return named_file("environments", name_or_path)


def load_environment(name_or_path: str) -> Environment:
    """Read and validate an environment; every problem is a ``ConfigError`` naming file and key."""
    path = resolve_environment_path(name_or_path)
    if not path.exists():
        known = ", ".join(known_names("environments"))
        raise ConfigError(f"environment {name_or_path!r} not found ({path}); known environments: {known}")
    data = read_toml(path)
    data.setdefault("name", path.stem)
    return load_model(Environment, data, path)
