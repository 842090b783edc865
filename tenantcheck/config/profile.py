"""The profile: what a target's API looks like (resources, operations, bodies, shapes, identity, provisioning).

Suites never hard-code a path or a resource name: they ask the profile which resources it declares and
which operations each has (``books.get``), and the profile says how to call them. An operation a profile
lacks makes the checks that need it not-applicable.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from pydantic import Field, field_validator, model_validator

from tenantcheck.bundled import known_names, named_file
from tenantcheck.config.tomlconfig import StrictModel, load_model, read_toml
from tenantcheck.errors import ConfigError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
OBJECT_OPERATIONS = ("get", "update", "delete", "read")
OPERATION_KEYS = ("create", "write", "list", "get", "read", "update", "delete", "upsert")
ACCESS_CASES = ("TC-02", "TC-03", "TC-04")

# Values the engine supplies to every template, besides a resource's declared fields and ids.
ALWAYS = frozenset({"tenant_id"})
API_FIELDS: dict[str, frozenset[str]] = {
    "api.health": frozenset(),
    "api.search": frozenset({"query"}),
    "api.download": frozenset({"key"}),
    "api.access_logs": frozenset(),
    "admin.create": frozenset({"tenant_name"}),
    "admin.delete": frozenset(),
    "admin.list": frozenset(),
    "admin.access_logs": frozenset(),
    "signup.signup": frozenset({"tenant_name", "email", "password"}),
    "signup.login": frozenset({"tenant_name", "email", "password"}),
}
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Names = list[str]  # an alias: models below have a field called ``list`` that shadows the builtin


def off_when_empty(value: Any) -> Any:
    """TOML has no null: ``""`` switches an optional setting off."""
    return None if value == "" else value


class Operation(StrictModel):
    """One HTTP call: method, path template, query, headers, a body template and the answer's shape."""

    method: Method
    path: str
    query: dict[str, str] = Field(default_factory=dict, description="query parameters (templates)")
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers (templates)")
    body: dict[str, Any] | list[Any] | str | None = Field(
        default=None, description="a table (JSON or form), an array (a JSON bulk body) or a string (text)")
    body_format: Literal["json", "form", "text"] = "json"
    items: str | None = Field(
        default=None, description="dotted field holding a list response's array; absent: a bare array"
    )
    object: str | None = Field(default=None, description="dotted field wrapping a single object")
    response: Literal["json", "text", "binary"] = "json"
    deny_statuses: list[int] | None = Field(default=None, description="what a refusal of this operation is")

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"path template must start with '/' (got {path!r})")
        return path

    @model_validator(mode="after")
    def _body_fits_its_format(self) -> Operation:
        if self.body_format == "text" and not isinstance(self.body, str | None):
            raise ValueError("body_format = \"text\" takes a string body template")
        if self.body_format != "text" and isinstance(self.body, str):
            raise ValueError(f"body_format = \"{self.body_format}\" takes a table body template")
        if self.body_format == "form" and isinstance(self.body, list):
            raise ValueError("body_format = \"form\" takes a table body template, not an array")
        return self

    def fields(self) -> set[str]:
        """Every placeholder the path, query, headers and body name."""
        found = set(PLACEHOLDER.findall(self.path))
        for text in (repr(self.query), repr(self.headers), repr(self.body)):
            found |= set(PLACEHOLDER.findall(text))
        return found

    def path_fields(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.path)) | set(PLACEHOLDER.findall(repr(self.query)))

    def render_path(self, values: dict[str, Any]) -> str:
        """Fill the path and query; values are percent-encoded (``/``, ``:`` and ready-made ``%XX`` kept in
        the path)."""
        base, sep, query = self.path.partition("?")
        path = PLACEHOLDER.sub(lambda m: quote(str(values[m.group(1)]), safe="/:@-._~%"), base)
        if sep:
            path += "?" + PLACEHOLDER.sub(lambda m: quote(str(values[m.group(1)]), safe=""), query)
        if self.query:
            extra = urlencode({name: fill(value, values) for name, value in self.query.items()})
            path += ("&" if sep else "?") + extra
        return path

    def render_headers(self, values: dict[str, Any]) -> dict[str, str]:
        return {name: str(fill(value, values)) for name, value in self.headers.items()}

    def render_body(self, values: dict[str, Any]) -> Any:
        """Fill the body template; a string that is exactly one placeholder keeps the value's type."""
        return None if self.body is None else fill(self.body, values)


