#!/usr/bin/env python
"""A second benchmark profile (issue 18): the generic catalog over an API with many resources.

    .venv/bin/python benchmarks/run.py --only many --repeat 3       # the benchmark (``bench_many``)
    MANY_RESOURCES_ADMIN_TOKEN=t .venv/bin/python benchmarks/many_resources.py serve --db /tmp/app.sqlite

The app is a correct (isolated) multi-tenant REST API made from ``SPECS``, twelve resource specs: one
SQLite table per resource, created from its spec, and the same five handlers for every resource. Nine
resources are top-level (``/customers``, ``/customers/{id}``), three are nested under a parent
(``/orders/{order_id}/shipments``). They vary a little so that the profile exercises the generic model:
PATCH or PUT or no update, lists wrapped in ``items`` or bare arrays, objects bare or wrapped in ``data``,
an id field other than ``id``, one resource reported under TC-04 (stored content). Tenants come from an
admin API (``POST /admin/tenants`` with an admin token, answering the tenant's API key), requests name
their tenant by ``Authorization: Bearer <key>``, and every object is its tenant's: a foreign id is
answered 404 like a missing one, a list holds only the caller's objects, a body ``tenant_id`` is ignored.

``write_environment`` writes the matching tenantcheck profile (generated from the same specs, with a
storage mapping per resource for the sqlite inspector) and an environment for a running app;
``AppProcess`` starts the app as a child process on 127.0.0.1 (its CPU apart from the harness's), and
``benchmarks/run.py``'s ``bench_many`` runs the catalog against it, like ``bench_generic`` for the Ledger.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # tenantcheck from a checkout
    sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tenantcheck.reference.cli import run_until_signalled  # noqa: E402
from tenantcheck.reference.server import (  # noqa: E402
    TargetProcess,
    TargetStartError,
    base_url,
    bind_socket,
    uvicorn_server,
)

HOST = "127.0.0.1"  # the app binds loopback only, and the bench refuses any other target
PROFILE_NAME = "many-resources"
TOKEN_ENV = "MANY_RESOURCES_ADMIN_TOKEN"  # the admin token reaches the child in its environment, not argv
DB_FILE = "app.sqlite"
TENANT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# --------------------------------------------------------------------------- the resources
@dataclass(frozen=True)
class Spec:
    """One resource: its fields (one public, one sensitive, maybe a constant) and its API's shape."""

    name: str
    public: str  # unique per object, marker-free (a title, a reference)
    sensitive: str  # carries the tenant's canary marker
    constant: tuple[str, float] | None = None  # a field the profile sends as a constant value
    parent: str | None = None  # nested under this resource: /parent/{parent_id}/name
    update: str | None = "PATCH"  # PATCH (some fields), PUT (all fields) or None (no update)
    items: str | None = "items"  # the list answer's key; None: a bare array
    wrapper: str | None = None  # the key an object answer is wrapped in ("data"); None: bare
    id_field: str = "id"
    case: str | None = None  # the guide case reporting access to these objects (default TC-02, nested TC-03)

    @property
    def parent_key(self) -> str:
        """The path placeholder and column naming the parent (``order_id``)."""
        assert self.parent is not None
        return f"{self.parent.removesuffix('s')}_id"

    @property
    def fields(self) -> list[str]:
        return [self.public, self.sensitive, *([self.constant[0]] if self.constant else [])]

    @property
    def collection(self) -> str:
        """The list and create path template."""
        return f"/{self.parent}/{{{self.parent_key}}}/{self.name}" if self.parent else f"/{self.name}"


SPECS: tuple[Spec, ...] = (
    Spec("customers", "name", "notes"),
    Spec("vendors", "name", "bank_details", update="PUT", id_field="vendor_id"),
    Spec("products", "sku", "description", constant=("price", 12.5)),
    Spec("orders", "reference", "delivery_note", constant=("total", 99.5), wrapper="data"),
    Spec("shipments", "tracking", "address", parent="orders"),
    Spec("payments", "reference", "card_holder", parent="orders", update=None, items=None),
    Spec("tickets", "subject", "body"),
    Spec("tasks", "title", "details", parent="tickets", items=None),
    Spec("contracts", "title", "terms", update="PUT", wrapper="data"),
    Spec("documents", "filename", "content", items=None, case="TC-04"),  # stored content
    Spec("assets", "tag", "location"),
    Spec("reports", "title", "summary", update=None),
)


