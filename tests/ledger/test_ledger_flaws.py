"""Each Ledger flaw produces exactly the misbehaviour it names, and the correct Ledger does not.

A scenario runs the same requests against a Ledger and answers "did the named misbehaviour happen?": True on
the Ledger with that one flaw, False on the correct one. Then every scenario runs against every other flaw,
to show that a flaw changes only what it names. The object-access flaws all behave one way (the invoice is
looked up by id alone), so their scenarios name the attacker's own org in the path with the victim's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantcheck.ledger import FLAWS
from tests.ledger.helpers import Target
from tests.servers import marker


def list_unfiltered(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret = marker()
    a.invoice(secret)
    return secret in b.client.get(b.invoices).text


def get_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret = marker()
    invoice_id = a.invoice(secret)
    response = b.client.get(f"{b.invoices}/{invoice_id}")
    return response.status_code == 200 and secret in response.text


def update_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id = a.invoice()
    b.client.patch(f"{b.invoices}/{invoice_id}", json={"secret": "changed-by-b"})
    return a.client.get(f"{a.invoices}/{invoice_id}").json()["data"]["secret"] == "changed-by-b"


def delete_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id = a.invoice()
    b.client.delete(f"{b.invoices}/{invoice_id}")
    return a.client.get(f"{a.invoices}/{invoice_id}").status_code == 404


def send_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id = a.invoice()
    b.client.post(f"{b.invoices}/{invoice_id}/send")
    return a.client.get(f"{a.invoices}/{invoice_id}").json()["data"]["status"] == "sent"


def path_org_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret, planted = marker(), marker()
    a.invoice(secret)
    listed = secret in b.client.get(a.invoices).text
    created = b.client.post(a.invoices, json={"title": "t", "secret": planted, "amount": 1})
    return listed and created.status_code == 201 and planted in a.client.get(a.invoices).text


def attachment_read_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id, content = a.invoice(), marker()
    a.attach(invoice_id, "f.txt", content)
    return content in b.client.get(f"{b.invoices}/{invoice_id}/attachments/f.txt").text


def attachment_write_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id = a.invoice()
    a.attach(invoice_id, "f.txt", "original")
    b.client.put(f"{b.invoices}/{invoice_id}/attachments/f.txt", content=b"defaced",
                 headers={"Content-Type": "text/plain"})
    return a.client.get(f"{a.invoices}/{invoice_id}/attachments/f.txt").text == "defaced"


def attachment_list_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id, name = a.invoice(), f"{marker()}.txt"
    a.attach(invoice_id, name, "content")
    return name in b.client.get(f"{b.invoices}/{invoice_id}/attachments").text


def notes_unchecked(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    body = marker()
    note_id = a.note(body)
    read = body in b.client.get(f"/notes/{note_id}").text
    b.client.delete(f"/notes/{note_id}")
    return read and a.client.get(f"/notes/{note_id}").status_code == 404


def search_unscoped(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret = marker()
    invoice_id = a.invoice(secret)
    return invoice_id in b.client.get("/search", params={"q": secret}).text


def audit_unscoped(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    assert b.client.get("/me").status_code == 200
    return b.org_id in {event["org_id"] for event in a.events()}


def anonymous_default_org(target: Target) -> bool:
    target.org("a")  # there is a first org, whichever it is
    me = target.anon.get("/me")
    return me.status_code == 200 and target.anon.get(f"/orgs/{me.json()['org']['id']}/invoices").status_code == 200


def org_header_honored(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    body = marker()
    b.note(body)
    return body in a.client.get("/notes", headers={"X-Org-Id": b.org_id}).text


def body_org_honored(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret = marker()
    response = a.client.post(a.invoices, json={"title": "t", "secret": secret, "amount": 1, "org_id": b.org_id})
    assert response.status_code == 201, response.text
    return secret in b.client.get(b.invoices).text and secret not in a.client.get(a.invoices).text


def cache_key_shared(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    own, body = marker(), marker()
    b.note(own)
    a.note(body)
    assert body in a.client.get("/notes").text  # A warms the cache for /notes
    seen = b.client.get("/notes").text
    return body in seen and own not in seen  # A's cached answer, not an unfiltered one


def request_state_shared(target: Target) -> bool:
    orgs = [target.org(f"c{i}") for i in range(4)]
    calls = [(org, f"{org.invoices}/{org.invoice()}") for org in orgs]
    responses = target.burst(calls * 6)
    return any(response.status_code != 200 for response in responses)  # read as another org: refused


def org_id_wildcard(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    secret = marker()
    invoice_id = a.invoice(secret)
    listed = secret in b.client.get("/orgs/*/invoices").text
    read = secret in b.client.get(f"/orgs/%25/invoices/{invoice_id}").text
    return listed and read


def import_overwrites(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    note_id = a.note(marker())
    b.client.post("/notes/import", json={"notes": [{"note_id": note_id, "subject": "S", "body": "defaced-by-b"}]})
    return a.client.get(f"/notes/{note_id}").json()["body"] == "defaced-by-b"  # still a's note, b's words


def import_owner_honored(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    body = marker()
    item = {"note_id": marker("imp"), "subject": "S", "body": body, "org_id": a.org_id}
    a.client.get("/notes")  # a's list is cached: the import must drop it
    b.client.post("/notes/import", json={"notes": [item]})
    return body in a.client.get("/notes").text and body not in b.client.get("/notes").text


def owner_not_persisted(target: Target) -> bool:
    a = target.org("a")
    response = a.client.post(a.invoices, json={"title": "t", "secret": marker(), "amount": 1})
    assert response.status_code == 201, response.text
    invoice_id = response.headers["location"].rsplit("/", 1)[1]
    return target.sql("SELECT org_id FROM invoices WHERE id = ?", (invoice_id,)) == [("",)]


def blob_unprefixed(target: Target) -> bool:
    a = target.org("a")
    invoice_id = a.invoice()
    a.attach(invoice_id, "k.txt", "content")  # the owner still reads it back
    keys = [key for (key,) in target.sql("SELECT key FROM blobs WHERE key LIKE ?", (f"%{invoice_id}%",))]
    assert len(keys) == 1, keys
    return keys == [f"invoice/{invoice_id}/k.txt"]


def denials_not_audited(target: Target) -> bool:
    a, b = target.org("a"), target.org("b")
    invoice_id = a.invoice()
    # An export of a foreign invoice: a denial that no other flaw turns into a success.
    assert b.client.get(f"{b.invoices}/{invoice_id}/export").status_code == 404
    assert b.client.get(b.invoices).status_code == 200
    events = [e for e in b.events() if e["org_id"] == b.org_id]
    assert ("invoice.list", True) in {(e["action"], e["ok"]) for e in events}  # successes are still audited
    return not any(e["target"] == invoice_id and not e["ok"] for e in events)


def debug_open(target: Target) -> bool:
    response = target.anon.get("/debug/env")
    return response.status_code == 200 and "flaws" in response.json()["config"]


def backup_on_get(target: Target) -> bool:
    before = set(target.sql("SELECT id FROM jobs"))
    answers = [target.anon.get("/backup") for _ in range(2)]
    gained = set(target.sql("SELECT id FROM jobs")) - before
    if all(answer.status_code == 404 for answer in answers):
        assert not gained, gained  # the unknown route's 404, and nothing written
        return False
    assert [answer.json() for answer in answers] == [{"started": True}] * 2  # the answer tells nothing
    return len(gained) == len(answers)  # one job per call: only the database shows the write


SCENARIOS: dict[str, tuple[Callable[[Target], bool], dict[str, Any]]] = {
    "list-unfiltered": (list_unfiltered, {}),
    "get-unchecked": (get_unchecked, {}),
    "update-unchecked": (update_unchecked, {}),
    "delete-unchecked": (delete_unchecked, {}),
    "send-unchecked": (send_unchecked, {}),
    "path-org-unchecked": (path_org_unchecked, {}),
    "attachment-read-unchecked": (attachment_read_unchecked, {}),
    "attachment-write-unchecked": (attachment_write_unchecked, {}),
    "attachment-list-unchecked": (attachment_list_unchecked, {}),
    "notes-unchecked": (notes_unchecked, {}),
    "search-unscoped": (search_unscoped, {}),
    "audit-unscoped": (audit_unscoped, {}),
    "anonymous-default-org": (anonymous_default_org, {}),
    "org-header-honored": (org_header_honored, {}),
    "body-org-honored": (body_org_honored, {}),
    "cache-key-shared": (cache_key_shared, {}),
    "request-state-shared": (request_state_shared, {}),
    "org-id-wildcard": (org_id_wildcard, {}),
    "import-overwrites": (import_overwrites, {}),
    "import-owner-honored": (import_owner_honored, {}),
    "owner-not-persisted": (owner_not_persisted, {}),
    "blob-unprefixed": (blob_unprefixed, {}),
    "denials-not-audited": (denials_not_audited, {}),
    "debug-open": (debug_open, {}),
    "backup-on-get": (backup_on_get, {}),
}

# Flaws under which other scenarios cannot even set up (their positive controls fail): no row has an
# owner, so every creator is refused its own invoice or note.
BREAKS_SETUP = {"owner-not-persisted"}


def test_every_flaw_has_a_scenario():
    assert set(SCENARIOS) == set(FLAWS)


@pytest.mark.parametrize("flawed", [False, True], ids=["correct", "flawed"])
@pytest.mark.parametrize("flaw", SCENARIOS)
def test_flaw_produces_its_misbehaviour(ledgers, flaw, flawed):
    # Given a Ledger with exactly this flaw (or none), when the scenario runs, then it sees the flaw's effect
    # exactly when the flaw is on.
    scenario, base = SCENARIOS[flaw]
    assert scenario(ledgers(**base, flaws={flaw} if flawed else set())) is flawed


@pytest.mark.parametrize("flaw", SCENARIOS)
def test_flaw_changes_only_what_it_names(ledgers, flaw):
    tripped: dict[str, object] = {}
    for other, (scenario, base) in SCENARIOS.items():
        if other == flaw:
            continue
        try:
            tripped[other] = scenario(ledgers(**base, flaws={flaw}))
        except (AssertionError, KeyError) as exc:
            tripped[other] = "setup failed" if flaw in BREAKS_SETUP else f"error: {exc!r}"[:300]
    assert {name: result for name, result in tripped.items() if result not in (False, "setup failed")} == {}
