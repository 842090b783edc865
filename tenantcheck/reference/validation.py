"""Checks of client input, so bad input is a 4xx in the error shape and never reaches storage."""

from __future__ import annotations

import json
import math
from typing import Any

from tenantcheck.reference.errors import ApiError, invalid_request

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_NAME_CHARS = 200
MAX_TEXT_CHARS = 10_000


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object; rejects malformed JSON, NaN or infinite numbers, lone surrogates and
    deep nesting."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise invalid_request("request body must be a JSON object")
    try:
        data = json.loads(raw, parse_float=_finite_float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise invalid_request("request body is not valid JSON") from exc
    _check_json_value(data)
    if not isinstance(data, dict):
        raise invalid_request("request body must be a JSON object")
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # A number too large for a float (1e999) parses to infinity, which no JSON answer can carry.
    value = float(text)
    if not math.isfinite(value):
        raise invalid_request("JSON numbers must be finite")
    return value


def _check_json_value(data: Any) -> None:
    # Iterative, so a deep document cannot exhaust the stack here; text must be encodable as UTF-8
    # (JSON allows lone surrogates, SQLite and responses do not).
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid_request(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise invalid_request("text must be valid Unicode (no lone surrogates)") from exc


def required_text(body: dict[str, Any], field: str, max_chars: int = MAX_NAME_CHARS) -> str:
    """A required non-blank string field."""
    if field not in body:
        raise invalid_request(f"'{field}' is required")
    return optional_text(body, field, max_chars=max_chars, nullable=False) or ""


def optional_text(
    body: dict[str, Any],
    field: str,
    *,
    max_chars: int = MAX_TEXT_CHARS,
    nullable: bool = True,
    allow_blank: bool = False,
) -> str | None:
    """A string field that may be absent (None); blank only when allowed, null only when nullable."""
    value = body.get(field)
    if value is None:
        if field in body and not nullable:
            raise invalid_request(f"'{field}' must be a string")
        return None
    if not isinstance(value, str):
        raise invalid_request(f"'{field}' must be a string")
    if not allow_blank and not value.strip():
        raise invalid_request(f"'{field}' must not be empty")
    if len(value) > max_chars:
        raise invalid_request(f"'{field}' is longer than {max_chars} characters")
    return value


def optional_object(body: dict[str, Any], field: str) -> dict[str, Any] | None:
    """A JSON object field that may be absent."""
    value = body.get(field)
    if value is None and field not in body:
        return None
    if not isinstance(value, dict):
        raise invalid_request(f"'{field}' must be an object")
    return value


def check_file_path(path: str) -> str:
    """A project-relative file path: no `..` or `.` segments, no leading `/`, backslash, NUL or empty part."""
    if not path:
        raise invalid_request("file path must not be empty")
    if "\\" in path or "\x00" in path:
        raise invalid_request("file path must not contain backslashes or NUL")
    if path.startswith("/"):
        raise invalid_request("file path must be relative (no leading '/')")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise invalid_request("file path must not contain empty, '.' or '..' segments")
    _check_text(path)
    return path
