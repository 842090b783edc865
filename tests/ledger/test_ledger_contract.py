"""The correct Ledger's contract: sign-up and sessions, nested invoices with ids only in Location, public
titles, attachments by name, form-bodied notes and their JSON import, search, audit and the per-org cache;
every foreign attempt is a 404 (a body naming another org a 403) that changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import time

import pytest

from tests.ledger.helpers import PASSWORD, error_of
from tests.servers import marker

# --- health, sign-up, login, sessions ------------------------------------------------------------------


def test_health_needs_no_identity(ledger):
    response = ledger.anon.get("/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_signup_login_and_me(ledger):
    # Given a sign-up
    signup = ledger.signup("Alice@Example.test", org_name="Alice's firm")
    assert signup.status_code == 201
    user = signup.json()["user"]
    assert set(signup.json()) == {"user"} and set(user) == {"id", "email", "org_id"}  # no token here
    assert user["email"] == "alice@example.test"
    # When the user logs in
    login = ledger.login("alice@example.test")
    assert login.status_code == 200
    session = login.json()["session"]
    assert set(session) == {"token", "expires_in"} and session["expires_in"] == 3600
    # Then the token names the user and its new org
    me = ledger.anon.get("/me", headers={"Authorization": f"Bearer {session['token']}"})
    assert me.status_code == 200
    assert me.json() == {"user": user, "org": {"id": user["org_id"], "name": "Alice's firm"}}


def test_every_signup_makes_a_new_org(a, b):
    assert a.org_id != b.org_id


def test_duplicate_email_is_409(ledger, a):
    response = ledger.signup(a.email.upper())
    assert response.status_code == 409
    assert error_of(response) == "email_taken"


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_bad_credentials_are_401(ledger, a, wrong):
    email, password = (a.email, "not the password") if wrong == "password" else ("nobody@example.test", PASSWORD)
    response = ledger.login(email, password)
    assert response.status_code == 401
    assert error_of(response) == "invalid_credentials"


PROTECTED = [
    ("GET", "/me"),
    ("GET", "/orgs/{org}/invoices"),
    ("POST", "/orgs/{org}/invoices"),
    ("GET", "/orgs/{org}/invoices/{inv}"),
    ("PATCH", "/orgs/{org}/invoices/{inv}"),
    ("DELETE", "/orgs/{org}/invoices/{inv}"),
    ("POST", "/orgs/{org}/invoices/{inv}/send"),
    ("GET", "/orgs/{org}/invoices/{inv}/export"),
    ("GET", "/orgs/{org}/invoices/{inv}/attachments"),
    ("PUT", "/orgs/{org}/invoices/{inv}/attachments/f.txt"),
    ("GET", "/orgs/{org}/invoices/{inv}/attachments/f.txt"),
    ("GET", "/notes"),
    ("POST", "/notes"),
    ("POST", "/notes/import"),
    ("GET", "/notes/{note}"),
    ("DELETE", "/notes/{note}"),
    ("GET", "/search?q=x"),
    ("GET", "/audit"),
]


@pytest.mark.parametrize("identity", ["none", "unknown-token", "not-bearer", "two-headers"])
def test_no_valid_identity_is_401_everywhere_but_public_routes(ledger, a, identity):
    # Given a's objects and a request without a valid identity
    invoice_id, note_id = a.invoice(), a.note(marker())
    headers = {
        "none": [],
        "unknown-token": [("Authorization", "Bearer lg_nonsense")],
        "not-bearer": [("Authorization", f"Basic {a.token}")],
        "two-headers": [("Authorization", f"Bearer {a.token}"), ("Authorization", f"Bearer {a.token}")],
    }[identity]
    for method, template in PROTECTED:
        path = template.format(org=a.org_id, inv=invoice_id, note=note_id)
        # When it is sent anywhere protected, then it is 401 in the error shape
        response = ledger.http.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert error_of(response) == "unauthorized"
    # And public routes still answer
    for path in ("/health", "/directory"):
        assert ledger.http.get(path, headers=headers).status_code == 200


def test_an_expired_token_is_401_token_expired(ledgers):
    ledger = ledgers(token_ttl=1)
    org = ledger.org("e")
    assert ledger.login(org.email).json()["session"]["expires_in"] == 1
    assert org.client.get("/me").status_code == 200
    time.sleep(1.1)
    response = org.client.get("/me")
    assert response.status_code == 401
    assert error_of(response) == "token_expired"
    fresh = ledger.login(org.email).json()["session"]["token"]
    assert ledger.anon.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


@pytest.mark.parametrize("path", ["/auth/users/{user}", "/orgs/{org}", "/admin/orgs/{org}", "/debug/env"])
def test_users_and_orgs_cannot_be_deleted_and_there_is_no_admin_or_debug_api(a, path):
    path = path.format(user=a.user_id, org=a.org_id)
    for method in ("DELETE", "GET"):
        response = a.client.request(method, path)
        assert response.status_code in (404, 405), (method, path)
        assert error_of(response) in ("not_found", "method_not_allowed")
    assert a.client.get("/me").status_code == 200


def test_there_is_no_backup_route_and_no_job_is_ever_recorded(ledger, a):
    unknown = ledger.anon.get("/no-such-route")
    assert unknown.status_code == 404 and error_of(unknown) == "not_found"
    for client in (ledger.anon, a.client):
        response = client.get("/backup")
        assert response.status_code == 404 and response.json() == unknown.json(), response.text
    assert ledger.sql("SELECT count(*) FROM jobs") == [(0,)]


# --- invoices ------------------------------------------------------------------------------------------


def test_invoice_lifecycle(a, b):
    # Given a new invoice: 201, an empty body, the id only in Location (a body org_id is ignored)
    secret = marker()
    created = a.client.post(a.invoices, json={"title": "March", "secret": secret, "amount": 120.5, "org_id": b.org_id})
    assert created.status_code == 201 and created.content == b""
    location = created.headers["location"]
    invoice_id = location.rsplit("/", 1)[1]
    assert location == f"/orgs/{a.org_id}/invoices/{invoice_id}"
    # Then it reads back, whole, owned by a
    invoice = a.client.get(location).json()["data"]
    assert set(invoice) == {"id", "org_id", "title", "secret", "amount", "status", "created_at"}
    assert (invoice["id"], invoice["org_id"], invoice["title"], invoice["secret"], invoice["amount"],
            invoice["status"]) == (invoice_id, a.org_id, "March", secret, 120.5, "draft")
    assert a.client.get(a.invoices).json() == {"data": {"items": [invoice]}}
    assert secret not in b.client.get(b.invoices).text
    # When it is patched (partially; org_id ignored), sent, exported
    patched = a.client.patch(location, json={"amount": 99, "org_id": b.org_id})
    assert patched.status_code == 200
    assert patched.json()["data"] == {**invoice, "amount": 99}
    sent = a.client.post(f"{location}/send")
    assert sent.status_code == 200 and sent.json()["data"]["status"] == "sent"
    assert a.client.post(f"{location}/send").json()["data"]["status"] == "sent"  # idempotent
    export = a.client.get(f"{location}/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(export.text))) == [
        {**{k: str(v) for k, v in invoice.items()}, "amount": "99", "status": "sent"}
    ]
    # And deleted, it is gone
    deleted = a.client.delete(location)
    assert deleted.status_code == 204 and deleted.content == b""
    assert a.client.get(location).status_code == 404
    assert a.client.get(a.invoices).json() == {"data": {"items": []}}


def foreign_attempts(victim, invoice_id):
    """(label, method, path, request kwargs) of every attempt on a victim's invoice, by either path."""
    text = {"content": b"defaced", "headers": {"Content-Type": "text/plain"}}
    attempts = []
    for via, org_id in (("own-path", "{attacker}"), ("victim-path", victim.org_id)):
        base = f"/orgs/{org_id}/invoices/{invoice_id}"
        attempts += [
            (f"get:{via}", "GET", base, {}),
            (f"update:{via}", "PATCH", base, {"json": {"secret": "changed"}}),
            (f"delete:{via}", "DELETE", base, {}),
            (f"send:{via}", "POST", f"{base}/send", {}),
            (f"export:{via}", "GET", f"{base}/export", {}),
            (f"attachments.list:{via}", "GET", f"{base}/attachments", {}),
            (f"attachments.read:{via}", "GET", f"{base}/attachments/f.txt", {}),
            (f"attachments.write:{via}", "PUT", f"{base}/attachments/f.txt", text),
            (f"attachments.write-new:{via}", "PUT", f"{base}/attachments/new.txt", text),
        ]
    attempts += [
        ("invoices.list:victim-org", "GET", f"/orgs/{victim.org_id}/invoices", {}),
        ("invoices.create:victim-org", "POST", f"/orgs/{victim.org_id}/invoices",
         {"json": {"title": "t", "secret": "planted", "amount": 1}}),
    ]
    return attempts


