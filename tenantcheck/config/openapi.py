"""A profile drafted from an OpenAPI document: resources, operations, ids, bodies, identity, channels.

Parsing and ``$ref`` resolution are prance's (validated by openapi-spec-validator); this module only maps
what the document says onto the profile model. Every guess is marked in the draft with a ``# TODO``
comment, and what cannot be mapped is listed with its reason, so nothing is silently left untested.

The mapping: ``/books`` and ``/books/{id}`` are one resource ``books`` (collection ``GET`` -> list, ``POST``
-> create; item ``GET`` -> get, ``PATCH``/``PUT`` -> update, ``DELETE`` -> delete; ``/books/{id}/send`` an
action); a collection under an item path is a child of that resource; a path parameter named like a tenant
(``org_id``, ``tenant_id``, ...) is the caller's own ``{tenant_id}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from tenantcheck.errors import ConfigError

TENANT_COLLECTION = re.compile(r"/(tenants|orgs|organi[sz]ations|accounts|workspaces|teams)$", re.I)
TENANT_NAME = re.compile(r"^(x-)?(tenant|org|organi[sz]ation|account|workspace|team|company)([-_]?id)?$", re.I)
PARAM = re.compile(r"^\{([^}]+)\}$")
METHODS = ("get", "post", "put", "patch", "delete")
ID_NAMES = ("id", "uuid", "key")
TOKEN_NAMES = ("token", "access_token", "accessToken", "jwt", "session_token")
FAKER_FORMATS = {"email": "email", "uuid": "uuid4", "date-time": "iso8601", "date": "date", "uri": "url",
                 "url": "url", "hostname": "hostname", "ipv4": "ipv4"}
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
BULK = re.compile(r"/(import|sync|bulk|batch|upsert)$")  # a POST writing many objects of the collection above
TABLES = frozenset({"actions"})  # nested tables written as [resources.x.actions]


def load_spec(source: str) -> dict[str, Any]:
    """The document at ``source`` (a file, JSON or YAML, or an http(s) URL), ``$ref``s resolved and
    validated; a ``ConfigError`` naming the source otherwise."""
    import prance

    try:
        parser = prance.ResolvingParser(source, backend="openapi-spec-validator", strict=False)
    except Exception as error:  # prance raises its own and the validator's errors, and OSError
        raise ConfigError(f"{source}: not a valid OpenAPI document: {error}") from None
    spec: dict[str, Any] = parser.specification
    version = str(spec.get("openapi") or spec.get("swagger") or "")
    if not version.startswith("3."):
        raise ConfigError(f"{source}: OpenAPI {version or '?'} documents are not read; convert it to 3.x first "
                          "(e.g. with swagger2openapi)")
    return spec


def flatten(node: Any, depth: int = 0) -> Any:
    """The document with every ``allOf`` merged into one schema (properties and required of all parts) and
    ``oneOf``/``anyOf`` taken at their first choice: the mapping reads one schema per body and answer."""
    if depth > 40:  # a self-referencing schema, resolved: deep enough for any body or answer
        return node
    if isinstance(node, list):
        return [flatten(item, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: flatten(value, depth + 1) for key, value in node.items()}
    for choice in ("oneOf", "anyOf"):
        if choice in node and node[choice]:
            node = {**{k: v for k, v in node.items() if k != choice}, **node[choice][0]}
    if "allOf" in node:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            for key, value in part.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required":
                    merged["required"] = [*merged.get("required", []), *value]
                else:
                    merged.setdefault(key, value)
        node = merged
    return node


@dataclass
class Draft:
    """What the mapping made of a document: the profile's text, and what a person should review."""

    profile: dict[str, Any]
    todos: list[str] = field(default_factory=list)  # key -> what to review, in the order found
    skipped: list[str] = field(default_factory=list)  # "METHOD /path: why"
    mapped: int = 0

    def note(self, key: str, text: str) -> None:
        self.todos.append(f"{key}: {text}")


