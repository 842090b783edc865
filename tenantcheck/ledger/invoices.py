"""Invoices, nested under their org in the path, and their attachments (children addressed by name).

The correct rule: the path's org must be the caller's, and the invoice (or attachment parent) must belong
to the path's org; anything else is 404 `not_found`, audited as a denial when the object exists elsewhere.
The object-access flaws (`get-unchecked`, `update-unchecked`, `delete-unchecked`, `send-unchecked`,
`attachment-*-unchecked`) all break the second half the same way: the invoice is looked up by its id
alone, so the caller's own org in the path plus another org's invoice id reaches that invoice (a path
naming the other org is still refused). `path-org-unchecked` breaks the first half: any org id in the
path is taken, so everything nested under another org is reachable. `org-id-wildcard` makes `*`/`%`
in the path match every org.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from urllib.parse import quote

from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.bodies import amount_field, text_field
from tenantcheck.ledger.errors import bad_request, invalid_field, not_found
from tenantcheck.ledger.runtime import Call
from tenantcheck.ledger.storage import Row
from tenantcheck.reference.d1 import new_id, now_iso

INVOICE_COLUMNS = "id, org_id, title, secret, amount, status, created_at"
ATTACHMENT_COLUMNS = "name, size, sha256, invoice_id, org_id"
WILDCARDS = ("*", "%")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_TITLE_CHARS = 200
MAX_SECRET_CHARS = 10_000


def stored_org(call: Call, org_id: str) -> str:
    """The org_id written on a new row (`owner-not-persisted` loses it)."""
    return "" if call.has("owner-not-persisted") else org_id


def org_scope(call: Call) -> str | None:
    """The org the path may reach: the path's org when it is the caller's; None means every org."""
    path_org = call.path["org_id"]
    if path_org in WILDCARDS and call.has("org-id-wildcard"):
        call.cacheable = False
        return None
    if path_org != call.caller.org_id:
        if not call.has("path-org-unchecked"):
            exists = call.db.row("SELECT 1 FROM orgs WHERE id = ?", (path_org,)) is not None
            raise not_found("organisation", denied=exists)
        call.cacheable = False
    return path_org


def find_invoice(call: Call, scope: str | None, *, unchecked: bool = False) -> Row:
    """The path's invoice, if it is in scope (or, `unchecked`, wherever it is)."""
    invoice = call.db.row(f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = ?", (call.path["invoice_id"],))
    if invoice is None:
        raise not_found("invoice")
    if scope is not None and invoice["org_id"] != scope:
        if not unchecked:
            raise not_found("invoice", denied=True)
        call.cacheable = False
    return invoice


def _reread(call: Call, invoice_id: str) -> Row:
    invoice = call.db.row(f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = ?", (invoice_id,))
    assert invoice is not None
    return invoice


# --- invoices ------------------------------------------------------------------------------------------


def create_invoice(call: Call) -> Response:
    """POST /orgs/{org_id}/invoices {title, secret, amount}: 201, empty body, the id only in Location."""
    scope = org_scope(call)
    if scope is None:
        raise not_found("organisation")  # a wildcard names no org to create in
    body = call.body
    title = text_field(body, "title", max_chars=MAX_TITLE_CHARS)
    secret = text_field(body, "secret", max_chars=MAX_SECRET_CHARS, allow_blank=True)
    amount = amount_field(body, "amount")
    owner = scope
    claimed = body.get("org_id")
    if call.has("body-org-honored") and isinstance(claimed, str) and claimed:
        owner = claimed  # the bug: the owner field is mass-assigned from the body
    invoice_id = new_id("inv")
    call.db.execute(
        f"INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'draft', ?)",
        (invoice_id, stored_org(call, owner), title, secret, amount, now_iso()),
    )
    call.touched.add(owner)
    # Quoted: under the flaws above the owner is whatever the client sent, and a header cannot hold all of it.
    return Response(status_code=201, headers={"Location": f"/orgs/{quote(owner, safe='')}/invoices/{invoice_id}"})


def list_invoices(call: Call) -> Response:
    """GET /orgs/{org_id}/invoices: {"data": {"items": [...]}}."""
    scope = org_scope(call)
    if scope is None or call.has("list-unfiltered"):
        call.cacheable = False
        items = call.db.rows(f"SELECT {INVOICE_COLUMNS} FROM invoices ORDER BY created_at, id")
    else:
        items = call.db.rows(
            f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE org_id = ? ORDER BY created_at, id", (scope,)
        )
    return JSONResponse({"data": {"items": items}})


def get_invoice(call: Call) -> Response:
    """GET /orgs/{org_id}/invoices/{invoice_id}: {"data": invoice}."""
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("get-unchecked"))
    return JSONResponse({"data": invoice})


def update_invoice(call: Call) -> Response:
    """PATCH /orgs/{org_id}/invoices/{invoice_id} {title?, secret?, amount?}; a body org_id is ignored."""
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("update-unchecked"))
    body = call.body
    changes = {
        "title": text_field(body, "title", max_chars=MAX_TITLE_CHARS, required=False),
        "secret": text_field(body, "secret", max_chars=MAX_SECRET_CHARS, allow_blank=True, required=False),
        "amount": amount_field(body, "amount", required=False),
    }
    for column, value in changes.items():
        if value is not None:
            call.db.execute(f"UPDATE invoices SET {column} = ? WHERE id = ?", (value, invoice["id"]))
    call.touched.add(invoice["org_id"])
    return JSONResponse({"data": _reread(call, invoice["id"])})


