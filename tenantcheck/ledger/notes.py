"""Notes: a flat resource (not nested under the org) with form-encoded bodies; the org comes from the caller.

A note of another org is 404 `not_found`; `notes-unchecked` makes get and delete look it up by id alone.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.bodies import text_field
from tenantcheck.ledger.errors import not_found
from tenantcheck.ledger.invoices import stored_org
from tenantcheck.ledger.runtime import Call
from tenantcheck.ledger.storage import Row
from tenantcheck.reference.d1 import new_id, now_iso

NOTE_COLUMNS = "id AS note_id, org_id, subject, body"


def _note(call: Call) -> Row:
    note = call.db.row(f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = ?", (call.path["note_id"],))
    if note is None:
        raise not_found("note")
    if note["org_id"] != call.caller.org_id and not call.has("notes-unchecked"):
        raise not_found("note", denied=True)
    return note


def create_note(call: Call) -> Response:
    """POST /notes (form: subject, body): 201 {"note_id"}."""
    subject = text_field(call.body, "subject", max_chars=200)
    body = text_field(call.body, "body", max_chars=10_000, allow_blank=True)
    note_id = new_id("note")
    call.db.execute(
        "INSERT INTO notes (id, org_id, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (note_id, stored_org(call, call.caller.org_id), subject, body, now_iso()),
    )
    return JSONResponse({"note_id": note_id}, status_code=201)


def list_notes(call: Call) -> Response:
    """GET /notes: {"notes": [...]} of the caller's org."""
    notes = call.db.rows(
        f"SELECT {NOTE_COLUMNS} FROM notes WHERE org_id = ? ORDER BY created_at, id", (call.caller.org_id,)
    )
    return JSONResponse({"notes": notes})


def get_note(call: Call) -> Response:
    """GET /notes/{note_id}: the note."""
    return JSONResponse(_note(call))


def delete_note(call: Call) -> Response:
    """DELETE /notes/{note_id}: 204."""
    note = _note(call)
    call.db.execute("DELETE FROM notes WHERE id = ?", (note["note_id"],))
    call.touched.add(note["org_id"])
    return Response(status_code=204)
