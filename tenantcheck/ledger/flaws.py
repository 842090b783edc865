"""The isolation flaws the Ledger can switch on, one per case family of the harness.

The Ledger is correct by default; each name turns on exactly one realistic bug, read in the code as
`config.has("<name>")` so grep finds what each switch changes. docs/ledger.md has the table of which case
family must catch which flaw.
"""

from __future__ import annotations

from collections.abc import Iterable

FLAWS: dict[str, str] = {
    "list-unfiltered": "GET /orgs/{org}/invoices lists every org's invoices",
    "get-unchecked": "GET /orgs/{org}/invoices/{id} looks the invoice up by id alone",
    "update-unchecked": "PATCH /orgs/{org}/invoices/{id} looks the invoice up by id alone (GET still checks)",
    "delete-unchecked": "DELETE /orgs/{org}/invoices/{id} looks the invoice up by id alone",
    "send-unchecked": "POST /orgs/{org}/invoices/{id}/send looks the invoice up by id alone",
    "path-org-unchecked": "any org id in the path is accepted from any logged-in user",
    "attachment-read-unchecked": "an attachment is served from an invoice looked up by id alone",
    "attachment-write-unchecked": "an attachment is stored into an invoice looked up by id alone",
    "attachment-list-unchecked": "attachments are listed for an invoice looked up by id alone",
    "notes-unchecked": "GET and DELETE /notes/{id} ignore the note's org",
    "search-unscoped": "GET /search runs over every org",
    "audit-unscoped": "GET /audit returns every org's events",
    "anonymous-default-org": "a request without identity acts as the first user (and org) ever created",
    "org-header-honored": "an X-Org-Id header overrides the org of the session",
    "body-org-honored": "a body org_id on invoice create is honoured",
    "cache-key-shared": "cached GET answers are keyed by URL alone",
    "request-state-shared": "the current org is kept in process-wide state across an await, so concurrent "
    "requests can act as each other's org",
    "org-id-wildcard": "a path org id '*' or '%' matches every org",
    "import-overwrites": "POST /notes/import updates a note of another org when an item names its id",
    "import-owner-honored": "POST /notes/import stores an item in the org its org_id names",
    "owner-not-persisted": "invoices, attachments and notes are written with org_id ''",
    "blob-unprefixed": "attachment contents are stored at invoice/{invoice_id}/{name}, without the org",
    "denials-not-audited": "denied attempts are not written to the audit table",
    "debug-open": "GET /debug/env answers anyone with the app's config and bindings",
    "backup-on-get": "GET /backup, a forgotten maintenance route, records a backup job in the database on every "
    "call, for anyone",
}


class UnknownFlawError(ValueError):
    """A flaw name the Ledger does not know; the message lists the valid ones."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = sorted(unknown)
        names = ", ".join(repr(name) for name in self.unknown)
        super().__init__(f"unknown Ledger flaw {names}; valid flaws are: {', '.join(FLAWS)}")


def parse_flaws(values: Iterable[str]) -> frozenset[str]:
    """Flaw names from repeated and/or comma-separated values (blanks skipped); UnknownFlawError on a bad one."""
    names = frozenset(name for value in values for name in (part.strip() for part in value.split(",")) if name)
    if not names <= FLAWS.keys():
        raise UnknownFlawError(names - FLAWS.keys())
    return names