def snapshot(org, invoice_id):
    return (
        org.client.get(org.invoices).json(),
        org.client.get(f"{org.invoices}/{invoice_id}/attachments").json(),
        org.client.get(f"{org.invoices}/{invoice_id}/attachments/f.txt").text,
    )


def test_every_foreign_attempt_is_a_plain_404_that_changes_nothing(a, b):
    # Given a's invoice with an attachment, and what a nonexistent invoice answers
    secret, content = marker(), marker()
    invoice_id = a.invoice(secret)
    a.attach(invoice_id, "f.txt", content)
    before = snapshot(a, invoice_id)
    missing = {  # what a missing invoice, and a missing org, answer
        "own-path": b.client.get(f"{b.invoices}/inv_00000000000000000000").json(),
        "victim-path": b.client.get("/orgs/org_00000000000000000000/invoices").json(),
    }
    # When b tries everything on it
    for label, method, path, kwargs in foreign_attempts(a, invoice_id):
        response = b.client.request(method, path.format(attacker=b.org_id), **kwargs)
        # Then each is 404 not_found, says nothing of a's data, and nothing changed
        assert response.status_code == 404, (label, response.status_code, response.text)
        assert error_of(response) == "not_found"
        # a foreign invoice looks exactly like a missing one, a foreign org like a missing org
        assert response.json() == missing["own-path" if label.endswith("own-path") else "victim-path"], label
        assert secret not in response.text and content not in response.text, label
    assert snapshot(a, invoice_id) == before
    assert b.client.get(b.invoices).json() == {"data": {"items": []}}