def delete_invoice(call: Call) -> Response:
    """DELETE /orgs/{org_id}/invoices/{invoice_id}: 204; its attachments and their blobs go with it."""
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("delete-unchecked"))
    for attachment in call.db.rows("SELECT blob_key FROM attachments WHERE invoice_id = ?", (invoice["id"],)):
        call.db.execute("DELETE FROM blobs WHERE key = ?", (attachment["blob_key"],))
    call.db.execute("DELETE FROM attachments WHERE invoice_id = ?", (invoice["id"],))
    call.db.execute("DELETE FROM invoices WHERE id = ?", (invoice["id"],))
    call.touched.add(invoice["org_id"])
    return Response(status_code=204)


def send_invoice(call: Call) -> Response:
    """POST /orgs/{org_id}/invoices/{invoice_id}/send: status becomes "sent" (idempotent)."""
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("send-unchecked"))
    call.db.execute("UPDATE invoices SET status = 'sent' WHERE id = ?", (invoice["id"],))
    call.touched.add(invoice["org_id"])
    return JSONResponse({"data": _reread(call, invoice["id"])})


def export_invoice(call: Call) -> Response:
    """GET /orgs/{org_id}/invoices/{invoice_id}/export: the invoice as one CSV record with a header."""
    invoice = find_invoice(call, org_scope(call))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(invoice), lineterminator="\n")
    writer.writeheader()
    writer.writerow(invoice)
    return Response(out.getvalue(), media_type="text/csv")


# --- attachments ---------------------------------------------------------------------------------------


def _attachment_name(call: Call) -> str:
    name = call.path["name"]
    if not NAME_RE.match(name):
        raise bad_request(f"attachment names must match {NAME_RE.pattern}")
    return name


def blob_key(call: Call, invoice: Row, name: str) -> str:
    """Where an attachment's content is stored in the blobs table."""
    if call.has("blob-unprefixed"):
        return f"invoice/{invoice['id']}/{name}"
    return f"org/{invoice['org_id']}/invoice/{invoice['id']}/{name}"


def put_attachment(call: Call) -> Response:
    """PUT .../attachments/{name} (text/plain): 201 when new, 204 when it replaced one; empty body."""
    name = _attachment_name(call)
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("attachment-write-unchecked"))
    data: bytes = call.body
    if not isinstance(data, bytes):
        raise invalid_field("an attachment needs a text/plain body")
    key = blob_key(call, invoice, name)
    previous = call.db.row(
        "SELECT blob_key FROM attachments WHERE invoice_id = ? AND name = ?", (invoice["id"], name)
    )
    if previous is not None and previous["blob_key"] != key:
        call.db.execute("DELETE FROM blobs WHERE key = ?", (previous["blob_key"],))
    call.db.execute("INSERT OR REPLACE INTO blobs (key, value) VALUES (?, ?)", (key, data))
    call.db.execute(
        "INSERT OR REPLACE INTO attachments (org_id, invoice_id, name, size, sha256, blob_key, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stored_org(call, invoice["org_id"]), invoice["id"], name, len(data), hashlib.sha256(data).hexdigest(),
         key, now_iso()),
    )
    call.touched.add(invoice["org_id"])
    return Response(status_code=201 if previous is None else 204)


def list_attachments(call: Call) -> Response:
    """GET .../attachments: a bare JSON array of {name, size, sha256, invoice_id, org_id}."""
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("attachment-list-unchecked"))
    rows = call.db.rows(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE invoice_id = ? ORDER BY name", (invoice["id"],)
    )
    return JSONResponse(rows)


def get_attachment(call: Call) -> Response:
    """GET .../attachments/{name}: the content as text/plain."""
    name = _attachment_name(call)
    invoice = find_invoice(call, org_scope(call), unchecked=call.has("attachment-read-unchecked"))
    found = call.db.row(
        "SELECT b.value FROM attachments a JOIN blobs b ON b.key = a.blob_key WHERE a.invoice_id = ? AND a.name = ?",
        (invoice["id"], name),
    )
    if found is None:
        raise not_found("attachment")
    return Response(bytes(found["value"]), media_type="text/plain; charset=utf-8")
