"""The Ledger's own OpenAPI 3.1 document, served at `GET /openapi.json`.

Written by hand from docs/ledger.md and the route table, so it reads like the docs; the tests keep it true to
the routes (every route of `app.routes()` but `/debug/env`, `/backup` and `/openapi.json` is
described, nothing else).
Its odd parts are the point of the Ledger: a create whose id is only in `Location`, form and text bodies,
404 denials (403 only for a body naming another org) and the `{"error", "detail"}` error shape.
"""

from __future__ import annotations

import copy
from typing import Any

from tenantcheck import __version__
from tenantcheck.ledger.auth import MIN_PASSWORD_CHARS
from tenantcheck.ledger.invoices import MAX_SECRET_CHARS, MAX_TITLE_CHARS, NAME_RE
from tenantcheck.ledger.notes import MAX_BODY_CHARS, MAX_ID_CHARS, MAX_IMPORT, MAX_SUBJECT_CHARS, NOTE_ID_RE
from tenantcheck.ledger.search import MAX_QUERY_CHARS

Json = dict[str, Any]

PUBLIC: list[Json] = []


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: Json, media_type: str = "application/json") -> Json:
    return {media_type: {"schema": schema}}


def _answer(description: str, schema: Json | None = None, media_type: str = "application/json") -> Json:
    """A response; without a schema, one with an empty body."""
    if schema is None:
        return {"description": description}
    return {"description": description, "content": _content(schema, media_type)}


def _object(required: list[str], properties: Json) -> Json:
    return {"type": "object", "required": required, "properties": properties}


def _strings(*names: str) -> Json:
    """An object of required string fields."""
    return _object(list(names), {name: {"type": "string"} for name in names})


def _listing(key: str, item: Json) -> Json:
    """A list wrapped in an object, e.g. `{"notes": [...]}`."""
    return _object([key], {key: {"type": "array", "items": item}})


def _errors(*statuses: int) -> Json:
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"} for status in statuses}


def _path_param(name: str, description: str, schema: Json | None = None) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _query(*, required: bool) -> Json:
    return {
        "name": "q",
        "in": "query",
        "required": required,
        "description": "Case-insensitive substring.",
        "schema": {"type": "string", "minLength": 1 if required else 0, "maxLength": MAX_QUERY_CHARS},
    }


ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "`bad_request`: a body that cannot be read (malformed JSON or form, not UTF-8, NaN)"),
    401: ("Unauthorized", "`unauthorized` (no or unknown token) or `token_expired`"),
    403: ("Forbidden", "`forbidden`: the body names another org to act in"),
    404: ("NotFound", "`not_found`: missing, or another org's (a denial looks exactly like a missing object)"),
    413: ("PayloadTooLarge", "`payload_too_large`: the body is over 1 MiB"),
    415: ("UnsupportedMediaType", "`unsupported_media_type`: this endpoint takes another body type"),
    422: ("InvalidField", "`invalid_field`: a missing or wrongly typed field or query parameter"),
}

# Every authenticated route can be refused its caller; a route under an org or a note can also be a 404;
# a route that reads a body can find it unreadable, too large or missing a field.
AUTHENTICATED = (401,)
SCOPED = (401, 404)
BODY = (400, 413, 422)

ORG_ID = _path_param("org_id", "The caller's org id (`org_...`).")
INVOICE_ID = _path_param("invoice_id", "An invoice id (`inv_...`), from the create's `Location`.")
INVOICE_PARAMS = [ORG_ID, INVOICE_ID]
ATTACHMENT_NAME = _path_param(
    "name", "The attachment's name, chosen by the client.", {"type": "string", "pattern": NAME_RE.pattern}
)
NOTE_ID = _path_param("note_id", "A note id (`note_...`).")
TEXT: Json = {"type": "string"}
INVOICE = _answer("The invoice.", _object(["data"], {"data": _ref("Invoice")}))