def test_wildcard_and_look_alike_org_ids_match_nothing(a, b):
    secret = marker()
    invoice_id = a.invoice(secret)
    for org_id in ("*", "%25", "_", a.org_id.upper(), f"{a.org_id}%25", f"{a.org_id[:-1]}_", "' OR '1'='1"):
        for path in (f"/orgs/{org_id}/invoices", f"/orgs/{org_id}/invoices/{invoice_id}"):
            response = b.client.get(path)
            assert response.status_code == 404, (path, response.text)
            assert secret not in response.text


def test_the_directory_is_public_with_titles_and_never_secrets(ledger, a):
    title, secret = marker("title"), marker()
    a.invoice(secret, title=title)
    listed = ledger.anon.get("/directory", params={"q": title})
    assert listed.status_code == 200
    assert listed.json() == {"titles": [{"org_id": a.org_id, "title": title}]}
    everything = ledger.anon.get("/directory").text
    assert title in everything and secret not in everything


# --- attachments ---------------------------------------------------------------------------------------


def test_attachments_by_name_and_their_blob_keys(ledger, a):
    # Given an invoice with an attachment named by the request
    invoice_id = a.invoice()
    base = f"{a.invoices}/{invoice_id}/attachments"
    text = {"Content-Type": "text/plain; charset=utf-8"}
    created = a.client.put(f"{base}/report.txt", content="héllo".encode(), headers=text)
    assert created.status_code == 201 and created.content == b""
    # Then it is listed (a bare array), served as text, and stored in the KV-style blobs table
    data = "héllo".encode()
    assert a.client.get(base).json() == [
        {"name": "report.txt", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
         "invoice_id": invoice_id, "org_id": a.org_id}
    ]
    read = a.client.get(f"{base}/report.txt")
    assert read.text == "héllo" and read.headers["content-type"].startswith("text/plain")
    key = f"org/{a.org_id}/invoice/{invoice_id}/report.txt"
    assert ledger.sql("SELECT key, value FROM blobs WHERE key LIKE ?", (f"%{invoice_id}%",)) == [(key, data)]
    # When replaced, then 204 and one blob
    assert a.client.put(f"{base}/report.txt", content=b"v2", headers=text).status_code == 204
    assert a.client.get(f"{base}/report.txt").text == "v2"
    assert ledger.sql("SELECT value FROM blobs WHERE key = ?", (key,)) == [(b"v2",)]
    # And attachments cannot be deleted on their own: they go with their invoice
    refused = a.client.delete(f"{base}/report.txt")
    assert refused.status_code == 405 and error_of(refused) == "method_not_allowed"
    assert a.client.get(f"{base}/missing.txt").status_code == 404
    assert a.client.delete(f"{a.invoices}/{invoice_id}").status_code == 204
    assert ledger.sql("SELECT count(*) FROM blobs WHERE key LIKE ?", (f"%{invoice_id}%",)) == [(0,)]
    assert ledger.sql("SELECT count(*) FROM attachments WHERE invoice_id = ?", (invoice_id,)) == [(0,)]


