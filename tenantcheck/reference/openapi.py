"""The reference target's own OpenAPI 3.1 document, served at `GET /openapi.json`.

Written by hand from CONTRACT.md and the route table, so it reads like the contract; the tests keep it true
to the routes (every route of `app.routes()` but `/admin/chaos` and `/openapi.json` is described, nothing
else). It describes the default `contract` shape; under `--shape bare` lists are bare arrays and denials 404.
"""

from __future__ import annotations

import copy
from typing import Any

from tenantcheck import __version__
from tenantcheck.reference.config import TENANT_ID_RE
from tenantcheck.reference.operations import MAX_LOG_ENTRIES
from tenantcheck.reference.validation import MAX_NAME_CHARS, MAX_TEXT_CHARS

Json = dict[str, Any]

PUBLIC: list[Json] = []
ADMIN: list[Json] = [{"adminBearer": []}]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: Json | None = None, media_type: str = "application/json") -> Json:
    """A response with a body of media_type, or with an empty body when there is no schema."""
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {media_type: {"schema": schema}}}


def _listing(key: str, item: str) -> Json:
    """The contract's list wrapper, e.g. `{"projects": [Project, ...]}`."""
    return {
        "type": "object",
        "required": [key],
        "properties": {key: {"type": "array", "items": _ref(item)}},
    }


def _errors(*statuses: int) -> Json:
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"} for status in statuses}


def _body(schema: Json) -> Json:
    return {"required": True, "content": _json(schema)}


def _path_param(name: str, description: str) -> Json:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "`invalid_request` (bad body, field or query) or `invalid_tenant` (malformed tenant id)"),
    401: ("Unauthorized", "`tenant_required` (no identity, strict mode) or `unauthorized` (bad key or token)"),
    403: (
        "Forbidden",
        "`tenant_access_denied` (the object belongs to another tenant) or `tenant_mismatch` "
        "(an identity header names another tenant than the key)",
    ),
    404: ("NotFound", "`not_found`: no such object"),
    413: ("PayloadTooLarge", "`payload_too_large`: the body is over 1 MiB"),
}

# A tenant request can always miss or mismatch its identity; one naming an object can also be denied it.
TENANT = (400, 401, 403)
OBJECT = (*TENANT, 404)

PROJECT_ID = _path_param("project_id", "A project id (`prj_...`).")
TIMESTAMP: Json = {"type": "string", "format": "date-time"}
TENANT_ID: Json = {"type": "string", "pattern": TENANT_ID_RE.pattern}
NULLABLE_TEXT: Json = {"type": ["string", "null"]}
ANY_BYTES: Json = {}  # OpenAPI 3.1 describes a raw octet-stream body by no constraint (no `format: binary`)
LIMIT: Json = {
    "name": "limit",
    "in": "query",
    "description": "How many entries at most, newest first.",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LOG_ENTRIES, "default": MAX_LOG_ENTRIES},
}

SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Project": {
        "type": "object",
        "required": ["id", "tenant_id", "name", "description", "metadata", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string"},
            "tenant_id": {"type": "string"},
            "name": {"type": "string"},
            "description": NULLABLE_TEXT,
            "metadata": {"type": "object"},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
    },
    "NewProject": {
        "type": "object",
        "description": "A body `tenant_id` is ignored: the owner is always the caller.",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
            "description": {"type": ["string", "null"], "maxLength": MAX_TEXT_CHARS},
            "metadata": {"type": "object"},
        },
    },
    "ProjectChanges": {
        "type": "object",
        "description": "Only the fields given change; a body `tenant_id` is ignored.",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
            "description": {"type": ["string", "null"], "maxLength": MAX_TEXT_CHARS},
            "metadata": {"type": "object"},
        },
    },
    "Deployment": {
        "type": "object",
        "required": ["id", "tenant_id", "project_id", "provider", "status", "url", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "tenant_id": {"type": "string"},
            "project_id": {"type": "string"},
            "provider": {"type": "string"},
            "status": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "created_at": TIMESTAMP,
        },
    },
    "NewDeployment": {
        "type": "object",
        "required": ["project_id", "provider"],
        "properties": {
            "project_id": {"type": "string", "minLength": 1},
            "provider": {"type": "string", "minLength": 1, "maxLength": 64},
        },
    },
    "File": {
        "type": "object",
        "description": "File metadata; `hash` is the sha256 hex of the content.",
        "required": ["id", "tenant_id", "project_id", "file_path", "size", "hash", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "tenant_id": {"type": "string"},
            "project_id": {"type": "string"},
            "file_path": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "created_at": TIMESTAMP,
        },
    },
    "NewFile": {
        "type": "object",
        "required": ["path", "content"],
        "properties": {
            "path": {
                "type": "string",
                "minLength": 1,
                "description": "Relative: no leading `/`, no `.` or `..` segments, no backslash or NUL.",
            },
            "content": {"type": "string"},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["project_id", "snippet"],
        "properties": {
            "project_id": {"type": "string"},
            "file_path": {"type": "string", "description": "Absent when the match is the project's name."},
            "snippet": {"type": "string"},
        },
    },
    "AccessLogEntry": {
        "type": "object",
        "required": ["id", "tenant_id", "resource_id", "resource_type", "action", "success", "timestamp"],
        "properties": {
            "id": {"type": "string"},
            "tenant_id": {"type": "string", "description": "The tenant that made the request."},
            "resource_id": NULLABLE_TEXT,
            "resource_type": {"type": "string"},
            "action": {"type": "string"},
            "success": {"type": "boolean"},
            "timestamp": TIMESTAMP,
        },
    },
    "AdminAccessLogEntry": {
        "allOf": [
            _ref("AccessLogEntry"),
            {
                "type": "object",
                "required": ["user_id", "ip_address", "user_agent"],
                "properties": {"user_id": NULLABLE_TEXT, "ip_address": NULLABLE_TEXT, "user_agent": NULLABLE_TEXT},
            },
        ]
    },
    "Tenant": {
        "type": "object",
        "required": ["tenant_id", "name", "created_at"],
        "properties": {"tenant_id": {"type": "string"}, "name": {"type": "string"}, "created_at": TIMESTAMP},
    },
    "NewTenant": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "tenant_id": {**TENANT_ID, "description": "Generated (`t-...`) when absent."},
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
        },
    },
    "CreatedTenant": {
        "type": "object",
        "required": ["tenant_id", "name", "api_key"],
        "properties": {
            "tenant_id": {"type": "string"},
            "name": {"type": "string"},
            "api_key": {"type": "string", "description": "`tck_...`, shown only in this answer."},
        },
    },
    "Backup": {
        "type": "object",
        "required": ["backup_id"],
        "properties": {"backup_id": {"type": "string"}},
    },
}