SCHEMAS: Json = {
    "Error": _strings("error", "detail"),
    "User": _strings("id", "email", "org_id"),
    "Org": _object(["id", "name"], {"id": TEXT, "name": {"type": ["string", "null"]}}),
    "Signup": _object(
        ["email", "password", "org_name"],
        {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": 200},
            "org_name": {"type": "string", "minLength": 1, "maxLength": 200},
        },
    ),
    "Login": _object(["email", "password"], {"email": {"type": "string", "format": "email"}, "password": TEXT}),
    "Invoice": _object(
        ["id", "org_id", "title", "secret", "amount", "status", "created_at"],
        {
            "id": TEXT,
            "org_id": TEXT,
            "title": {"type": "string", "description": "Public: listed by `GET /directory`."},
            "secret": {"type": "string", "description": "Private to the org."},
            "amount": {"type": "number"},
            "status": {"type": "string", "enum": ["draft", "sent"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    ),
    "InvoiceFields": {
        "type": "object",
        "description": "A body `org_id` is ignored: the owner is the path's org.",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
            "secret": {"type": "string", "maxLength": MAX_SECRET_CHARS},
            "amount": {"type": "number"},
        },
    },
    "NewInvoice": {"allOf": [_ref("InvoiceFields"), {"required": ["title", "secret", "amount"]}]},
    "Attachment": _object(
        ["name", "size", "sha256", "invoice_id", "org_id"],
        {
            "name": TEXT,
            "size": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "invoice_id": TEXT,
            "org_id": TEXT,
        },
    ),
    "Note": _strings("note_id", "org_id", "subject", "body"),
    "NoteImport": _object(
        ["notes"],
        {
            "notes": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_IMPORT,
                "description": "Upserted by `note_id`; `note_id` values must be distinct.",
                "items": _object(
                    ["note_id", "subject", "body"],
                    {
                        "note_id": {"type": "string", "pattern": f"^{NOTE_ID_RE.pattern}$", "maxLength": MAX_ID_CHARS},
                        "subject": {"type": "string", "minLength": 1, "maxLength": MAX_SUBJECT_CHARS},
                        "body": {"type": "string", "maxLength": MAX_BODY_CHARS},
                        "org_id": {"type": "string", "description": "If given, the caller's org (403 otherwise)."},
                    },
                ),
            }
        },
    ),
    "NoteImported": _object(
        ["imported", "created", "updated"],
        {
            "imported": {"type": "integer", "minimum": 1},
            "created": {"type": "array", "items": TEXT, "description": "Ids of the new notes, in body order."},
            "updated": {"type": "array", "items": TEXT, "description": "Ids of the caller's notes rewritten."},
        },
    ),
    "SearchHit": _object(
        ["kind", "id", "snippet"],
        {"kind": {"type": "string", "enum": ["invoice", "note"]}, "id": TEXT, "snippet": TEXT},
    ),
    "AuditEvent": _object(
        ["org_id", "actor", "action", "target", "ok"],
        {
            "org_id": {"type": "string", "description": "The org the request acted as."},
            "actor": {"type": "string", "description": "The user id."},
            "action": {"type": "string", "examples": ["invoice.read", "attachment.write"]},
            "target": {"type": ["string", "null"]},
            "ok": {"type": "boolean"},
        },
    ),
}


def _account_paths() -> Json:
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "security": PUBLIC,
                "responses": {"200": _answer("The service is up.", _object(["ok"], {"ok": {"const": True}}))},
            }
        },
        "/auth/signup": {
            "post": {
                "operationId": "signup",
                "summary": "A new user in a new org (every sign-up makes an org)",
                "security": PUBLIC,
                "requestBody": {"required": True, "content": _content(_ref("Signup"))},
                "responses": {
                    "201": _answer("The user.", _object(["user"], {"user": _ref("User")})),
                    "409": {"description": "`email_taken`", "content": _content(_ref("Error"))},
                    **_errors(*BODY),
                },
            }
        },
        "/auth/login": {
            "post": {
                "operationId": "login",
                "summary": "A session token, valid for the Ledger's `token_ttl` seconds",
                "security": PUBLIC,
                "requestBody": {"required": True, "content": _content(_ref("Login"))},
                "responses": {
                    "200": _answer(
                        "The session.",
                        _object(
                            ["session"],
                            {
                                "session": _object(
                                    ["token", "expires_in"], {"token": TEXT, "expires_in": {"type": "number"}}
                                )
                            },
                        ),
                    ),
                    "401": {"description": "`invalid_credentials`", "content": _content(_ref("Error"))},
                    **_errors(*BODY),
                },
            }
        },
        "/me": {
            "get": {
                "operationId": "me",
                "summary": "The caller and its org",
                "responses": {
                    "200": _answer("The caller.", _object(["user", "org"], {"user": _ref("User"), "org": _ref("Org")})),
                    **_errors(*AUTHENTICATED),
                },
            }
        },
    }