# --- notes, search, audit, cache -----------------------------------------------------------------------


def test_notes_take_form_bodies_and_stay_in_their_org(a, b):
    body = marker()
    created = a.client.post("/notes", data={"subject": "Call back", "body": body, "org_id": b.org_id})
    assert created.status_code == 201
    note_id = created.json()["note_id"]
    note = {"note_id": note_id, "org_id": a.org_id, "subject": "Call back", "body": body}
    assert a.client.get(f"/notes/{note_id}").json() == note
    assert a.client.get("/notes").json() == {"notes": [note]}
    for method in ("GET", "DELETE"):
        response = b.client.request(method, f"/notes/{note_id}")
        assert response.status_code == 404 and body not in response.text
    assert b.client.get("/notes").json() == {"notes": []}
    assert a.client.get(f"/notes/{note_id}").json() == note
    assert a.client.delete(f"/notes/{note_id}").status_code == 204
    assert a.client.get(f"/notes/{note_id}").status_code == 404


def item(note_id, subject="Imported", body="imported body", **extra):
    """One item of a notes import body."""
    return {"note_id": note_id, "subject": subject, "body": body, **extra}


def test_import_creates_new_notes_and_updates_the_callers_own(a, b):
    # Given a's note, and a's note list warm in the cache
    own = a.note("old body", subject="Old")
    assert len(a.client.get("/notes").json()["notes"]) == 1
    fresh, body = marker("Imp:.-_"), marker()  # a client-chosen id using every allowed kind of character
    # When a imports a new id and its own note's id (naming its own org, which is allowed)
    response = a.client.post("/notes/import", json={"notes": [
        item(fresh, subject="New", body=body),
        item(own, subject="Changed", body="new body", org_id=a.org_id),
    ]})
    # Then one is created, one updated, both in a's org, and the list is fresh
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 2, "created": [fresh], "updated": [own]}
    assert a.client.get("/notes").json() == {"notes": [
        {"note_id": own, "org_id": a.org_id, "subject": "Changed", "body": "new body"},
        {"note_id": fresh, "org_id": a.org_id, "subject": "New", "body": body},
    ]}
    assert a.client.get(f"/notes/{fresh}").json()["body"] == body
    assert b.client.get("/notes").json() == {"notes": []}
    # And importing the same id again updates it
    again = a.client.post("/notes/import", json={"notes": [item(fresh, body="third")]})
    assert again.json() == {"imported": 1, "created": [], "updated": [fresh]}
    assert a.client.get(f"/notes/{fresh}").json()["body"] == "third"


def test_import_naming_another_org_is_403_and_writes_nothing(ledger, a, b):
    body = marker()
    first, second = marker("imp"), marker("imp")
    response = b.client.post("/notes/import", json={"notes": [
        item(first, body=body), item(second, body=body, org_id=a.org_id),
    ]})
    assert response.status_code == 403, response.text
    assert error_of(response) == "forbidden"
    assert a.client.get("/notes").json() == {"notes": []}
    assert b.client.get("/notes").json() == {"notes": []}
    assert ledger.sql("SELECT count(*) FROM notes WHERE id IN (?, ?) OR body = ?", (first, second, body)) == [(0,)]


