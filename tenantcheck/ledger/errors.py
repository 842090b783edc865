"""The Ledger's error shape, `{"error": "<code>", "detail": "<text>"}`, raised as LedgerError anywhere.

It is deliberately not the reference target's shape (`{"error": {"code", "message"}}`): a profile has to
say which one a target uses.
"""

from __future__ import annotations

from starlette.responses import JSONResponse


class LedgerError(Exception):
    """An answer other than success: status, snake_case code and a detail safe to show the caller.

    `denied` marks a refused attempt on another org's data, audited as a denial. An attempt on another
    org's object is answered exactly like a missing one (404 `not_found`, same detail) so that existence
    does not leak; a claim to act in another org (a body org_id) is 403 `forbidden`.
    """

    def __init__(self, status: int, code: str, detail: str, *, denied: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.denied = denied


def not_found(what: str, *, denied: bool = False) -> LedgerError:
    """404 for an object that is missing, or (denied=True) that belongs to another org."""
    return LedgerError(404, "not_found", f"{what} not found", denied=denied)


def forbidden(detail: str) -> LedgerError:
    """403, a denial: the request names another org as the one to act in (nothing of another org is looked up)."""
    return LedgerError(403, "forbidden", detail, denied=True)


def bad_request(detail: str) -> LedgerError:
    """400: a body that cannot be read at all (malformed JSON or form, bad encoding)."""
    return LedgerError(400, "bad_request", detail)


def invalid_field(detail: str) -> LedgerError:
    """422: a readable body with a missing or wrongly typed field."""
    return LedgerError(422, "invalid_field", detail)


def unauthorized(detail: str, code: str = "unauthorized") -> LedgerError:
    """401: no identity, an unknown or an expired token, bad credentials."""
    return LedgerError(401, code, detail)


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response in the Ledger's error shape."""
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)