def fill(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    return template


class FieldSpec(StrictModel):
    """What one placeholder of a resource's bodies holds.

    ``sensitive``: realistic text carrying the tenant's canary marker (the data a leak would show);
    ``public``: unique per object, URL-safe and marker-free (titles, slugs, names that are public by
    design); ``constant``: ``value`` as given; ``faker``: a value of the named Faker provider (``email``)."""

    kind: Literal["sensitive", "public", "constant", "faker"]
    value: Any = None
    faker: str | None = None
    max_length: int | None = Field(default=None, ge=20, description="longest value the API takes (markers kept)")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"kind": data}
        if isinstance(data, dict) and "kind" not in data:
            if "faker" in data:
                return {**data, "kind": "faker"}
            if "value" in data:
                return {**data, "kind": "constant"}
        return data

    @model_validator(mode="after")
    def _complete(self) -> FieldSpec:
        if self.kind == "constant" and self.value is None:
            raise ValueError("a constant field needs a value")
        if self.kind == "faker" and not self.faker:
            raise ValueError("a faker field names its provider: faker = \"email\"")
        return self


SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def sql_names(*names: str) -> Any:
    """A ``field_validator``: the named fields are SQL identifiers (they are put into queries)."""

    def check(cls: type[StrictModel], value: Any) -> Any:
        if isinstance(value, str) and not SQL_NAME.match(value):
            raise ValueError(f"{value!r} is not a plain SQL table or column name")
        return value

    return field_validator(*names)(check)


class Table(StrictModel):
    """A SQL table (D1, SQLite) holding rows of a resource's objects, each naming its owner."""

    table: str
    id_column: str = Field(default="id", description="the column holding the object's id")
    owner_column: str = Field(default="tenant_id", description="the column naming the owner tenant")

    _names = sql_names("table", "id_column", "owner_column")


class KeyValue(StrictModel):
    """Where a resource's content lives in key-value storage: the key pattern (with the tenant's place in
    it) and the store, a KV namespace or a key-value table of the SQL database."""

    key: str = Field(description="the key pattern, from the object's address and {tenant_id}")
    namespace: str | None = Field(default=None, description="a KV namespace (binding name, e.g. FILES)")
    table: str | None = Field(default=None, description="or a SQL table of keys")
    key_column: str = "key"

    _names = sql_names("table", "key_column")

    @model_validator(mode="after")
    def _one_store(self) -> KeyValue:
        if (self.namespace is None) == (self.table is None):
            raise ValueError("name the store: namespace = \"FILES\" (KV) or table = \"blobs\" (SQL), one of them")
        if "{tenant_id}" not in self.key:
            raise ValueError("the key pattern must say where the tenant is ({tenant_id})")
        return self


class Storage(StrictModel):
    """Where a resource is stored, for the storage oracles (TC-06, TC-07, TC-08, TX-02 with an inspector):
    its tables (the first is the object's home row, others hold rows about it) and its key-value place."""

    tables: list[Table] = Field(default_factory=list)
    kv: KeyValue | None = None


class AuditTable(StrictModel):
    """The SQL table where the target records access attempts (TC-06: a denied attempt is a failed row)."""

    table: str
    tenant_column: str = "tenant_id"
    resource_column: str = "resource_id"
    success_column: str = "success"

    _names = sql_names("table", "tenant_column", "resource_column", "success_column")


