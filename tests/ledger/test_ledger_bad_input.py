"""Bad client input is a 4xx in the Ledger's error shape, never a 500, and stores nothing."""

from __future__ import annotations

import pytest

from tests.ledger.helpers import error_of

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TEXT = {"Content-Type": "text/plain"}

INVOICE_BODIES = [
    pytest.param(b"{", 400, "bad_request", id="malformed"),
    pytest.param(b"", 400, "bad_request", id="empty"),
    pytest.param(b"[1, 2]", 400, "bad_request", id="array"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": NaN}', 400, "bad_request", id="nan"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": 1e999}', 400, "bad_request", id="infinite"),
    pytest.param(b'{"title": "\\ud800", "secret": "s", "amount": 1}', 400, "bad_request", id="lone-surrogate"),
    pytest.param(b"\xff\xfe", 400, "bad_request", id="not-utf8"),
    pytest.param(b"[" * 100 + b"]" * 100, 400, "bad_request", id="deep"),
    pytest.param(b'{"secret": "s", "amount": 1}', 422, "invalid_field", id="no-title"),
    pytest.param(b'{"title": " ", "secret": "s", "amount": 1}', 422, "invalid_field", id="blank-title"),
    pytest.param(b'{"title": 5, "secret": "s", "amount": 1}', 422, "invalid_field", id="title-number"),
    pytest.param(b'{"title": "t", "secret": null, "amount": 1}', 422, "invalid_field", id="secret-null"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": "1"}', 422, "invalid_field", id="amount-string"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": true}', 422, "invalid_field", id="amount-bool"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": 1e300}', 422, "invalid_field", id="amount-huge"),
    pytest.param(b'{"title": "t", "secret": "s", "amount": 99999999999999999999999}', 422, "invalid_field",
                 id="amount-bigint"),
    pytest.param(b'{"title": "t", "secret": "a\\u0000b", "amount": 1}', 422, "invalid_field", id="nul"),
    pytest.param(b'{"title": "' + b"t" * 201 + b'", "secret": "s", "amount": 1}', 422, "invalid_field",
                 id="long-title"),
]


@pytest.mark.parametrize("raw, status, code", INVOICE_BODIES)
def test_bad_invoice_bodies_are_refused_and_store_nothing(a, raw, status, code):
    attempts = [("POST", a.invoices), ("PATCH", f"{a.invoices}/{a.invoice()}")]
    if raw.startswith(b'{"secret"'):
        attempts.pop()  # a partial update needs no title
    for method, path in attempts:
        response = a.client.request(method, path, content=raw, headers=JSON)
        assert response.status_code == status, (method, response.text)
        assert error_of(response) == code
    items = a.client.get(a.invoices).json()["data"]["items"]
    assert all(item["title"] == "Invoice" for item in items)  # only the ones made by a.invoice()


def test_bodies_over_one_mib_are_413(a):
    invoice_id = a.invoice()
    big = b"x" * (MIB + 1)
    attempts = [
        ("POST", a.invoices, JSON),
        ("PUT", f"{a.invoices}/{invoice_id}/attachments/big.txt", TEXT),
        ("POST", "/notes", FORM),
    ]
    for method, path, headers in attempts:
        response = a.client.request(method, path, content=big, headers=headers)
        assert response.status_code == 413, path
        assert error_of(response) == "payload_too_large"
    exactly = a.client.put(f"{a.invoices}/{invoice_id}/attachments/max.txt", content=b"x" * MIB, headers=TEXT)
    assert exactly.status_code == 201
    chunked = a.client.put(f"{a.invoices}/{invoice_id}/attachments/c.txt", content=iter([b"x" * MIB, b"y"]),
                           headers=TEXT)
    assert chunked.status_code == 413
    assert [x["name"] for x in a.client.get(f"{a.invoices}/{invoice_id}/attachments").json()] == ["max.txt"]


@pytest.mark.parametrize(
    "name, content, headers, status, code",
    [
        pytest.param("f.txt", b"x", JSON, 415, "unsupported_media_type", id="json-type"),
        pytest.param("f.txt", b"x", {}, 415, "unsupported_media_type", id="no-type"),
        pytest.param("f.txt", b"\xff", TEXT, 400, "bad_request", id="not-utf8"),
        pytest.param(".hidden", b"x", TEXT, 400, "bad_request", id="dot-name"),
        pytest.param("a%20b", b"x", TEXT, 400, "bad_request", id="space-name"),
        pytest.param("%2e%2e", b"x", TEXT, 400, "bad_request", id="dotdot-name"),
        pytest.param("n" * 129, b"x", TEXT, 400, "bad_request", id="long-name"),
    ],
)
def test_bad_attachments_are_refused(a, name, content, headers, status, code):
    invoice_id = a.invoice()
    response = a.client.put(f"{a.invoices}/{invoice_id}/attachments/{name}", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert error_of(response) == code
    assert a.client.get(f"{a.invoices}/{invoice_id}/attachments").json() == []


@pytest.mark.parametrize(
    "content, headers, status, code",
    [
        pytest.param(b'{"subject": "s", "body": "b"}', JSON, 415, "unsupported_media_type", id="json"),
        pytest.param(b"body=b", FORM, 422, "invalid_field", id="no-subject"),
        pytest.param(b"subject=+&body=b", FORM, 422, "invalid_field", id="blank-subject"),
        pytest.param(b"subject=a&subject=b&body=b", FORM, 422, "invalid_field", id="repeated"),
        pytest.param(b"subject=%FF&body=b", FORM, 400, "bad_request", id="not-utf8-escape"),
        pytest.param(b"subject=\xff&body=b", FORM, 400, "bad_request", id="not-utf8"),
        pytest.param(b"&".join(b"f%d=1" % i for i in range(60)), FORM, 400, "bad_request", id="too-many"),
    ],
)
def test_bad_note_forms_are_refused(a, content, headers, status, code):
    response = a.client.post("/notes", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert error_of(response) == code
    assert a.client.get("/notes").json() == {"notes": []}


@pytest.mark.parametrize(
    "path, body, status, code",
    [
        pytest.param("/auth/signup", b"{", 400, "bad_request", id="signup-malformed"),
        pytest.param("/auth/signup", b'{"email": "nope", "password": "long enough", "org_name": "o"}', 422,
                     "invalid_field", id="signup-email"),
        pytest.param("/auth/signup", b'{"email": "x@y.z", "password": "short", "org_name": "o"}', 422,
                     "invalid_field", id="signup-password"),
        pytest.param("/auth/signup", b'{"email": "x@y.z", "password": "long enough"}', 422, "invalid_field",
                     id="signup-no-org"),
        pytest.param("/auth/login", b'{"email": 1, "password": "x"}', 422, "invalid_field", id="login-types"),
        pytest.param("/auth/login", b"null", 400, "bad_request", id="login-null"),
    ],
)
def test_bad_auth_bodies_are_refused(ledger, path, body, status, code):
    response = ledger.anon.post(path, content=body, headers=JSON)
    assert response.status_code == status, response.text
    assert error_of(response) == code


def test_bad_queries_are_422(a):
    for params in ({}, {"q": " "}, {"q": "x" * 201}):
        response = a.client.get("/search", params=params)
        assert response.status_code == 422 and error_of(response) == "invalid_field"
    assert a.client.get("/directory", params={"q": "x" * 201}).status_code == 422


def test_unknown_routes_and_methods_keep_the_error_shape(a):
    assert error_of(a.client.get("/nope")) == "not_found"
    response = a.client.put(a.invoices)
    assert response.status_code == 405 and error_of(response) == "method_not_allowed"