def _tenant_paths() -> Json:
    project = {"description": "The project.", "content": _json(_ref("Project"))}
    return {
        "/api/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness, no identity needed",
                "security": PUBLIC,
                "responses": {
                    "200": _answer(
                        "The service is up.",
                        {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
                    )
                },
            }
        },
        "/api/projects": {
            "post": {
                "operationId": "createProject",
                "summary": "Create a project of the caller",
                "requestBody": _body(_ref("NewProject")),
                "responses": {"201": _answer("The created project.", _ref("Project")), **_errors(*TENANT, 413)},
            },
            "get": {
                "operationId": "listProjects",
                "summary": "The caller's projects (never another tenant's)",
                "responses": {"200": _answer("The projects.", _listing("projects", "Project")), **_errors(*TENANT)},
            },
        },
        "/api/projects/{project_id}": {
            "parameters": [PROJECT_ID],
            "get": {
                "operationId": "getProject",
                "summary": "One project",
                "responses": {"200": project, **_errors(*OBJECT)},
            },
            "put": {
                "operationId": "updateProject",
                "summary": "Update a project (403 changes nothing)",
                "requestBody": _body(_ref("ProjectChanges")),
                "responses": {"200": project, **_errors(*OBJECT, 413)},
            },
            "delete": {
                "operationId": "deleteProject",
                "summary": "Delete a project with its deployments, files, index rows and KV keys",
                "responses": {"204": _answer("Deleted."), **_errors(*OBJECT)},
            },
        },
        "/api/deploy": {
            "post": {
                "operationId": "deploy",
                "summary": "Start a deployment of one of the caller's projects",
                "requestBody": _body(_ref("NewDeployment")),
                "responses": {
                    "201": _answer("The queued deployment.", _ref("Deployment")),
                    **_errors(*OBJECT, 413),
                },
            }
        },
        "/api/projects/{project_id}/deployments": {
            "parameters": [PROJECT_ID],
            "get": {
                "operationId": "listDeployments",
                "summary": "The deployments of a project",
                "responses": {
                    "200": _answer("The deployments.", _listing("deployments", "Deployment")),
                    **_errors(*OBJECT),
                },
            },
        },
        "/api/deployments/{deployment_id}": {
            "parameters": [_path_param("deployment_id", "A deployment id (`dep_...`).")],
            "get": {
                "operationId": "getDeployment",
                "summary": "One deployment",
                "responses": {"200": _answer("The deployment.", _ref("Deployment")), **_errors(*OBJECT)},
            },
        },
        "/api/projects/{project_id}/files": {
            "parameters": [PROJECT_ID],
            "post": {
                "operationId": "writeFile",
                "summary": "Store a text file in a project (replacing one at the same path)",
                "requestBody": _body(_ref("NewFile")),
                "responses": {"201": _answer("The file's metadata.", _ref("File")), **_errors(*OBJECT, 413)},
            },
            "get": {
                "operationId": "listFiles",
                "summary": "File metadata of a project",
                "responses": {"200": _answer("The files.", _listing("files", "File")), **_errors(*OBJECT)},
            },
        },
        "/api/projects/{project_id}/files/{file_path}": {
            "parameters": [PROJECT_ID, _path_param("file_path", "The file's path in the project; may contain `/`.")],
            "get": {
                "operationId": "readFile",
                "summary": "A file's content",
                "responses": {
                    "200": _answer("The content.", {"type": "string"}, "text/plain"),
                    **_errors(*OBJECT),
                },
            },
        },
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Full-text search over the caller's project names, descriptions and file contents",
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 500},
                    }
                ],
                "responses": {
                    "200": _answer("The matches.", _listing("results", "SearchResult")),
                    **_errors(*TENANT),
                },
            }
        },
        "/api/download/{key}": {
            "parameters": [
                _path_param("key", "A full KV key, `{tenant_id}:{project_id}:{file_path}`; may contain `/`.")
            ],
            "get": {
                "operationId": "download",
                "summary": "A raw KV value; 403 unless the key starts with the caller's `tenant_id:`",
                "responses": {
                    "200": _answer("The stored bytes.", ANY_BYTES, "application/octet-stream"),
                    **_errors(*OBJECT),
                },
            },
        },
        "/api/access-logs": {
            "get": {
                "operationId": "listAccessLogs",
                "summary": "The caller's own access-log entries, newest first",
                "parameters": [LIMIT],
                "responses": {
                    "200": _answer("The entries.", _listing("entries", "AccessLogEntry")),
                    **_errors(*TENANT),
                },
            }
        },
    }