class Resource(StrictModel):
    """A kind of stored object: where its ids come from, its fields and the operations on it."""

    parent: str | None = Field(default=None, description="the resource this one is nested under")
    parent_id: str = Field(default="parent_id", description="the placeholder holding the parent's id")
    id_field: str = Field(default="id", description="the field naming an object's id in answers and list items")
    id_from: Literal["response", "location", "request"] = Field(
        default="response",
        description="response: the create answer's id_field; location: the Location header's last segment; "
        "request: the value the create request sent (id_placeholder)")
    id_placeholder: str | None = Field(default=None, description="with id_from = request: the field sent as id")
    owner_field: str | None = Field(default="tenant_id", description="field naming the owner; \"\" for none")
    sensitive: Names = Field(default_factory=list, description="fields that carry the tenant's canary marker")
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    case: str | None = Field(default=None, description="the guide case reporting access to these objects")
    state_fields: Names | None = Field(default=None, description="what the state oracle compares (all fields)")
    create: Operation | None = None
    write: Operation | None = None  # a create that names the object's id (files written at a path)
    list: Operation | None = None
    get: Operation | None = None
    read: Operation | None = None  # a get whose answer is the content (text)
    update: Operation | None = None
    delete: Operation | None = None
    upsert: Operation | None = Field(
        default=None, description="a sync/import/bulk write of objects the client names by id ({id}), with "
        "an owner value ({tenant_id} in the body) when it takes one")
    actions: dict[str, Operation] = Field(default_factory=dict, description="extra operations on one object")
    storage: Storage | None = None

    _owner_off = field_validator("owner_field", "id_placeholder", mode="before")(off_when_empty)

    @model_validator(mode="after")
    def _consistent(self) -> Resource:
        if self.create and self.write:
            raise ValueError("declare either create or write (a create that names the id), not both")
        if self.get and self.read:
            raise ValueError("declare either get or read (a get answering the content), not both")
        clash = set(self.actions) & {*OPERATION_KEYS, "actions"}
        if clash:
            raise ValueError(f"action names {', '.join(sorted(clash))} are operation names")
        for name in self.actions:
            if not NAME.match(name):
                raise ValueError(f"action name {name!r} must be lower case letters, digits, - and _")
        if self.case is not None and self.case not in ACCESS_CASES:
            raise ValueError(f"case must be one of {', '.join(ACCESS_CASES)} (got {self.case!r})")
        if self.id_from == "request" and self.id_key not in self.field_specs:
            raise ValueError(f"id_from = \"request\" sends the id as {{{self.id_key}}}: declare it in fields")
        if self.upsert is not None and not {"id", self.id_key} & set(PLACEHOLDER.findall(repr(self.upsert.body))):
            raise ValueError("upsert names the objects it writes by id: put {id} in its body")
        return self

    @property
    def id_key(self) -> str:
        """The placeholder holding an object's id in paths (``{id}``, or the field a request names it by)."""
        return (self.id_placeholder or self.id_field) if self.id_from == "request" else "id"

    @cached_property
    def field_specs(self) -> dict[str, FieldSpec]:
        """Declared fields, with ``sensitive`` names as sensitive fields."""
        specs = {name: FieldSpec(kind="sensitive") for name in self.sensitive}
        return {**specs, **self.fields}

    @property
    def creator(self) -> str | None:
        return "write" if self.write else "create" if self.create else None

    @property
    def getter(self) -> str | None:
        return "read" if self.read else "get" if self.get else None

    def operations(self) -> dict[str, Operation]:
        found = {key: getattr(self, key) for key in OPERATION_KEYS if getattr(self, key) is not None}
        return {**found, **self.actions}


class Api(StrictModel):
    """Operations that are not on one resource."""

    health: Operation | None = None
    search: Operation | None = None
    search_id_field: str = Field(default="id", description="field of a search hit naming its object's id")
    download: Operation | None = None
    download_resource: str | None = Field(default=None, description="the resource whose objects download reaches")
    download_key: str = Field(default="{tenant_id}:{id}", description="the key of an object of download_resource, "
                              "from its address and {tenant_id}")
    access_logs: Operation | None = None


class Identity(StrictModel):
    """How a request names its tenant, and the channels a spoofer may try (each ``""``/``[]`` for none)."""

    mode: Literal["token", "header"] = Field(
        default="token", description="token: a secret per tenant; header: the tenant id itself, unverified"
    )
    scheme: Literal["bearer", "header", "cookie"] = "bearer"
    credential_header: str = "X-Api-Key"
    cookie_name: str = "session"
    tenant_headers: list[str] = Field(default_factory=lambda: ["X-Tenant-ID"])
    tenant_query: str | None = "tenant_id"
    tenant_body_field: str | None = "tenant_id"
    tenant_bearer: bool = Field(default=False, description="the target may take a bare bearer string as the "
                                "tenant id (TX-01 tries the victim's id as the bearer)")

    _off = field_validator("tenant_query", "tenant_body_field", mode="before")(off_when_empty)

    @model_validator(mode="after")
    def _header_mode_has_a_header(self) -> Identity:
        if self.mode == "header" and not self.tenant_headers:
            raise ValueError("mode = \"header\" needs the identity header in tenant_headers")
        return self