def _invoice_paths() -> Json:
    invoice = "/orgs/{org_id}/invoices/{invoice_id}"
    return {
        "/orgs/{org_id}/invoices": {
            "parameters": [ORG_ID],
            "post": {
                "operationId": "createInvoice",
                "summary": "Create an invoice; its id is only in `Location`",
                "requestBody": {"required": True, "content": _content(_ref("NewInvoice"))},
                "responses": {
                    "201": {
                        "description": "Created, with an empty body.",
                        "headers": {
                            "Location": {
                                "description": "`/orgs/{org_id}/invoices/{invoice_id}` of the new invoice.",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **_errors(*SCOPED, *BODY),
                },
            },
            "get": {
                "operationId": "listInvoices",
                "summary": "The org's invoices",
                "responses": {
                    "200": _answer(
                        "The invoices.",
                        _object(["data"], {"data": _listing("items", _ref("Invoice"))}),
                    ),
                    **_errors(*SCOPED),
                },
            },
        },
        invoice: {
            "parameters": INVOICE_PARAMS,
            "get": {
                "operationId": "getInvoice",
                "summary": "One invoice",
                "responses": {"200": INVOICE, **_errors(*SCOPED)},
            },
            "patch": {
                "operationId": "updateInvoice",
                "summary": "Change any of title, secret and amount",
                "requestBody": {"required": True, "content": _content(_ref("InvoiceFields"))},
                "responses": {"200": INVOICE, **_errors(*SCOPED, *BODY)},
            },
            "delete": {
                "operationId": "deleteInvoice",
                "summary": "Delete an invoice with its attachments",
                "responses": {"204": _answer("Deleted."), **_errors(*SCOPED)},
            },
        },
        invoice + "/send": {
            "parameters": INVOICE_PARAMS,
            "post": {
                "operationId": "sendInvoice",
                "summary": "Mark the invoice `sent` (idempotent)",
                "responses": {"200": INVOICE, **_errors(*SCOPED)},
            },
        },
        invoice + "/export": {
            "parameters": INVOICE_PARAMS,
            "get": {
                "operationId": "exportInvoice",
                "summary": "The invoice as CSV: a header line and one record",
                "responses": {"200": _answer("The CSV.", TEXT, "text/csv"), **_errors(*SCOPED)},
            },
        },
        invoice + "/attachments": {
            "parameters": INVOICE_PARAMS,
            "get": {
                "operationId": "listAttachments",
                "summary": "The invoice's attachments, as a bare array",
                "responses": {
                    "200": _answer("The attachments.", {"type": "array", "items": _ref("Attachment")}),
                    **_errors(*SCOPED),
                },
            },
        },
        invoice + "/attachments/{name}": {
            "parameters": [*INVOICE_PARAMS, ATTACHMENT_NAME],
            "put": {
                "operationId": "putAttachment",
                "summary": "Store an attachment (UTF-8 text) under a name the client chooses",
                "requestBody": {"required": True, "content": _content(TEXT, "text/plain")},
                "responses": {
                    "201": _answer("Stored, a new attachment; empty body."),
                    "204": _answer("Stored, replacing the attachment of that name."),
                    **_errors(*SCOPED, 400, 413, 415),
                },
            },
            "get": {
                "operationId": "getAttachment",
                "summary": "An attachment's content",
                "responses": {"200": _answer("The content.", TEXT, "text/plain"), **_errors(*SCOPED, 400)},
            },
        },
    }


def _other_paths() -> Json:
    return {
        "/notes": {
            "post": {
                "operationId": "createNote",
                "summary": "Create a note of the caller's org",
                "requestBody": {
                    "required": True,
                    "content": _content(
                        _object(["subject", "body"], {"subject": {"type": "string", "minLength": 1}, "body": TEXT}),
                        "application/x-www-form-urlencoded",
                    ),
                },
                "responses": {
                    "201": _answer("The new note's id.", _object(["note_id"], {"note_id": TEXT})),
                    **_errors(*AUTHENTICATED, *BODY, 415),
                },
            },
            "get": {
                "operationId": "listNotes",
                "summary": "The notes of the caller's org",
                "responses": {
                    "200": _answer("The notes.", _listing("notes", _ref("Note"))),
                    **_errors(*AUTHENTICATED),
                },
            },
        },
        "/notes/import": {
            "post": {
                "operationId": "importNotes",
                "summary": "Upsert notes of the caller's org by id, all or nothing",
                "requestBody": {"required": True, "content": _content(_ref("NoteImport"))},
                "responses": {
                    "200": _answer("What was created and updated.", _ref("NoteImported")),
                    "404": {
                        "description": "`not_found`: an item's `note_id` is another org's note; nothing is written",
                        "content": _content(_ref("Error")),
                    },
                    **_errors(401, 403, *BODY),
                },
            },
        },
        "/notes/{note_id}": {
            "parameters": [NOTE_ID],
            "get": {
                "operationId": "getNote",
                "summary": "One note",
                "responses": {"200": _answer("The note.", _ref("Note")), **_errors(*SCOPED)},
            },
            "delete": {
                "operationId": "deleteNote",
                "summary": "Delete a note",
                "responses": {"204": _answer("Deleted."), **_errors(*SCOPED)},
            },
        },
        "/search": {
            "get": {
                "operationId": "search",
                "summary": "Invoice titles and secrets and note bodies of the caller's org that contain `q`",
                "parameters": [_query(required=True)],
                "responses": {
                    "200": _answer("The hits.", _listing("hits", _ref("SearchHit"))),
                    **_errors(*AUTHENTICATED, 422),
                },
            }
        },
        "/audit": {
            "get": {
                "operationId": "listAuditEvents",
                "summary": "The audit events of the caller's org, oldest first",
                "responses": {
                    "200": _answer("The events.", _listing("events", _ref("AuditEvent"))),
                    **_errors(*AUTHENTICATED),
                },
            }
        },
        "/directory": {
            "get": {
                "operationId": "directory",
                "summary": "Every org's invoice titles (public by design, never secrets)",
                "security": PUBLIC,
                "parameters": [_query(required=False)],
                "responses": {
                    "200": _answer("The titles.", _listing("titles", _strings("org_id", "title"))),
                    **_errors(422),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the Ledger, a deep copy: its parts are shared module constants."""
    document: Json = {
        "openapi": "3.1.0",
        "info": {
            "title": "tenantcheck Ledger",
            "version": __version__,
            "description": "A multi-tenant invoicing service (docs/ledger.md). Another org's object is 404 "
            "`not_found`, exactly like a missing one.",
        },
        "security": [{"bearerAuth": []}],
        "paths": {**_account_paths(), **_invoice_paths(), **_other_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A session token from `POST /auth/login`; it expires (401 `token_expired`).",
                }
            },
            "schemas": SCHEMAS,
            "responses": {
                name: {"description": description, "content": _content(_ref("Error"))}
                for name, description in ERROR_RESPONSES.values()
            },
        },
    }
    return copy.deepcopy(document)