def _admin_paths() -> Json:
    return {
        "/admin/tenants": {
            "post": {
                "operationId": "createTenant",
                "summary": "Provision a tenant and its API key",
                "security": ADMIN,
                "requestBody": _body(_ref("NewTenant")),
                "responses": {
                    "201": _answer("The tenant and its API key.", _ref("CreatedTenant")),
                    **_errors(400, 401, 413),
                },
            },
            "get": {
                "operationId": "listTenants",
                "summary": "Every tenant",
                "security": ADMIN,
                "responses": {"200": _answer("The tenants.", _listing("tenants", "Tenant")), **_errors(401)},
            },
        },
        "/admin/tenants/{tenant_id}": {
            "parameters": [{**_path_param("tenant_id", "A tenant id."), "schema": TENANT_ID}],
            "delete": {
                "operationId": "deleteTenant",
                "summary": "Remove every row and KV key of a tenant (404 when it had nothing)",
                "security": ADMIN,
                "responses": {"204": _answer("Deleted."), **_errors(400, 401, 404)},
            },
        },
        "/admin/access-logs": {
            "get": {
                "operationId": "adminListAccessLogs",
                "summary": "Access-log entries across tenants, newest first",
                "security": ADMIN,
                "parameters": [
                    {"name": "tenant_id", "in": "query", "schema": TENANT_ID},
                    {"name": "success", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                    {"name": "since", "in": "query", "description": "Inclusive.", "schema": TIMESTAMP},
                    LIMIT,
                ],
                "responses": {
                    "200": _answer("The entries.", _listing("entries", "AdminAccessLogEntry")),
                    **_errors(400, 401),
                },
            }
        },
        "/admin/backup": {
            "post": {
                "operationId": "backup",
                "summary": "A consistent copy of D1 and KV",
                "security": ADMIN,
                "responses": {"201": _answer("The backup's id.", _ref("Backup")), **_errors(401)},
            }
        },
        "/admin/restore": {
            "post": {
                "operationId": "restore",
                "summary": "Replace D1 and KV by a backup",
                "security": ADMIN,
                "requestBody": _body(_ref("Backup")),
                "responses": {
                    "200": _answer(
                        "Restored.",
                        {
                            "type": "object",
                            "required": ["backup_id", "restored"],
                            "properties": {"backup_id": {"type": "string"}, "restored": {"const": True}},
                        },
                    ),
                    **_errors(400, 401, 404, 413),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the reference target, a deep copy: its parts are shared module constants."""
    document: Json = {
        "openapi": "3.1.0",
        "info": {
            "title": "tenantcheck reference target",
            "version": __version__,
            "description": "The target contract (CONTRACT.md, v1) in its default `contract` shape: a Pom "
            "Bolt-shaped multi-tenant service. In `--auth header` mode the `X-Tenant-ID` header names the tenant "
            "instead of the bearer key.",
        },
        "security": [{"bearerAuth": []}, {"tenantHeader": []}],
        "paths": {**_tenant_paths(), **_admin_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A tenant's API key (`tck_...`), from `POST /admin/tenants`.",
                },
                "tenantHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Tenant-ID",
                    "description": "`--auth header` mode only: a self-asserted tenant id.",
                },
                "adminBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The admin token (`--admin-token` or `TENANTCHECK_REFERENCE_ADMIN_TOKEN`).",
                },
            },
            "schemas": SCHEMAS,
            "responses": {
                name: {"description": description, "content": _json(_ref("Error"))}
                for name, description in ERROR_RESPONSES.values()
            },
        },
    }
    return copy.deepcopy(document)
