"""The environment: where a run goes (a URL or the embedded reference target) and how carefully.

Secrets appear in these files only as ``${VAR}`` references, resolved when the file is loaded so that a
missing variable stops the run before any request, with the variable named. ``[target] base_url`` and the
inspector's paths may be ``${VAR}`` references too (resolved the same way, but not secrets: reports show
them).

Relative paths in an environment (a ``profile`` given as a path, the inspector's ``d1_path``, ``kv_path``,
``project_dir``, ``persist_to`` and a ``wrangler`` path) are taken from the environment file's own folder,
whatever folder the run starts in; ``load_environment`` makes them absolute. A bare profile name
(``pom-bolt``) is looked up as always (``tenantcheck.bundled.named_file``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from tenantcheck.bundled import known_names, named_file
from tenantcheck.config.tomlconfig import (
    SecretRef,
    StrictModel,
    describe_error,
    load_model,
    read_toml,
    secret_fields,
    variable_fields,
)
from tenantcheck.engine.canaries import MARKER
from tenantcheck.errors import ConfigError

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


class Target(StrictModel):
    """What to test: a running deployment (``base_url``) or the embedded reference target."""

    embedded: bool = False
    app: Literal["reference", "ledger"] = Field(
        default="reference", description="embedded only: the reference target (Pom Bolt's shape) or the Ledger")
    base_url: str | None = None
    mode: Literal["token", "header"] | None = Field(
        default=None, description="identity mode of the target; absent: the profile's"
    )
    strict: bool = True
    default_tenant: str = "default"
    flaws: list[str] = Field(default_factory=list, description="embedded only: reference flaws to switch on")
    latency_ms: int = Field(default=0, ge=0, le=10_000, description="embedded only: added delay per request")
    shape: Literal["contract", "bare"] = "contract"
    token_ttl: float | None = Field(default=None, gt=0, description="embedded Ledger only: session token lifetime")

    _variables = variable_fields("base_url")

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
        if not self.embedded and (self.flaws or self.latency_ms or self.shape != "contract" or self.app != "reference"):
            raise ValueError("app, flaws, latency_ms and shape configure the embedded target only")
        if self.app == "ledger" and (self.latency_ms or self.shape != "contract"):
            raise ValueError("latency_ms and shape configure the embedded reference target, not the Ledger")
        if self.token_ttl is not None and not (self.embedded and self.app == "ledger"):
            raise ValueError("token_ttl configures the embedded Ledger only")
        return self


class StaticTenant(StrictModel):
    """A tenant that already exists on the target, with its API key (token mode)."""

    id: str
    key: SecretRef | None = None
    name: str | None = None
    marker: str | None = Field(
        default=None, description="a canary marker (tcm + 16 hex digits) the operator planted in this tenant's "
        "data, for runs that write nothing: its own list must show it, and no one else may see it")

    _secret = secret_fields("key")

    @field_validator("marker")
    @classmethod
    def _a_marker(cls, value: str | None) -> str | None:
        if value is not None and not MARKER.fullmatch(value):
            raise ValueError(f"marker {value!r} is not tcm + 16 hex digits (python -c 'import secrets; "
                             "print(\"tcm\" + secrets.token_hex(8))')")
        return value

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not TENANT_ID.match(value):
            raise ValueError(f"tenant id {value!r} does not match {TENANT_ID.pattern}")
        return value


class ProvisioningConfig(StrictModel):
    """Where test tenants come from: an admin API, sign-up (and login), tenants that exist already
    (``static``), or self-asserted ids (``header``)."""

    method: Literal["admin-api", "signup", "static", "header"] = "admin-api"
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

    Relative paths (``PATHS``) are taken from the environment file's folder (``load_environment``).
    """

    PATHS: ClassVar[tuple[str, ...]] = ("d1_path", "kv_path", "project_dir", "persist_to")

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
    _variables = variable_fields(*PATHS)  # a state dir a start script chose (``${POMBOLT_STATE}``)

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

    _folder: Path | None = PrivateAttr(default=None)  # the file's folder (not a key of the file)

    @property
    def folder(self) -> Path | None:
        """The folder of the file this environment was loaded from; relative paths in it start there."""
        return self._folder

    def located(self, folder: Path) -> Environment:
        """This environment with its relative paths taken from ``folder`` (made absolute)."""
        update: dict[str, object] = {}
        if is_path(self.profile):
            update["profile"] = from_folder(folder, self.profile)
        if self.inspector is not None:
            paths = {name: from_folder(folder, value) for name in Inspector.PATHS
                     if (value := getattr(self.inspector, name)) is not None}
            if self.inspector.wrangler is not None and "/" in self.inspector.wrangler:  # a path, not a name on PATH
                paths["wrangler"] = from_folder(folder, self.inspector.wrangler)
            update["inspector"] = self.inspector.model_copy(update=paths)
        located = self.model_copy(update=update)
        located._folder = folder
        return located

    @model_validator(mode="after")
    def _provisioning_is_complete(self) -> Environment:
        prov = self.provisioning
        if prov.method == "admin-api" and prov.admin_token is None and not self.target.embedded:
            raise ValueError("[provisioning] admin_token is required for method = \"admin-api\"")
        if prov.method == "static" and len(prov.tenants) < 2:
            raise ValueError("[provisioning] method = \"static\" needs at least two [[provisioning.tenants]]")
        return self


def is_path(name_or_path: str) -> bool:
    """A ``profile`` or ``--env`` value with a ``.toml`` suffix or a slash is a path; else a bare name."""
    return name_or_path.endswith(".toml") or "/" in name_or_path


def from_folder(folder: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)


def with_base_url(env: Environment, url: str) -> Environment:
    """``--base-url URL``: the environment with another target URL (validated as ``base_url`` is)."""
    if env.target.embedded:
        raise ConfigError(f"--base-url {url}: the environment {env.name!r} has an embedded target (embedded = true); "
                          "--base-url replaces the base_url of an environment that has one")
    try:
        target = Target.model_validate({**env.target.model_dump(), "base_url": url})
    except ValidationError as error:
        issues = "; ".join(describe_error(Target, issue).removeprefix("base_url: ")
                           for issue in error.errors(include_url=False)[:3])
        raise ConfigError(f"--base-url: {issues}") from None
    return env.model_copy(update={"target": target})


def resolve_environment_path(name_or_path: str) -> Path:
    """``local`` -> ``environments/local.toml`` (the repository's own, else the shipped one); anything with a
    suffix or a slash is a path."""
    if is_path(name_or_path):
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
    return load_model(Environment, data, path).located(path.resolve().parent)
