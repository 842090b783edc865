"""Notes: a flat resource (not nested under the org) with form-encoded bodies; the org comes from the caller.

A note of another org is 404 `not_found`; `notes-unchecked` makes get and delete look it up by id alone.
The JSON bulk import upserts by client-chosen ids, all or nothing: an id of another org's note is 404
(`import-overwrites` overwrites it), an item org_id naming another org is 403 (`import-owner-honored`
stores the new note there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.bodies import text_field
from tenantcheck.ledger.errors import LedgerError, forbidden, invalid_field, not_found
from tenantcheck.ledger.invoices import stored_org
from tenantcheck.ledger.runtime import Call
from tenantcheck.ledger.storage import Row
from tenantcheck.reference.d1 import new_id, now_iso

NOTE_COLUMNS = "id AS note_id, org_id, subject, body"
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 10_000
MAX_ID_CHARS = 100
MAX_IMPORT = 100
NOTE_ID_RE = re.compile(r"[A-Za-z0-9._:-]+")


class ImportItem(NamedTuple):
    """One checked item of an import body."""

    note_id: str
    org_id: str | None
    subject: str
    body: str


def _note(call: Call) -> Row:
    note = call.db.row(f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = ?", (call.path["note_id"],))
    if note is None:
        raise not_found("note")
    if note["org_id"] != call.caller.org_id and not call.has("notes-unchecked"):
        raise not_found("note", denied=True)
    return note


def _content(fields: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body, checked alike for a form and an import item."""
    subject = text_field(fields, "subject", max_chars=MAX_SUBJECT_CHARS)
    body = text_field(fields, "body", max_chars=MAX_BODY_CHARS, allow_blank=True)
    assert subject is not None and body is not None  # required fields
    return subject, body


def _insert(call: Call, note_id: str, owner: str, subject: str, body: str) -> None:
    """Write a new note of owner (`owner-not-persisted` loses the owner)."""
    call.db.execute(
        "INSERT INTO notes (id, org_id, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (note_id, stored_org(call, owner), subject, body, now_iso()),
    )


def create_note(call: Call) -> Response:
    """POST /notes (form: subject, body): 201 {"note_id"}."""
    subject, body = _content(call.body)
    note_id = new_id("note")
    _insert(call, note_id, call.caller.org_id, subject, body)
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


def _import_item(index: int, raw: Any) -> ImportItem:
    # A refused field names its item: in a batch of 100, "'subject' is required" alone would not say which.
    where = f"notes[{index}]"
    if not isinstance(raw, dict):
        raise invalid_field(f"'{where}' must be an object")
    try:
        note_id = text_field(raw, "note_id", max_chars=MAX_ID_CHARS)
        org_id = text_field(raw, "org_id", max_chars=MAX_ID_CHARS, required=False)
        subject, body = _content(raw)
    except LedgerError as exc:
        raise invalid_field(f"{where}: {exc.detail}") from exc
    assert note_id is not None
    if not NOTE_ID_RE.fullmatch(note_id):
        raise invalid_field(f"{where}: 'note_id' must be made of {NOTE_ID_RE.pattern}")
    return ImportItem(note_id, org_id, subject, body)


def _import_items(body: Mapping[str, Any]) -> list[ImportItem]:
    """The checked items; an id given twice is refused (which of the two would win is anyone's guess)."""
    raw = body.get("notes")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_IMPORT:
        raise invalid_field(f"'notes' must be a list of 1 to {MAX_IMPORT} notes")
    items = [_import_item(index, item) for index, item in enumerate(raw)]
    if len({item.note_id for item in items}) != len(items):
        raise invalid_field("'notes' names a note_id more than once")
    return items


def _import_owner(call: Call, claimed: str | None) -> str:
    """The org a new item goes to: the caller's; naming another is refused (`import-owner-honored` obeys it)."""
    if claimed is None or claimed == call.caller.org_id:
        return call.caller.org_id
    if not call.has("import-owner-honored"):
        raise forbidden("notes can only be imported into the caller's org")
    return claimed


def import_notes(call: Call) -> Response:
    """POST /notes/import {"notes": [{note_id, subject, body, org_id?}]}: upsert by id in the caller's org.

    200 {"imported", "created", "updated"}. A refusal raises out of the handler's transaction, so it rolls
    back the items already written: a batch is stored whole or not at all.
    """
    created: list[str] = []
    updated: list[str] = []
    for item in _import_items(call.body):
        owner = _import_owner(call, item.org_id)
        existing = call.db.row("SELECT org_id FROM notes WHERE id = ?", (item.note_id,))
        if existing is None:
            _insert(call, item.note_id, owner, item.subject, item.body)
            call.touched.add(owner)
            created.append(item.note_id)
            continue
        if existing["org_id"] != call.caller.org_id and not call.has("import-overwrites"):
            raise not_found("note", denied=True)
        call.db.execute("UPDATE notes SET subject = ?, body = ? WHERE id = ?", (item.subject, item.body, item.note_id))
        call.touched.add(existing["org_id"])
        updated.append(item.note_id)
    return JSONResponse({"imported": len(created) + len(updated), "created": created, "updated": updated})
