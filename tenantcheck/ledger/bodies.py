"""Reading request bodies (JSON objects, URL-encoded forms, plain text) and checking their fields.

Bad input is a 4xx in the Ledger's error shape, never a 500: 400 for a body that cannot be read, 413 past
1 MiB, 415 for the wrong media type, 422 for a missing or wrongly typed field. The byte-level reading and
JSON checks (size, NaN, lone surrogates, nesting) are the reference target's, translated to this shape.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request

from tenantcheck.ledger.errors import LedgerError, bad_request, invalid_field
from tenantcheck.reference.app import read_body
from tenantcheck.reference.errors import ApiError
from tenantcheck.reference.validation import parse_json_object

BodyReader = Callable[[Request], Awaitable[Any]]

MAX_FORM_FIELDS = 50
MAX_AMOUNT = 10**15


@contextmanager
def _translated() -> Iterator[None]:
    # The reference's readers raise its ApiError; here they become the Ledger's.
    try:
        yield
    except ApiError as exc:
        code = "payload_too_large" if exc.status == 413 else "bad_request"
        raise LedgerError(exc.status, code, exc.message) from exc


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def _require_media_type(request: Request, expected: str) -> None:
    if _media_type(request) != expected:
        raise LedgerError(415, "unsupported_media_type", f"this endpoint takes a {expected} body")


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object (any media type: clients label JSON inconsistently)."""
    with _translated():
        return parse_json_object(await read_body(request))


async def read_form(request: Request) -> dict[str, str]:
    """The body as an application/x-www-form-urlencoded form; a field given twice is refused."""
    _require_media_type(request, "application/x-www-form-urlencoded")
    with _translated():
        raw = await read_body(request)
    try:
        pairs = urllib.parse.parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError as exc:  # UnicodeDecodeError included
        raise bad_request("the form body is not valid UTF-8 url-encoded fields") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_field(f"form field '{name}' is given more than once")
        form[name] = value
    return form


async def read_text(request: Request) -> bytes:
    """The body as text/plain UTF-8, returned as its bytes (what is stored)."""
    _require_media_type(request, "text/plain")
    with _translated():
        raw = await read_body(request)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("a text/plain body must be UTF-8") from exc
    return raw


def text_field(
    body: Mapping[str, Any], name: str, *, max_chars: int, allow_blank: bool = False, required: bool = True
) -> str | None:
    """A string field; absent is None unless required; blank only when allowed."""
    if name not in body:
        if required:
            raise invalid_field(f"'{name}' is required")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise invalid_field(f"'{name}' must be a string")
    if not allow_blank and not value.strip():
        raise invalid_field(f"'{name}' must not be blank")
    if len(value) > max_chars:
        raise invalid_field(f"'{name}' is longer than {max_chars} characters")
    if "\x00" in value:
        raise invalid_field(f"'{name}' must not contain NUL")
    return value


def amount_field(body: Mapping[str, Any], name: str, *, required: bool = True) -> int | float | None:
    """A finite number field of at most MAX_AMOUNT in size (a bool is not a number here)."""
    if name not in body:
        if required:
            raise invalid_field(f"'{name}' is required")
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_field(f"'{name}' must be a number")
    if not math.isfinite(value) or abs(value) > MAX_AMOUNT:
        raise invalid_field(f"'{name}' must be a finite number of at most {MAX_AMOUNT}")
    return value
