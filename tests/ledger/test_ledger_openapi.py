"""The Ledger's OpenAPI document: valid OpenAPI 3.1, exactly the app's routes, served publicly at
`/openapi.json`, and true to what the Ledger answers (security, statuses, bodies, headers, media types)."""

from __future__ import annotations

import re
import uuid

from tenantcheck.ledger import LedgerConfig
from tenantcheck.ledger.app import routes
from tenantcheck.ledger.openapi import openapi_document
from tests.ledger.helpers import PASSWORD
from tests.openapi_checks import assert_valid_and_exactly, check_answer, documented
from tests.servers import marker

UNDOCUMENTED = {"/openapi.json", "/debug/env", "/backup"}
PUBLIC = {("GET", "/health"), ("POST", "/auth/signup"), ("POST", "/auth/login"), ("GET", "/directory")}


def route_table():
    """(METHOD, path template) of every route of the Ledger, the hidden routes switched on (and left out)."""
    return {
        (method, route.path)
        for route in routes(LedgerConfig(flaws=frozenset({"debug-open", "backup-on-get"})))
        if route.path not in UNDOCUMENTED
        for method in route.methods - {"HEAD"}
    }



def test_the_document_is_valid_openapi_3_1_and_describes_exactly_the_routes():
    assert_valid_and_exactly(openapi_document(), route_table())


def test_it_is_served_without_credentials(ledger):
    response = ledger.anon.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi_document()


def test_bearer_is_global_and_only_the_public_routes_opt_out():
    document = openapi_document()
    assert document["security"] == [{"bearerAuth": []}]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    opted_out = {(m, p) for m, p in documented(document) if document["paths"][p][m.lower()].get("security") == []}
    assert opted_out == PUBLIC


def test_only_the_public_operations_answer_without_identity(ledger):
    document = openapi_document()
    for method, path in documented(document):
        response = ledger.anon.request(method, re.sub(r"\{\w+\}", "x", path))
        assert (response.status_code != 401) == ((method, path) in PUBLIC), (method, path, response.text)
        check_answer(document, path, response)


def test_the_answers_are_the_documented_ones(ledger, a, b):
    # Given a's invoice with an attachment, a note, and b as a stranger
    document = openapi_document()
    invoice_id = a.invoice()
    a.attach(invoice_id, "receipt.txt", "paid")
    ids = {"org_id": a.org_id, "invoice_id": invoice_id, "name": "receipt.txt", "note_id": a.note(marker())}
    invoices = "/orgs/{org_id}/invoices"
    invoice = invoices + "/{invoice_id}"
    attachment = invoice + "/attachments/{name}"
    signup = {"email": f"new-{uuid.uuid4().hex[:10]}@example.test", "password": PASSWORD, "org_name": "New"}
    imported = {"note_id": marker("imp"), "subject": "S", "body": marker()}
    a_note = {**imported, "note_id": ids["note_id"]}
    calls = [
        (ledger.anon, "POST", "/auth/signup", {"json": signup}),
        (ledger.anon, "POST", "/auth/signup", {"json": signup}),
        (ledger.anon, "POST", "/auth/signup", {"json": {"email": signup["email"]}}),
        (ledger.anon, "POST", "/auth/login", {"json": {"email": signup["email"], "password": PASSWORD}}),
        (ledger.anon, "POST", "/auth/login", {"json": {"email": signup["email"], "password": "wrong password"}}),
        (a.client, "GET", "/me", {}),
        (a.client, "POST", invoices, {"json": {"title": "T", "secret": marker(), "amount": 1.5}}),
        (a.client, "GET", invoices, {}),
        (a.client, "GET", invoice, {}),
        (b.client, "GET", invoice, {}),
        (a.client, "PATCH", invoice, {"json": {"amount": 7}}),
        (a.client, "POST", invoice + "/send", {}),
        (a.client, "GET", invoice + "/export", {}),
        (a.client, "GET", invoice + "/attachments", {}),
        (a.client, "PUT", attachment, {"content": b"replaced", "headers": {"Content-Type": "text/plain"}}),
        (a.client, "PUT", attachment, {"json": {"not": "text"}}),
        (a.client, "GET", attachment, {}),
        (a.client, "POST", "/notes", {"data": {"subject": "S", "body": marker()}}),
        (a.client, "GET", "/notes", {}),
        (a.client, "GET", "/notes/{note_id}", {}),
        (a.client, "POST", "/notes/import", {"json": {"notes": [imported, a_note]}}),
        (b.client, "POST", "/notes/import", {"json": {"notes": [a_note]}}),
        (b.client, "POST", "/notes/import", {"json": {"notes": [{**imported, "note_id": marker("imp"),
                                                                 "org_id": a.org_id}]}}),
        (a.client, "POST", "/notes/import", {"json": {"notes": []}}),
        (a.client, "GET", "/search", {"params": {"q": "paid"}}),
        (a.client, "GET", "/search", {}),
        (a.client, "GET", "/audit", {}),
        (ledger.anon, "GET", "/directory", {"params": {"q": "T"}}),
        (a.client, "DELETE", "/notes/{note_id}", {}),
        (a.client, "DELETE", invoice, {}),
        (a.client, "GET", invoice, {}),
    ]
    # When each operation is called, then its answer is one the document declares
    for client, method, template, kwargs in calls:
        check_answer(document, template, client.request(method, template.format(**ids), **kwargs))