def test_import_of_another_orgs_note_id_is_a_plain_404_that_writes_nothing(ledger, a, b):
    # Given a's note, and what a missing note answers
    body = marker()
    victim = a.note(body, subject="Mine")
    before = a.client.get(f"/notes/{victim}").json()
    missing = b.client.get("/notes/note_00000000000000000000").json()
    planted = marker("imp")
    # When b imports a new note and one with a's note id
    response = b.client.post("/notes/import", json={"notes": [
        item(planted), item(victim, subject="Defaced", body="defaced"),
    ]})
    # Then it is the 404 of a missing note, a's note is unchanged and nothing of the batch is stored
    assert response.status_code == 404, response.text
    assert response.json() == missing and body not in response.text
    assert a.client.get(f"/notes/{victim}").json() == before
    assert b.client.get("/notes").json() == {"notes": []}
    assert ledger.sql("SELECT count(*) FROM notes WHERE id = ?", (planted,)) == [(0,)]
    # And it is audited as b's denial
    assert {"org_id": b.org_id, "actor": b.user_id, "action": "note.import", "target": None,
            "ok": False} in b.events()


@pytest.mark.parametrize(
    "raw, status, code",
    [
        pytest.param(b"{", 400, "bad_request", id="malformed"),
        pytest.param(b"[]", 400, "bad_request", id="not-an-object"),
        pytest.param({}, 422, "invalid_field", id="no-notes"),
        pytest.param({"notes": []}, 422, "invalid_field", id="empty-list"),
        pytest.param({"notes": item(marker("imp"))}, 422, "invalid_field", id="not-a-list"),
        pytest.param({"notes": [item(marker("imp")) for _ in range(101)]}, 422, "invalid_field", id="too-many"),
        pytest.param({"notes": ["note"]}, 422, "invalid_field", id="item-not-object"),
        pytest.param({"notes": [{"subject": "s", "body": "b"}]}, 422, "invalid_field", id="no-note-id"),
        pytest.param({"notes": [item("")]}, 422, "invalid_field", id="empty-note-id"),
        pytest.param({"notes": [item(7)]}, 422, "invalid_field", id="number-note-id"),
        pytest.param({"notes": [item("a b")]}, 422, "invalid_field", id="space-in-note-id"),
        pytest.param({"notes": [item("n/1")]}, 422, "invalid_field", id="slash-in-note-id"),
        pytest.param({"notes": [item("n" * 101)]}, 422, "invalid_field", id="long-note-id"),
        pytest.param({"notes": [item(marker("imp"), subject=5)]}, 422, "invalid_field", id="number-subject"),
        pytest.param({"notes": [item(marker("imp"), subject=" ")]}, 422, "invalid_field", id="blank-subject"),
        pytest.param({"notes": [item(marker("imp"), body=None)]}, 422, "invalid_field", id="null-body"),
        pytest.param({"notes": [item(marker("imp"), org_id=5)]}, 422, "invalid_field", id="number-org-id"),
        pytest.param({"notes": [item("dup"), item("dup")]}, 422, "invalid_field", id="repeated-note-id"),
    ],
)
def test_bad_import_bodies_are_refused_and_write_nothing(a, raw, status, code):
    kwargs = {"content": raw} if isinstance(raw, bytes) else {"json": raw}
    response = a.client.post("/notes/import", **kwargs)
    assert response.status_code == status, response.text
    assert error_of(response) == code
    assert a.client.get("/notes").json() == {"notes": []}


def test_search_covers_only_the_callers_org(a, b):
    word = marker("w")
    invoice_id = a.invoice(f"secret {word} here")
    note_id = a.note(f"note with {word.upper()}")
    b.invoice(f"b also has {word}")
    hits = a.client.get("/search", params={"q": word}).json()["hits"]
    assert sorted((h["kind"], h["id"]) for h in hits) == [("invoice", invoice_id), ("note", note_id)]
    assert all(word.lower() in h["snippet"].lower() for h in hits)
    assert [h["kind"] for h in b.client.get("/search", params={"q": word}).json()["hits"]] == ["invoice"]
    assert b.client.get("/search", params={"q": "secret " + word}).json() == {"hits": []}


