"""The audit trail: one event per authenticated request, ok=false for every refusal, in the `audit` table.

An event belongs to the org the caller acted as; a denied attempt on another org's object is therefore an
event of the attacker's org (the victim's trail is not the place a foreign user's probing shows up).
`denials-not-audited` skips denials, `audit-unscoped` shows every org's events.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.runtime import Call, Caller
from tenantcheck.ledger.storage import Database
from tenantcheck.reference.d1 import now_iso

MAX_EVENTS = 1000
TARGET_PARAMS = ("invoice_id", "note_id", "org_id")
"""The path parameter an event names as its target, most specific first."""


def target_of(path: Mapping[str, str]) -> str | None:
    """The object a request was about (an attachment's event names its invoice)."""
    return next((path[name] for name in TARGET_PARAMS if name in path), None)


def record(db: Database, caller: Caller, action: str, target: str | None, *, ok: bool) -> None:
    """Append an event (call inside a transaction)."""
    db.execute(
        "INSERT INTO audit (org_id, actor, action, target, ok, at) VALUES (?, ?, ?, ?, ?, ?)",
        (caller.org_id, caller.user_id, action, target, int(ok), now_iso()),
    )


def list_events(call: Call) -> Response:
    """GET /audit: {"events": [{org_id, actor, action, target, ok}]}, the last MAX_EVENTS, oldest first."""
    where, params = ("", ()) if call.has("audit-unscoped") else ("WHERE org_id = ?", (call.caller.org_id,))
    rows = call.db.rows(
        f"SELECT org_id, actor, action, target, ok FROM "
        f"(SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?) ORDER BY id",
        (*params, MAX_EVENTS),
    )
    return JSONResponse({"events": [{**row, "ok": bool(row["ok"])} for row in rows]})
