"""Concurrent isolation: 8 orgs x 28 mixed requests at once, each sees only its own data on the correct Ledger
(the same burst under `request-state-shared` is in test_ledger_flaws.py)."""

from __future__ import annotations

from tests.servers import marker

ORGS = 8
PER_ORG = 28


def test_each_org_sees_only_its_own_data_under_load(ledger):
    # Given 8 orgs with an invoice, an attachment and a note each, all named by the org's marker
    orgs = [ledger.org(f"c{i}") for i in range(ORGS)]
    markers = {org.org_id: marker("cc") for org in orgs}
    paths = {}
    for org in orgs:
        word = markers[org.org_id]
        invoice_id = org.invoice(word)
        org.attach(invoice_id, "m.txt", word)
        org.note(word)
        paths[org.org_id] = [org.invoices, f"{org.invoices}/{invoice_id}", f"/search?q={word}",
                             f"{org.invoices}/{invoice_id}/attachments/m.txt", "/notes", "/audit", "/me"]
    # When they all read at once
    calls = [(org, paths[org.org_id][i % 7]) for i in range(PER_ORG) for org in orgs]
    responses = ledger.burst(calls)
    # Then every answer is 200 and carries no other org's marker
    wrong = []
    for (org, path), response in zip(calls, responses, strict=True):
        others = set(markers.values()) - {markers[org.org_id]}
        if response.status_code != 200 or any(other in response.text for other in others):
            wrong.append((org.org_id, path, response.status_code))
        elif path in ("/audit", "/me") and {org.org_id} != {org_id for org_id in _org_ids(response.json())}:
            wrong.append((org.org_id, path, "org"))
    assert wrong == []


def _org_ids(body):
    if "events" in body:
        return {event["org_id"] for event in body["events"]}
    return {body["user"]["org_id"], body["org"]["id"]}