class AdminApi(StrictModel):
    """Provisioning through an admin API with its own bearer token."""

    create: Operation
    delete: Operation
    list: Operation | None = None
    access_logs: Operation | None = None
    tenant_id_field: str = "tenant_id"
    key_field: str = "api_key"


class SignupFlow(StrictModel):
    """Provisioning by signing up, then logging in and taking a token out of the login answer.

    Both templates may name {email}, {password}, {tenant_name} and {tenant_id} (the id the run planned)."""

    signup: Operation
    login: Operation
    tenant_id_field: str | None = Field(
        default="tenant_id", description="dotted field of the sign-up (or login) answer naming the new tenant's "
        "id; \"\": the planned id is the tenant id")
    token_field: str = Field(default="token", description="dotted field of the login answer holding the token")

    _off = field_validator("tenant_id_field", mode="before")(off_when_empty)


class Provisioning(StrictModel):
    admin: AdminApi | None = None
    signup: SignupFlow | None = None


class Defaults(StrictModel):
    """What the API does by default; an environment may override it."""

    deny_statuses: list[int] = Field(default_factory=lambda: [403], min_length=1)
    log_tenant_field: str = "tenant_id"
    log_success_field: str = "success"
    log_resource_field: str = "resource_id"


class Surface(StrictModel):
    """Endpoints outside the resource model (debug, admin, health, metrics, backup routes) that the surface
    sweep (TX-09) requests anonymously and as a foreign tenant: the profile's own and a built-in list."""

    paths: Names = Field(default_factory=list, description="GET paths; may name {tenant_id} and {id}, the "
                         "victim's tenant and its main object")
    builtin: bool = Field(default=True, description="also sweep the built-in list of common debug paths")
    skip: Names = Field(default_factory=list, description="built-in paths not to request")

    @field_validator("paths", "skip")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"surface path must start with '/' (got {path!r})")
            unknown = set(PLACEHOLDER.findall(path)) - {"tenant_id", "id"}
            if unknown:
                raise ValueError(f"surface path {path!r} names {', '.join(sorted(unknown))}; it may name "
                                 "{tenant_id} and {id}")
        return paths