# --------------------------------------------------------------------------- the app
class Refused(Exception):
    """An answer other than success: status and a short message (never internals)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Store:
    """The app's SQLite file: a tenants table and one table per resource spec."""

    def __init__(self, path: Path, specs: tuple[Spec, ...]) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")  # the inspector reads while the app writes
        self.db.execute("PRAGMA busy_timeout = 5000")
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS tenants (tenant_id TEXT PRIMARY KEY, name TEXT, key_hash TEXT)")
            for spec in specs:
                parent = f"{spec.parent_key} TEXT NOT NULL, " if spec.parent else ""
                columns = ", ".join(spec.fields)  # no declared type: a number stays a number
                self.db.execute(f"CREATE TABLE IF NOT EXISTS {spec.name} ({spec.id_field} TEXT PRIMARY KEY, "
                                f"tenant_id TEXT NOT NULL, {parent}{columns})")

    def tenant_of(self, key: str) -> str | None:
        row = self.db.execute("SELECT tenant_id FROM tenants WHERE key_hash = ?", (key_hash(key),)).fetchone()
        return None if row is None else str(row["tenant_id"])


class App:
    """The routes of every spec over one Store; the caller's tenant scopes every query."""

    def __init__(self, store: Store, specs: tuple[Spec, ...], admin_token: str) -> None:
        self.store, self.specs, self.admin_token = store, {spec.name: spec for spec in specs}, admin_token

    @property
    def db(self) -> sqlite3.Connection:
        return self.store.db

    # ---- plumbing
    def tenant(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        tenant = self.store.tenant_of(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if tenant is None:
            raise Refused(401, "this request needs 'Authorization: Bearer <api key>'")
        return tenant

    def admin(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), self.admin_token.encode()):
            raise Refused(401, "this request needs the admin token")

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise Refused(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "the body must be a JSON object")
        return body

    def answer(self, spec: Spec, row: sqlite3.Row, status: int = 200) -> Response:
        obj = dict(row)
        return JSONResponse({spec.wrapper: obj} if spec.wrapper else obj, status_code=status)

    def row(self, spec: Spec, tenant: str, params: Mapping[str, str]) -> sqlite3.Row:
        """The caller's object at this address, or 404 (a foreign one looks exactly like a missing one)."""
        where, args = f"{spec.id_field} = ? AND tenant_id = ?", [params["id"], tenant]
        if spec.parent:
            where += f" AND {spec.parent_key} = ?"
            args.append(params[spec.parent_key])
        row: sqlite3.Row | None = self.db.execute(f"SELECT * FROM {spec.name} WHERE {where}", args).fetchone()
        if row is None:
            raise Refused(404, f"no such {spec.name} object")
        return row

    def parent_of(self, spec: Spec, tenant: str, params: Mapping[str, str]) -> str | None:
        """The parent id of a nested collection, once the caller's own parent is found (else 404)."""
        if spec.parent is None:
            return None
        parent = self.specs[spec.parent]
        self.row(parent, tenant, {"id": params[spec.parent_key]})
        return params[spec.parent_key]

    @staticmethod
    def values(spec: Spec, body: Mapping[str, Any], *, every: bool) -> dict[str, Any]:
        """The spec's fields of a body (all of them when ``every``); anything else (a tenant_id) is ignored."""
        found = {name: body[name] for name in spec.fields if name in body}
        missing = [name for name in spec.fields if name not in found]
        if every and missing:
            raise Refused(422, f"missing field(s): {', '.join(missing)}")
        for name, value in found.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise Refused(422, f"'{name}' must be a string or a number")
        if not found:
            raise Refused(422, "nothing to change")
        return found

    # ---- the five operations, for any spec: create, index (list), show (get), change (update), remove
    async def create(self, spec: Spec, tenant: str, request: Request) -> Response:
        body = await self.body(request)
        parent = self.parent_of(spec, tenant, request.path_params)
        values = {spec.id_field: f"{spec.name[:3]}_{secrets.token_hex(8)}", "tenant_id": tenant,
                  **({spec.parent_key: parent} if spec.parent else {}), **self.values(spec, body, every=True)}
        with self.db:
            self.db.execute(f"INSERT INTO {spec.name} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                            list(values.values()))
        return self.answer(spec, self.row(spec, tenant, {**request.path_params, "id": values[spec.id_field]}), 201)

    async def index(self, spec: Spec, tenant: str, request: Request) -> Response:
        parent = self.parent_of(spec, tenant, request.path_params)
        where, args = "tenant_id = ?", [tenant]
        if parent is not None:
            where += f" AND {spec.parent_key} = ?"
            args.append(parent)
        rows = [dict(row) for row in self.db.execute(f"SELECT * FROM {spec.name} WHERE {where} ORDER BY rowid", args)]
        return JSONResponse({spec.items: rows} if spec.items else rows)

    async def show(self, spec: Spec, tenant: str, request: Request) -> Response:
        return self.answer(spec, self.row(spec, tenant, request.path_params))

    async def change(self, spec: Spec, tenant: str, request: Request) -> Response:
        body = await self.body(request)
        self.row(spec, tenant, request.path_params)
        values = self.values(spec, body, every=request.method == "PUT")
        with self.db:
            self.db.execute(f"UPDATE {spec.name} SET {', '.join(f'{name} = ?' for name in values)} "
                            f"WHERE {spec.id_field} = ? AND tenant_id = ?",
                            [*values.values(), request.path_params["id"], tenant])
        return self.answer(spec, self.row(spec, tenant, request.path_params))

    async def remove(self, spec: Spec, tenant: str, request: Request) -> Response:
        object_id = self.row(spec, tenant, request.path_params)[spec.id_field]
        with self.db:  # children go with their parent
            for child in self.specs.values():
                if child.parent == spec.name:
                    self.db.execute(f"DELETE FROM {child.name} WHERE {child.parent_key} = ? AND tenant_id = ?",
                                    (object_id, tenant))
            self.db.execute(f"DELETE FROM {spec.name} WHERE {spec.id_field} = ? AND tenant_id = ?", (object_id, tenant))
        return Response(status_code=204)

    # ---- tenants (admin API) and health
    async def create_tenant(self, request: Request) -> Response:
        self.admin(request)
        body = await self.body(request)
        tenant = body.get("tenant_id")
        if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
            raise Refused(422, "'tenant_id' must be 1 to 64 letters, digits, '.', '_' or '-'")
        key = f"mr_{secrets.token_urlsafe(24)}"
        try:
            with self.db:
                self.db.execute("INSERT INTO tenants (tenant_id, name, key_hash) VALUES (?, ?, ?)",
                                (tenant, str(body.get("name", "")), key_hash(key)))
        except sqlite3.IntegrityError:
            raise Refused(409, "a tenant with this id exists") from None
        return JSONResponse({"tenant_id": tenant, "api_key": key}, status_code=201)

    async def list_tenants(self, request: Request) -> Response:
        self.admin(request)
        rows = self.db.execute("SELECT tenant_id, name FROM tenants ORDER BY rowid").fetchall()
        return JSONResponse({"tenants": [dict(row) for row in rows]})

    async def delete_tenant(self, request: Request) -> Response:
        self.admin(request)
        tenant = request.path_params["tenant_id"]
        with self.db:
            found = self.db.execute("DELETE FROM tenants WHERE tenant_id = ?", (tenant,)).rowcount
            for spec in self.specs.values():
                self.db.execute(f"DELETE FROM {spec.name} WHERE tenant_id = ?", (tenant,))
        if not found:
            raise Refused(404, "no such tenant")
        return Response(status_code=204)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    # ---- the route table
    def routes(self) -> list[Route]:
        Handler = Callable[[Spec, str, Request], Awaitable[Response]]

        def scoped(spec: Spec, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
            return guarded(lambda request: handler(spec, self.tenant(request), request))

        table = [
            Route("/health", guarded(self.health), methods=["GET"]),
            Route("/admin/tenants", guarded(self.create_tenant), methods=["POST"]),
            Route("/admin/tenants", guarded(self.list_tenants), methods=["GET"]),
            Route("/admin/tenants/{tenant_id}", guarded(self.delete_tenant), methods=["DELETE"]),
        ]
        for spec in self.specs.values():
            one = spec.collection + "/{id}"
            table += [Route(spec.collection, scoped(spec, self.create), methods=["POST"]),
                      Route(spec.collection, scoped(spec, self.index), methods=["GET"]),
                      Route(one, scoped(spec, self.show), methods=["GET"]),
                      Route(one, scoped(spec, self.remove), methods=["DELETE"])]
            if spec.update:
                table.append(Route(one, scoped(spec, self.change), methods=[spec.update]))
        return table


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Refusals as JSON errors; anything unexpected as a bare 500 (no trace, no internals)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except Refused as refused:
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        except Exception:
            return JSONResponse({"error": "internal error"}, status_code=500)

    return endpoint


def create_app(db_path: Path, admin_token: str, specs: tuple[Spec, ...] = SPECS) -> Starlette:
    return Starlette(routes=App(Store(db_path, specs), specs, admin_token).routes())


def serve(port: int, db_path: Path) -> int:
    """Serve on 127.0.0.1:port (0: a free one) until SIGTERM or SIGINT; prints ``READY <url>`` once up."""
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"many_resources serve: error: set the admin token in ${TOKEN_ENV}", file=sys.stderr)
        return 3
    app = create_app(db_path, token)
    sock = bind_socket(HOST, port)
    try:
        run_until_signalled(uvicorn_server(app, log_config=uvicorn.config.LOGGING_CONFIG), sock,
                            base_url(HOST, sock.getsockname()[1]))
    finally:
        sock.close()
    return 0


class AppProcess(TargetProcess):
    """The app as a child process (``many_resources.py serve``), with its SQLite file in a temporary
    directory removed when it stops."""

    what = "the many-resources app"
    start_error = TargetStartError
    dir_prefix = "tenantcheck-many-"

    @property
    def database(self) -> Path:
        return self.data_dir / DB_FILE

    @classmethod
    def start(cls, admin_token: str, timeout: float = 30) -> AppProcess:
        started = cls(data_dir=None)
        argv = [sys.executable, str(Path(__file__).resolve()), "serve", "--port", "0", "--db", str(started.database)]
        launched = started.launch(argv, {**os.environ, TOKEN_ENV: admin_token}, timeout)
        host = urlsplit(launched.base_url).hostname
        if host != HOST:  # this benchmark talks to loopback only
            launched.stop()
            raise SystemExit(f"refusing a target on {host!r}: benchmarks run against {HOST} only")
        return launched


# --------------------------------------------------------------------------- the profile and environment
def toml(value: Any) -> str:
    """A TOML value (inline tables and arrays) for the few types a profile needs."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + " }" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def op(method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"method": method, "path": path, **{key: value for key, value in extra.items() if value is not None}}


def resource_table(spec: Spec) -> dict[str, Any]:
    """A spec as the profile's ``[resources.NAME]`` table."""
    one = spec.collection + "/{id}"
    fields: dict[str, Any] = {spec.public: "public", spec.sensitive: "sensitive"}
    if spec.constant:
        fields[spec.constant[0]] = {"value": spec.constant[1]}
    every = {name: f"{{{name}}}" for name in spec.fields}
    table: dict[str, Any] = {}
    if spec.parent:
        table |= {"parent": spec.parent, "parent_id": spec.parent_key}
    if spec.id_field != "id":
        table["id_field"] = spec.id_field
    if spec.case:
        table["case"] = spec.case
    table |= {
        "owner_field": "tenant_id",
        "fields": fields,
        "create": op("POST", spec.collection, body=every, object=spec.wrapper),
        "list": op("GET", spec.collection, items=spec.items),
        "get": op("GET", one, object=spec.wrapper),
    }
    if spec.update == "PATCH":
        table["update"] = op("PATCH", one, body={spec.sensitive: f"{{{spec.sensitive}}}"}, object=spec.wrapper)
    elif spec.update == "PUT":
        table["update"] = op("PUT", one, body=every, object=spec.wrapper)
    table["delete"] = op("DELETE", one)
    table["storage"] = {"tables": [{"table": spec.name, "id_column": spec.id_field, "owner_column": "tenant_id"}]}
    return table


def profile_toml(specs: tuple[Spec, ...] = SPECS) -> str:
    """The tenantcheck profile of the app, from the same specs."""
    lines = [
        "# written by benchmarks/many_resources.py: the profile of its many-resources app",
        f"name = {toml(PROFILE_NAME)}",
        f"description = {toml(f'{len(specs)} resources, admin-api tenants, bearer keys, 404 denials')}",
        f"primary = {toml(specs[0].name)}",
        "",
        "[identity]",
        'mode = "token"',
        'scheme = "bearer"',
        'tenant_headers = ["X-Tenant-ID"]',
        'tenant_query = "tenant_id"',
        'tenant_body_field = "tenant_id"',
        "",
        "[defaults]",
        "deny_statuses = [404]",
        "",
        "[provisioning.admin]",
        f"create = {toml(op('POST', '/admin/tenants', body={'tenant_id': '{tenant_id}', 'name': '{tenant_name}'}))}",
        f"delete = {toml(op('DELETE', '/admin/tenants/{tenant_id}'))}",
        f"list = {toml(op('GET', '/admin/tenants', items='tenants'))}",
        'tenant_id_field = "tenant_id"',
        'key_field = "api_key"',
        "",
        "[api]",
        f"health = {toml(op('GET', '/health'))}",
    ]
    for spec in specs:
        table = resource_table(spec)
        lines += ["", f"[resources.{spec.name}]", *(f"{key} = {toml(value)}" for key, value in table.items())]
    return "\n".join(lines) + "\n"


def write_environment(directory: Path, url: str, database: Path, safety: Mapping[str, Any]) -> Path:
    """Write the profile and an environment for the app at ``url`` (its SQLite file read by the sqlite
    inspector) into ``directory``; returns the environment's path."""
    profile = directory / f"{PROFILE_NAME}.toml"
    profile.write_text(profile_toml())
    lines = [
        "# written by benchmarks/many_resources.py: its many-resources app, started by the benchmark",
        f"description = {toml(f'benchmark many-resources app {url}')}",
        f"profile = {toml(str(profile))}",
        "",
        "[target]",
        f"base_url = {toml(url)}",
        'mode = "token"',
        "strict = true",
        "",
        "[provisioning]",
        'method = "admin-api"',
        'admin_token = "${TENANTCHECK_ADMIN_TOKEN}"',
        "",
        "[policy]",
        "deny_statuses = [404]",
        "",
        "[safety]",
        *(f"{key} = {toml(value)}" for key, value in safety.items()),
        "",
        "[inspector]",
        'kind = "sqlite"',
        f"d1_path = {toml(str(database))}",
    ]
    env_file = directory / f"bench-{PROFILE_NAME}.toml"
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    serving = commands.add_parser("serve", help="run the app on 127.0.0.1 (admin token in $" + TOKEN_ENV + ")")
    serving.add_argument("--port", type=int, default=0, help="port, 0 for a free one (default 0)")
    serving.add_argument("--db", type=Path, required=True, help="the SQLite file (made if missing)")
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    return serve(args.port, args.db)


if __name__ == "__main__":
    raise SystemExit(main())
