"""Reads across objects: the org's search, and the public directory of invoice titles.

Titles are public by design (the directory lists every org's); secrets and note bodies are the org's own.
So a harness must put its canary markers in `secret`, never in `title`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.errors import invalid_field
from tenantcheck.ledger.runtime import Call, Ledger

MAX_QUERY_CHARS = 200
SNIPPET_RADIUS = 40
MAX_HITS = 200
MAX_TITLES = 1000


def _query(params: dict[str, str], *, required: bool) -> str:
    q = params.get("q", "")
    if required and not q.strip():
        raise invalid_field("query parameter 'q' is required")
    if len(q) > MAX_QUERY_CHARS:
        raise invalid_field(f"query parameter 'q' is longer than {MAX_QUERY_CHARS} characters")
    return q


def snippet(text: str, q: str) -> str:
    """Up to SNIPPET_RADIUS characters either side of the first match of q in text."""
    at = max(text.lower().find(q.lower()), 0)
    return text[max(at - SNIPPET_RADIUS, 0) : at + len(q) + SNIPPET_RADIUS]


def search(call: Call) -> Response:
    """GET /search?q=: invoices whose title or secret and notes whose body contain q (case-insensitive)."""
    q = _query(dict(call.request.query_params), required=True)
    scoped = not call.has("search-unscoped")
    call.cacheable = scoped
    where, params = ("org_id = ? AND ", [call.caller.org_id]) if scoped else ("", [])
    match = "instr(lower({0}), lower(?)) > 0"
    invoices = call.db.rows(
        f"SELECT id, title, secret FROM invoices WHERE {where}({match.format('secret')} OR {match.format('title')}) "
        "ORDER BY created_at, id LIMIT ?",
        (*params, q, q, MAX_HITS),
    )
    notes = call.db.rows(
        f"SELECT id, body FROM notes WHERE {where}{match.format('body')} ORDER BY created_at, id LIMIT ?",
        (*params, q, MAX_HITS),
    )
    hits = [
        {"kind": "invoice", "id": row["id"],
         "snippet": snippet(row["secret"] if q.lower() in row["secret"].lower() else row["title"], q)}
        for row in invoices
    ] + [{"kind": "note", "id": row["id"], "snippet": snippet(row["body"], q)} for row in notes]
    return JSONResponse({"hits": hits})


async def directory(request: Request, ledger: Ledger) -> Response:
    """GET /directory?q= (public): {"titles": [{"org_id", "title"}]} of every org's invoices, never secrets."""
    q = _query(dict(request.query_params), required=False)
    titles = ledger.db.rows(
        "SELECT org_id, title FROM invoices WHERE instr(lower(title), lower(?)) > 0 ORDER BY created_at, id LIMIT ?",
        (q, MAX_TITLES),
    )
    return JSONResponse({"titles": titles})