def test_denials_are_audited_for_the_attacker_and_only_it_sees_them(a, b):
    invoice_id = a.invoice()
    assert b.client.get(f"{b.invoices}/{invoice_id}").status_code == 404
    assert b.client.get(a.invoices).status_code == 404
    events = b.events()
    assert {"org_id": b.org_id, "actor": b.user_id, "action": "invoice.read", "target": invoice_id,
            "ok": False} in events
    assert {"org_id": b.org_id, "actor": b.user_id, "action": "invoice.list", "target": a.org_id,
            "ok": False} in events
    assert {e["org_id"] for e in events} == {b.org_id}
    assert {e["org_id"] for e in a.events()} == {a.org_id}
    assert {(e["action"], e["ok"]) for e in a.events()} >= {("invoice.create", True), ("invoice.read", True)}


def test_cached_answers_are_per_org_and_dropped_by_writes(a, b):
    # Given warm caches for both orgs on the same URLs
    word = marker("w")
    a_note, b_note = a.note(f"{word} a"), b.note(f"{word} b")
    for org, own in ((a, a_note), (b, b_note)):
        assert [n["note_id"] for n in org.client.get("/notes").json()["notes"]] == [own]
        assert [h["id"] for h in org.client.get("/search", params={"q": word}).json()["hits"]] == [own]
    assert a.client.get(a.invoices).json()["data"]["items"] == []
    # When a writes, then a's answers are fresh and b's still its own
    invoice_id = a.invoice(f"{word} invoice")
    assert [i["id"] for i in a.client.get(a.invoices).json()["data"]["items"]] == [invoice_id]
    assert len(a.client.get("/search", params={"q": word}).json()["hits"]) == 2
    assert a.client.delete(f"/notes/{a_note}").status_code == 204
    assert a.client.get("/notes").json() == {"notes": []}
    assert [n["note_id"] for n in b.client.get("/notes").json()["notes"]] == [b_note]
    a.attach(invoice_id, "f.txt", "x")
    assert [x["name"] for x in a.client.get(f"{a.invoices}/{invoice_id}/attachments").json()] == ["f.txt"]
    a.client.patch(f"{a.invoices}/{invoice_id}", json={"secret": "gone"})
    assert [h["kind"] for h in a.client.get("/search", params={"q": word}).json()["hits"]] == []


# --- storage -------------------------------------------------------------------------------------------


def test_storage_tables_every_row_has_its_owner_and_no_password_is_stored(ledger, a):
    tables = {name for (name,) in ledger.sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"orgs", "users", "sessions", "invoices", "attachments", "blobs", "notes", "audit", "jobs"} <= tables
    for table in ("users", "sessions", "invoices", "attachments", "notes", "audit"):
        assert "org_id" in {column for (_, column, *_) in ledger.sql(f"PRAGMA table_info({table})")}, table
    assert [column for (_, column, *_) in ledger.sql("PRAGMA table_info(blobs)")] == ["key", "value"]
    assert ledger.sql("PRAGMA journal_mode") == [("wal",)]
    invoice_id = a.invoice()
    a.attach(invoice_id, "f.txt", "x")
    a.note("n")
    for table, column in (("users", "id"), ("sessions", "user_id")):
        assert ledger.sql(f"SELECT DISTINCT org_id FROM {table} WHERE {column} = ?", (a.user_id,)) == [(a.org_id,)]
    for table in ("invoices", "attachments", "audit"):
        where = "id" if table == "invoices" else ("invoice_id" if table == "attachments" else "target")
        assert ledger.sql(f"SELECT DISTINCT org_id FROM {table} WHERE {where} = ?", (invoice_id,)) == [(a.org_id,)]
    assert ledger.sql("SELECT count(*) FROM notes WHERE org_id = ?", (a.org_id,)) == [(1,)]
    (stored,) = ledger.sql("SELECT password_hash FROM users WHERE id = ?", (a.user_id,))[0]
    assert PASSWORD not in stored and stored.startswith("pbkdf2_sha256$")
    assert ledger.sql("SELECT count(*) FROM sessions WHERE token_hash = ?", (a.token,)) == [(0,)]
