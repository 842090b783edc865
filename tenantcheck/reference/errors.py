"""The contract's error shape, `{"error": {"code", "message"}}`, raised as ApiError anywhere in a request."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An answer other than success: status, snake_case code and a message safe to show the caller.

    `denial` marks a refused cross-tenant attempt; `logged` is set once the access log has it.
    """

    denial = False

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.logged = False


def invalid_request(message: str, status: int = 400) -> ApiError:
    """Bad input from the client (malformed JSON, wrong types, bad paths)."""
    return ApiError(status, "invalid_request", message)


def not_found(message: str = "not found") -> ApiError:
    """The object does not exist (for anyone)."""
    return ApiError(404, "not_found", message)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response in the contract's error shape."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