class Profile(StrictModel):
    name: str
    description: str = ""
    primary: str | None = Field(default=None, description="the resource tenant-wide cases use (spoofing, ...)")
    identity: Identity = Field(default_factory=Identity)
    provisioning: Provisioning = Field(default_factory=Provisioning)
    defaults: Defaults = Field(default_factory=Defaults)
    resources: dict[str, Resource] = Field(default_factory=dict)
    api: Api = Field(default_factory=Api)
    audit_storage: AuditTable | None = Field(default=None, description="where denied attempts are recorded")
    cache_storage: KeyValue | None = Field(default=None, description="where cached answers are kept")
    surface: Surface = Field(default_factory=Surface)

    @field_validator("resources")
    @classmethod
    def _names(cls, resources: dict[str, Resource]) -> dict[str, Resource]:
        for name in resources:
            if not NAME.match(name) or name in ("api", "admin", "signup"):
                raise ValueError(f"resource name {name!r} must be lower case letters, digits, - and _ "
                                 "(and not api, admin or signup)")
        return resources

    @model_validator(mode="after")
    def _parents_exist(self) -> Profile:
        for name, resource in self.resources.items():
            seen = {name}
            parent = resource.parent
            while parent is not None:
                if parent not in self.resources:
                    raise ValueError(f"[resources.{name}] parent {parent!r} is not a resource of this profile")
                if parent in seen:
                    raise ValueError(f"[resources.{name}] parents form a loop through {parent!r}")
                seen.add(parent)
                parent = self.resources[parent].parent
        if self.primary is not None and self.primary not in self.resources:
            raise ValueError(f"primary = {self.primary!r} is not a resource of this profile")
        chosen = self.api.download_resource
        if chosen is not None and chosen not in self.resources:
            raise ValueError(f"[api] download_resource {chosen!r} is not a resource of this profile")
        return self

    @model_validator(mode="after")
    def _templates_name_known_fields(self) -> Profile:
        for name, operation in self.operations.items():
            group = name.split(".", 1)[0]
            if group in self.resources:
                allowed = self.known_values(group)
                hint = f"declare it in [resources.{group}] fields"
            else:
                allowed = set(API_FIELDS[name] | ALWAYS)
                hint = "it may use: " + ", ".join(sorted(allowed))
            unknown = operation.fields() - allowed
            if unknown:
                raise ValueError(f"operation {name} names unknown field(s) {', '.join(sorted(unknown))}; {hint}")
        for name, spec in self.resources.items():
            kv = spec.storage.kv if spec.storage else None
            unknown = set(PLACEHOLDER.findall(kv.key)) - self.known_values(name) if kv else set()
            if unknown:
                raise ValueError(f"[resources.{name}.storage.kv] key names unknown field(s) "
                                 f"{', '.join(sorted(unknown))}")
        return self

    def known_values(self, resource: str) -> set[str]:
        """Placeholders a resource's templates may name: its fields, its id, its ancestors' ids, tenant_id."""
        spec = self.resources[resource]
        known = set(ALWAYS) | set(spec.field_specs) | {"id", spec.id_key}
        for child in [resource, *self.ancestors(resource)][:-1]:
            known.add(self.resources[child].parent_id)
        return known

    def ancestors(self, resource: str) -> list[str]:
        """Parent first, then its parent, up to a top-level resource."""
        found = []
        parent = self.resources[resource].parent
        while parent is not None:
            found.append(parent)
            parent = self.resources[parent].parent
        return found

    @cached_property
    def operations(self) -> dict[str, Operation]:
        """Every operation the profile defines, by dotted name (``books.get``, ``api.search``)."""
        found = {f"{name}.{key}": op for name, spec in self.resources.items() for key, op in spec.operations().items()}
        groups: dict[str, StrictModel | None] = {
            "api": self.api, "admin": self.provisioning.admin, "signup": self.provisioning.signup}
        for group, model in groups.items():
            for key, value in dict(model or {}).items():
                if isinstance(value, Operation):
                    found[f"{group}.{key}"] = value
        return found

    def operation(self, name: str) -> Operation | None:
        return self.operations.get(name)

    def resource(self, name: str) -> Resource | None:
        return self.resources.get(name)

    @cached_property
    def main(self) -> str | None:
        """The resource the tenant-wide cases use: ``primary``, else the first top-level one that can be
        created and listed, else the first that can be created."""
        if self.primary is not None:
            return self.primary
        top = [name for name, spec in self.resources.items() if spec.parent is None and spec.creator]
        listed = [name for name in top if self.resources[name].list is not None]
        return next(iter(listed or top), None)

    def in_order(self) -> list[str]:
        """Resources parents first (the order seeding creates them in)."""
        return sorted(self.resources, key=lambda name: len(self.ancestors(name)))

    def levels(self) -> list[list[str]]:
        """Resources by depth, top-level first: the creates of one level need only the levels before it."""
        levels: dict[int, list[str]] = {}
        for name in self.in_order():
            levels.setdefault(len(self.ancestors(name)), []).append(name)
        return list(levels.values())

    def case_of(self, resource: str) -> str:
        """The guide case that reports access to this resource's objects: its ``case``, else TC-02 for a
        top-level resource and TC-03 for a nested one."""
        spec = self.resources[resource]
        return spec.case or ("TC-02" if spec.parent is None else "TC-03")


def resolve_profile_path(name_or_path: str, base: Path | None = None) -> Path:
    """A bare name is looked up in ``profiles/``; anything with a suffix or slash is a path."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = Path(name_or_path)
        return path if path.is_absolute() or base is None else base / path
    return named_file("profiles", name_or_path)


def load_profile(name_or_path: str, base: Path | None = None) -> Profile:
    """Read and validate a profile; every problem is a ``ConfigError`` naming file and key."""
    path = resolve_profile_path(name_or_path, base)
    if not path.exists():
        known = ", ".join(known_names("profiles"))
        raise ConfigError(f"profile {name_or_path!r} not found ({path}); known profiles: {known}")
    return load_model(Profile, read_toml(path), path)