def singular(name: str) -> str:
    return name[:-3] + "y" if name.endswith("ies") else name[:-1] if name.endswith("s") else name


def resource_name(segment: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", segment.lower()).strip("_-") or "items"


def schema_of(operation: dict[str, Any], status_prefix: str = "2") -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The JSON schema of the first matching response, and that response (headers and all)."""
    for status, response in sorted((operation.get("responses") or {}).items()):
        if str(status).startswith(status_prefix):
            content = (response or {}).get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None)
            return ((media or {}).get("schema") if media else None), response or {}
    return None, {}


def array_path(schema: dict[str, Any] | None, depth: int = 0) -> str | None:
    """Dotted path of the array in a list answer ("" for a bare array), or None."""
    if not schema or depth > 2:
        return None
    if schema.get("type") == "array":
        return ""
    for name, child in (schema.get("properties") or {}).items():
        found = array_path(child, depth + 1)
        if found is not None:
            return ".".join(part for part in (name, found) if part)
    return None


def item_schema(schema: dict[str, Any] | None, path: str | None) -> dict[str, Any]:
    node = schema or {}
    for part in (path or "").split("."):
        if part:
            node = (node.get("properties") or {}).get(part) or {}
    return (node.get("items") or {}) if node.get("type") == "array" else node


def unwrap(schema: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """An object answer's wrapper field (``{"data": {...}}`` -> "data") and the object's schema."""
    properties = (schema or {}).get("properties") or {}
    if len(properties) == 1:
        (name, inner), = properties.items()
        if (inner or {}).get("type") == "object" or (inner or {}).get("properties"):
            return name, inner
    return None, schema or {}


def find_field(schema: dict[str, Any], names: tuple[str, ...], depth: int = 0) -> str | None:
    """Dotted path of the first property named in ``names`` (or ending in ``_id`` for ids), breadth first."""
    properties = schema.get("properties") or {}
    for name in names:
        if name in properties:
            return str(name)
    if depth < 2:
        for name, child in properties.items():
            found = find_field(child or {}, names, depth + 1)
            if found:
                return f"{name}.{found}"
    return None


def owner_of(schema: dict[str, Any]) -> str | None:
    return next((name for name in (schema.get("properties") or {}) if TENANT_NAME.match(name)), None)


def field_spec(name: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """What to send for one body property, and what to review about it (None: nothing)."""
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((item for item in kind if item != "null"), None)
    if "enum" in schema:
        return {"value": schema["enum"][0]}, None
    if kind in ("integer", "number"):
        return {"value": schema.get("minimum", 1)}, None
    if kind == "boolean":
        return {"value": True}, None
    if kind == "string" and schema.get("format") in FAKER_FORMATS:
        return {"faker": FAKER_FORMATS[schema["format"]]}, None
    if kind in (None, "string"):
        limit = schema.get("maxLength")
        spec: Any = {"kind": "sensitive", "max_length": max(int(limit), 20)} if limit and int(limit) < 120 \
            else "sensitive"
        return spec, f"field {name} carries the tenant's marker: make it \"public\" if it is public by design"
    return {"value": {} if kind == "object" else []}, f"field {name} ({kind}) is sent empty: describe its content"


def request_body(operation: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The body format (json, form, text) and the request schema of an operation."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media, kind in (("application/json", "json"), ("application/x-www-form-urlencoded", "form"),
                        ("multipart/form-data", "form"), ("text/plain", "text")):
        if media in content:
            return kind, (content[media] or {}).get("schema") or {}
    return "json", None


@dataclass
class PathShape:
    """A path split into the collection it names and its trailing id parameter (for item paths)."""

    path: str
    collection: str  # the path without a trailing id parameter
    item_param: str | None
    action: str | None  # /books/{id}/send -> "send"


def shape(path: str, collections: frozenset[str] = frozenset()) -> PathShape:
    """``/books/{id}`` is an item of ``/books``; ``/books/{id}/send`` an action on it, unless it is itself a
    collection (``collections``: paths with an item path under them, or whose GET answers an array)."""
    parts = [part for part in path.split("/") if part]
    if parts and PARAM.match(parts[-1]):
        return PathShape(path, "/" + "/".join(parts[:-1]), PARAM.match(parts[-1]).group(1), None)  # type: ignore[union-attr]
    if len(parts) >= 3 and PARAM.match(parts[-2]) and not PARAM.match(parts[-3]) and path not in collections:
        return PathShape(path, "/" + "/".join(parts[:-2]), PARAM.match(parts[-2]).group(1), parts[-1])  # type: ignore[union-attr]
    return PathShape(path, path.rstrip("/") or "/", None, None)


def collection_paths(paths: dict[str, dict[str, Any]]) -> frozenset[str]:
    """Paths that are collections: an item path (``<path>/{x}``) exists under them, or their GET answers
    an array."""
    found = {path.rsplit("/", 1)[0] for path in paths if PARAM.match(path.rsplit("/", 1)[-1])}
    found |= {path for path, item in paths.items()
              if (item or {}).get("get") and array_path(schema_of(item["get"])[0]) is not None}
    return frozenset(found)


def template(path: str, id_param: str | None, id_key: str, renames: dict[str, str]) -> str:
    """The path as a profile template: the item parameter as ``{id}`` (or the field a request names),
    tenant-like parameters as ``{tenant_id}``, parents' ids under their own names."""
    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == id_param:
            return "{" + id_key + "}"
        return "{" + renames.get(name, name) + "}"

    return re.sub(r"\{([^}]+)\}", rename, path)


def draft_profile(spec: dict[str, Any], name: str) -> Draft:
    """The profile a document describes, with what to review."""
    spec = flatten(spec)
    draft = Draft(profile={"name": name, "description": f"drafted from {spec.get('info', {}).get('title', name)}"})
    paths: dict[str, dict[str, Any]] = spec.get("paths") or {}
    renames = {param: "tenant_id" for path in paths for param in re.findall(r"\{([^}]+)\}", path)
               if TENANT_NAME.match(param)}
    collections: dict[str, dict[tuple[str, str | None, str | None], tuple[str, dict[str, Any]]]] = {}
    api: dict[str, Any] = {}
    provisioning: dict[str, Any] = {}
    known = collection_paths(paths)
    for path, item in paths.items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if operation is None:
                continue
            lowered = path.lower()
            where = shape(path, known)
            admin = "/admin/" in lowered or lowered.startswith("/admin")
            if admin and not TENANT_COLLECTION.search(where.collection):
                draft.skipped.append(f"{method.upper()} {path}: an admin operation, not a tenant's data")
                continue
            if re.search(r"(sign-?up|register)$", lowered) and method == "post":
                provisioning["signup"] = (path, operation)
            elif re.search(r"(log-?in|sign-?in|sessions?|token)$", lowered) and method == "post":
                provisioning["login"] = (path, operation)
            elif re.search(r"(health|healthz|status|ping)$", lowered) and method == "get":
                api["health"] = {"method": "GET", "path": path}
            elif method == "get" and re.search(r"(search)$", lowered):
                api["search"] = (path, operation)
            elif method == "get" and re.search(r"(audit|access-logs?|events)$", lowered):
                api["access_logs"] = (path, operation)
            elif TENANT_COLLECTION.search(where.collection) and where.action is None:
                provisioning.setdefault("admin", {})[(method, where.item_param is not None)] = (path, operation)
            elif method == "get" and re.search(r"/download/\{[^}]+\}$", lowered):
                api["download"] = path
            elif method == "post" and BULK.search(lowered):
                collections.setdefault(path.rsplit("/", 1)[0], {})[("upsert", None, None)] = (path, operation)
            else:
                collections.setdefault(where.collection, {})[(method, where.item_param, where.action)] = (path,
                                                                                                        operation)
    resources = draft.profile.setdefault("resources", {})
    parents: dict[str, tuple[str, str]] = {}  # item path -> (resource, its id parameter)
    for collection in sorted(collections, key=lambda c: c.count("/")):
        segment = next((part for part in reversed(collection.split("/")) if part and not PARAM.match(part)), "")
        if not segment:
            draft.skipped += [f"{method.upper()} {path}: no resource name in the path"
                              for (method, _, _), (path, _) in collections[collection].items()]
            continue
        resource = resource_name(segment)
        while resource in resources:
            resource += "_2"
        spec_of = map_resource(draft, resource, collection, collections[collection], renames, parents, resources)
        if spec_of is None:
            continue
        resources[resource] = spec_of
    scoped = [name for name, entry in resources.items() if "parent" not in entry and "create" in entry
              and "list" in entry and "{tenant_id}" in entry["list"]["path"]]
    if scoped:  # the tenant-wide cases (spoofing, probing, cache) attack a tenant-scoped resource first
        draft.profile["primary"] = scoped[0]
    map_api(draft, api)
    map_identity(draft, spec, provisioning)
    channels(draft, spec)
    deny = {str(status) for item in paths.values() for operation in (item or {}).values()
            if isinstance(operation, dict) for status in (operation.get("responses") or {})}
    defaults = draft.profile.setdefault("defaults", {})
    if "404" in deny and "403" not in deny:
        defaults["deny_statuses"] = [404]
    else:
        defaults["deny_statuses"] = [403, 404] if "404" in deny else [403]
        draft.note("[defaults] deny_statuses", "the statuses a cross-tenant request is refused with: keep only the "
                   "ones your API answers")
    return draft


def map_resource(draft: Draft, resource: str, collection: str, ops: dict[Any, Any], renames: dict[str, str],
                 parents: dict[str, tuple[str, str]], known: dict[str, Any]) -> dict[str, Any] | None:
    spec: dict[str, Any] = {}
    key = f"[resources.{resource}]"
    parent_path = collection.rsplit("/", 1)[0]
    if parent_path in parents:
        parent, parent_param = parents[parent_path]
        spec["parent"], spec["parent_id"] = parent, parent_param
    item_param = next((param for (_, param, _) in ops if param), None)
    create = ops.get(("post", None, None))
    put_item = ops.get(("put", item_param, None))
    id_key = "id"
    fields: dict[str, Any] = {}
    if create is None and put_item is not None:
        # A PUT on an item that no POST creates: the client names the id (a file at a path).
        spec["id_from"], spec["id_field"] = "request", str(item_param)
        id_key = str(item_param)
        fields[id_key] = "public"
        draft.note(f"{key} id_from", f"objects are written with PUT at a name the client chooses ({item_param})")
    elif create is not None and item_param:
        # A body field is the item parameter (path for {file_path}): the request names the id, and its value
        # goes into URLs, so it carries a path marker of its own (see World.values).
        _, body_schema = request_body(create[1])
        named = next((name for name in (body_schema or {}).get("properties") or {}
                      if item_param == name or item_param.endswith(f"_{name}") or name.endswith(f"_{item_param}")),
                     None)
        if named:
            spec.update(id_from="request", id_field=str(item_param), id_placeholder=named)
            id_key = named
            draft.note(f"{key} id_from", f"the request's {named} is taken as the id (list items' {item_param})")
    operations: dict[str, dict[str, Any]] = {}
    for (method, param, action), (path, operation) in sorted(ops.items(), key=lambda entry: str(entry[0])):
        where = f"{method.upper()} {path}"
        if method == "upsert":
            bulk = upsert_entry(draft, key, path, operation, fields)
            if bulk is None:
                draft.skipped.append(f"POST {path}: a bulk write whose body is not an array of objects with ids")
            else:
                operations["upsert"] = bulk
                draft.mapped += 1
            continue
        kind = {("get", False): "list", ("post", False): "create", ("get", True): "get", ("patch", True): "update",
                ("put", True): "write" if spec.get("id_from") == "request" else "update",
                ("delete", True): "delete"}.get((method, param is not None)) if action is None else action
        if kind is None:
            draft.skipped.append(f"{where}: no profile operation for {method.upper()} on a collection")
            continue
        if kind == "update" and "update" in operations:
            draft.skipped.append(f"{where}: {resource} already has an update ({operations['update']['method']})")
            continue
        entry: dict[str, Any] = {"method": method.upper(), "path": template(path, param, id_key, renames)}
        body_format, body_schema = request_body(operation)
        if body_schema is not None and method != "get":
            if "parent" not in spec:  # a create naming another resource's id (project_id) is made under it
                for name in (body_schema.get("properties") or {}):
                    referenced = f"{name.removesuffix('_id')}s"
                    if name.endswith("_id") and referenced in known and known[referenced].get("get"):
                        spec["parent"], spec["parent_id"] = referenced, name
            entry.update(body_fields(draft, key, body_format, body_schema, fields, skip={spec.get("parent_id")}))
        answer, response = schema_of(operation)
        if kind == "list" and array_path(answer) is None and create is None:
            draft.skipped.append(f"{where}: answers one object, not a list of a resource")
            continue
        if kind == "list":
            found = array_path(answer)
            if found:
                entry["items"] = found
            elif found is None:
                draft.note(f"{key} list", "the list answer's array was not found in its schema: set items")
        elif kind in ("get", "update", "create") or action:
            wrapper, _ = unwrap(answer)
            if wrapper:
                entry["object"] = wrapper
        if kind == "get" and not any("json" in media for media in response.get("content") or {}):
            entry["response"] = "text"
            kind = "read"
        target = spec.setdefault("actions", {}) if action else operations
        target[kind] = entry
        draft.mapped += 1
    spec.update(operations)
    if "create" in operations and spec.get("id_from") != "request":
        ids(draft, key, spec, create if create else ("", {}), item_param)
    if not operations and not spec.get("actions"):
        return None
    getter = ops.get(("get", item_param, None))
    listing = ops.get(("get", None, None))
    if getter:
        item = unwrap(schema_of(getter[1])[0])[1]
    else:
        answer = schema_of(listing[1])[0] if listing else None
        item = item_schema(answer, array_path(answer))
    owner = owner_of(item)
    spec["owner_field"] = owner or ""
    if owner is None:
        draft.note(f"{key} owner_field", "no field naming the owner tenant was found: the ownership oracle is off")
    if fields:
        spec["fields"] = fields
    if item_param and ("get" in operations or "read" in operations):
        parents[collection] = (resource, str(item_param))
        parents[f"{collection}/{{{item_param}}}"] = (resource, str(item_param))
    return spec


def body_fields(draft: Draft, key: str, body_format: str, schema: dict[str, Any], fields: dict[str, Any],
                skip: AbstractSet[str | None] = frozenset()) -> dict[str, Any]:
    if body_format == "text":
        fields.setdefault("content", "sensitive")
        return {"body": "{content}", "body_format": "text"}
    required = set(schema.get("required") or [])
    body: dict[str, str] = {}
    for name, child in (schema.get("properties") or {}).items():
        if TENANT_NAME.match(name):
            continue  # the owner field: sent only by the mass-assignment and spoofing cases
        if (child or {}).get("readOnly"):
            continue
        placeholder = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if placeholder not in fields and name not in skip:
            spec, todo = field_spec(name, child or {})
            fields[placeholder] = spec
            if todo and (name in required or not required):
                draft.note(f"{key} fields", todo)
        body[name] = "{" + placeholder + "}"
    entry: dict[str, Any] = {"body": body}
    if body_format != "json":
        entry["body_format"] = body_format
    return entry


def upsert_entry(draft: Draft, key: str, path: str, operation: dict[str, Any],
                 fields: dict[str, Any]) -> dict[str, Any] | None:
    """A bulk write (``POST /notes/import``) as an upsert: its body's array (bare, or the one array property)
    with one object naming ``{id}`` and, where it has one, the owner field as ``{tenant_id}``."""
    body_format, schema = request_body(operation)
    if body_format != "json" or not schema:
        return None
    wrapper, array = None, schema
    if schema.get("type") != "array":
        arrays = [(name, child) for name, child in (schema.get("properties") or {}).items()
                  if (child or {}).get("type") == "array"]
        if len(arrays) != 1:
            return None
        wrapper, array = arrays[0]
    item = (array or {}).get("items") or {}
    properties = item.get("properties") or {}
    id_name = next((name for name in properties if name in ID_NAMES or (name.endswith("_id") and
                                                                       not TENANT_NAME.match(name))), None)
    if id_name is None:
        return None
    rest = {name: child for name, child in properties.items() if name != id_name}
    one = {id_name: "{id}", **body_fields(draft, key, "json", {**item, "properties": rest}, fields)["body"]}
    owner = owner_of(item)
    if owner:
        one[owner] = "{tenant_id}"
    draft.note(f"{key} upsert", "a bulk write (TX-08 sends another tenant's ids and owner value): check that "
               "{id} names the object and {tenant_id} its owner as the API reads them")
    return {"method": "POST", "path": path, "body": {wrapper: [one]} if wrapper else [one]}


def answer_id(create: tuple[str, dict[str, Any]], item_param: str | None = None) -> tuple[str, str | None] | None:
    """Where a create's answer says the new id is: ("location", None), ("response", field), or None. A field
    named like the item path's parameter (``file_path`` for ``/files/{file_path}``) is what addresses the
    object; an ``..._id`` field that the create's path names is its parent's, not the new object's."""
    path, operation = create
    parents = set(re.findall(r"\{([^}]+)\}", path))
    schema, response = schema_of(operation)
    if "location" in {name.lower() for name in (response.get("headers") or {})}:
        return "location", None
    _, obj = unwrap(schema)
    if item_param and item_param in (obj.get("properties") or {}):
        return "response", item_param
    found = find_field(obj, ID_NAMES) or next((name for name in (obj.get("properties") or {}) if name.endswith("_id")
                                               and not TENANT_NAME.match(name) and name not in parents), None)
    return ("response", found) if found else None


def ids(draft: Draft, key: str, spec: dict[str, Any], create: tuple[str, dict[str, Any]],
        item_param: str | None) -> None:
    """Where a created object's id is: the Location header or a field of the answer."""
    found = answer_id(create, item_param)
    if found is None:
        draft.note(f"{key} id_from", "the create answer names no id and sets no Location header: say where the "
                   "id is")
    elif found[0] == "location":
        spec["id_from"] = "location"
    elif found[1] != "id":
        spec["id_field"] = found[1]


def map_api(draft: Draft, api: dict[str, Any]) -> None:
    section: dict[str, Any] = {}
    if "health" in api:
        section["health"] = api["health"]
    if "search" in api:
        path, operation = api["search"]
        query = next((p["name"] for p in operation.get("parameters") or [] if p.get("in") == "query"), "q")
        entry = {"method": "GET", "path": f"{path}?{query}={{query}}"}
        found = array_path(schema_of(operation)[0])
        if found:
            entry["items"] = found
        section["search"] = entry
        hit = item_schema(schema_of(operation)[0], found)
        named = find_field(hit, ("id",)) or next((name for name in hit.get("properties") or {}
                                                 if name.endswith("_id") and not TENANT_NAME.match(name)), None)
        section["search_id_field"] = named or "id"
        draft.note("[api] search_id_field", f"the field of a search hit naming its object ({named or 'guessed'})")
        draft.mapped += 1
    if "download" in api:
        param = re.findall(r"\{([^}]+)\}", api["download"])[-1]
        section["download"] = {"method": "GET", "path": api["download"].replace("{" + param + "}", "{key}"),
                               "response": "text"}
        draft.note("[api] download_resource", "the resource whose objects download reaches, and download_key")
        draft.mapped += 1
    if "access_logs" in api:
        path, operation = api["access_logs"]
        answer = schema_of(operation)[0]
        found = array_path(answer)
        entry_schema = item_schema(answer, found)
        properties = entry_schema.get("properties") or {}
        logs = {"log_tenant_field": owner_of(entry_schema),
                "log_success_field": next((name for name, child in properties.items()
                                           if (child or {}).get("type") == "boolean"), None),
                "log_resource_field": next((name for name in ("resource_id", "target", "resource", "object_id",
                                                              "target_id") if name in properties), None)}
        if found is None or None in logs.values():
            draft.skipped.append(f"GET {path}: its entries' tenant, success and resource fields were not all found "
                                 f"({', '.join(k for k, v in logs.items() if v is None) or 'no list'})")
        else:
            section["access_logs"] = {"method": "GET", "path": path, **({"items": found} if found else {})}
            draft.profile.setdefault("defaults", {}).update(logs)
            draft.mapped += 1
    if section:
        draft.profile["api"] = section


def map_identity(draft: Draft, spec: dict[str, Any], provisioning: dict[str, Any]) -> None:
    schemes = ((spec.get("components") or {}).get("securitySchemes") or {}).values()
    identity: dict[str, Any] = {"mode": "token"}
    for scheme in schemes:
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            identity["scheme"] = "bearer"
            break
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            identity.update(scheme="header", credential_header=scheme.get("name", "X-Api-Key"))
            break
        if scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
            identity.update(scheme="cookie", cookie_name=scheme.get("name", "session"))
            break
    else:
        draft.note("[identity] scheme", "no bearer or API-key security scheme found: say how a request names "
                   "its tenant")
    draft.profile["identity"] = identity
    if "signup" in provisioning and "login" in provisioning:
        signup_path, signup = provisioning["signup"]
        login_path, login = provisioning["login"]
        flow: dict[str, Any] = {"signup": credentials_call(signup_path, signup),
                                "login": credentials_call(login_path, login)}
        token = find_field(schema_of(login)[0] or {}, TOKEN_NAMES)
        flow["token_field"] = token or "token"
        tenant = find_field(schema_of(signup)[0] or {}, ("org_id", "tenant_id", "organization_id", "account_id"))
        flow["tenant_id_field"] = tenant or ""
        if not token:
            draft.note("[provisioning.signup] token_field", "where the login answer holds the token")
        draft.profile["provisioning"] = {"signup": flow}
        draft.mapped += 2
    elif admin_api(draft, provisioning.get("admin") or {}):
        return
    else:
        draft.note("[provisioning]", "no sign-up and login, nor an admin tenants API, found: list existing tenants "
                   "in the environment (method = \"static\") or describe [provisioning.admin]")


def admin_api(draft: Draft, ops: dict[tuple[str, bool], tuple[str, dict[str, Any]]]) -> bool:
    """A tenants collection (``POST /admin/tenants``, ``DELETE /admin/tenants/{tenant_id}``) as the admin
    provisioning API; whether there is one."""
    create, delete = ops.get(("post", False)), ops.get(("delete", True))
    if create is None or delete is None:
        return False
    _, schema = request_body(create[1])
    body = {name: "{tenant_id}" if TENANT_NAME.match(name) or name == "id" else "{tenant_name}"
            for name in (schema or {}).get("properties") or {}}
    key = find_field(schema_of(create[1])[0] or {}, ("api_key", "key", "token", "secret"))
    admin: dict[str, Any] = {"create": {"method": "POST", "path": create[0], "body": body},
                             "delete": {"method": "DELETE", "path": template(delete[0], None, "id", {
                                 param: "tenant_id" for param in re.findall(r"\{([^}]+)\}", delete[0])})},
                             "key_field": key or "api_key"}
    listing = ops.get(("get", False))
    if listing is not None:
        admin["list"] = {"method": "GET", "path": listing[0], **({"items": found} if (found := array_path(
            schema_of(listing[1])[0])) else {})}
    if not key:
        draft.note("[provisioning.admin] key_field", "where the create answer holds the new tenant's key")
    draft.profile["provisioning"] = {"admin": admin}
    draft.mapped += len(admin) - 1
    return True


def credentials_call(path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """A sign-up or login call filling the request's fields from the tenant's generated credentials."""
    _, schema = request_body(operation)
    body: dict[str, str] = {}
    for name in (schema or {}).get("properties") or {}:
        lowered = name.lower()
        body[name] = ("{email}" if "mail" in lowered or lowered in ("username", "user", "login") else
                      "{password}" if "pass" in lowered else "{tenant_name}")
    return {"method": "POST", "path": path, "body": body}


def channels(draft: Draft, spec: dict[str, Any]) -> None:
    """Tenant channels a spoofer may try: parameters named like a tenant, in headers, the query, bodies."""
    headers: set[str] = set()
    queries: set[str] = set()
    for item in (spec.get("paths") or {}).values():
        for operation in (item or {}).values():
            if not isinstance(operation, dict):
                continue
            for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
                if TENANT_NAME.match(str(parameter.get("name", ""))):
                    (headers if parameter.get("in") == "header" else queries if parameter.get("in") == "query"
                     else set()).add(parameter["name"])
    identity = draft.profile["identity"]
    identity["tenant_headers"] = sorted(headers) or ["X-Tenant-ID"]
    identity["tenant_query"] = sorted(queries)[0] if queries else ""
    bodies = {name for item in (spec.get("paths") or {}).values() for operation in (item or {}).values()
              if isinstance(operation, dict) for name in (request_body(operation)[1] or {}).get("properties") or {}
              if TENANT_NAME.match(name)}
    identity["tenant_body_field"] = sorted(bodies)[0] if bodies else "tenant_id"
    if not headers:
        draft.note("[identity] tenant_headers", "no tenant header in the document: X-Tenant-ID is tried (TX-01)")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }" if value \
            else "{}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def toml_key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def render(draft: Draft, source: str) -> str:
    """The draft as a commented TOML profile."""
    profile = draft.profile
    lines = [f"# Profile drafted by `tenantcheck init --openapi {source}`.",
             "# Review every TODO before the first run; `tenantcheck profile check` lists what it does not cover.",
             *[f"# TODO: {todo}" for todo in draft.todos],
             *[f"# skipped: {skip}" for skip in draft.skipped], ""]
    for key in ("name", "description", "primary"):
        if key in profile:
            lines.append(f"{key} = {toml_value(profile[key])}")

    def table(header: str, values: dict[str, Any]) -> None:
        simple = {k: v for k, v in values.items() if not (isinstance(v, dict) and k in TABLES)}
        lines.extend(["", f"[{header}]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in simple.items())])
        for name, child in values.items():
            if isinstance(child, dict) and name in TABLES:
                table(f"{header}.{toml_key(name)}", child)

    for section in ("identity", "defaults"):
        table(section, profile[section])
    for section, values in (profile.get("provisioning") or {}).items():
        table(f"provisioning.{section}", values)
    for name, values in (profile.get("resources") or {}).items():
        table(f"resources.{toml_key(name)}", values)
    if profile.get("api"):
        table("api", profile["api"])
    return "\n".join(lines) + "\n"

