"""The read-only guard: an inspector runs one SELECT and nothing else, whatever backend carries it.

Storage inspectors point at real D1 databases (preview, production), often with a token that could write.
So every statement is checked here before it leaves the harness, by tokenizing it the way SQLite does
(string literals, quoted identifiers and comments are opaque): exactly one statement, starting with
``SELECT`` (or ``WITH`` ... ``SELECT``), no ``;`` anywhere, and none of the keywords that write, attach,
configure or control transactions, even inside a CTE (``WITH x AS (...) DELETE ...`` is SQLite too).
The SQLite backend adds an engine-level authorizer on top (see ``sqlite.py``); the wrangler and Cloudflare
API backends rely on this check alone, so it errs on the side of refusing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tenantcheck.inspectors.base import ReadOnlyViolation

FORBIDDEN = frozenset({
    "ALTER", "ANALYZE", "ATTACH", "BEGIN", "COMMIT", "CREATE", "DELETE", "DETACH", "DROP", "INSERT",
    "PRAGMA", "REINDEX", "RELEASE", "REPLACE", "ROLLBACK", "SAVEPOINT", "TRANSACTION", "UPDATE", "UPSERT",
    "VACUUM", "RETURNING", "INTO", "CONFLICT",
})
"""Keywords that never belong in a read: DML, DDL, transactions, ATTACH, PRAGMA (``REPLACE`` also
refuses the ``replace()`` function: a read can do without it). ``END`` is absent: it closes ``CASE``, and
as a statement it could only follow a ``;``."""

FORBIDDEN_FUNCTIONS = frozenset({"LOAD_EXTENSION", "WRITEFILE", "READFILE", "EDIT", "FTS3_TOKENIZER"})
"""Functions with effects beyond reading the database (extensions, the file system)."""

MAX_SQL_CHARS = 20_000
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | ident | number | param | op
    text: str
    start: int


def tokens(sql: str) -> Iterator[Token]:
    """SQLite's lexical structure, enough to tell keywords from data: comments are dropped."""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char.isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ReadOnlyViolation("unterminated /* comment")
            i = end + 2
        elif char in "'\"`[":
            close = "]" if char == "[" else char
            j = i + 1
            while True:
                j = sql.find(close, j)
                if j < 0:
                    raise ReadOnlyViolation(f"unterminated quoted text starting at character {i}")
                if close != "]" and sql.startswith(close * 2, j):
                    j += 2
                    continue
                break
            yield Token("string" if char == "'" else "ident", sql[i:j + 1], i)
            i = j + 1
        elif char == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            yield Token("param", sql[i:j], i)
            i = j
        elif char in ":@$" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            raise ReadOnlyViolation("named parameters are not supported: use ? placeholders")
        elif char.isdigit() or (char == "." and i + 1 < n and sql[i + 1].isdigit()):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "."):
                j += 1
            yield Token("number", sql[i:j], i)
            i = j
        elif WORD.match(sql, i):
            match = WORD.match(sql, i)
            assert match is not None
            yield Token("word", match.group(), i)
            i = match.end()
        elif ord(char) > 127:
            raise ReadOnlyViolation(f"unexpected character {char!r} outside quotes")
        else:
            yield Token("op", char, i)
            i += 1


def check_select(sql: str) -> list[Token]:
    """Raise ``ReadOnlyViolation`` unless ``sql`` is a single read-only SELECT; returns its tokens."""
    if not isinstance(sql, str) or not sql.strip():
        raise ReadOnlyViolation("empty statement")
    if len(sql) > MAX_SQL_CHARS:
        raise ReadOnlyViolation(f"statement longer than {MAX_SQL_CHARS} characters")
    if "\x00" in sql:
        raise ReadOnlyViolation("NUL character in statement")
    found = list(tokens(sql))
    words = [t.text.upper() for t in found if t.kind == "word"]
    if not words or words[0] not in ("SELECT", "WITH"):
        raise ReadOnlyViolation(f"only SELECT statements are allowed (got {words[0] if words else found[0].text!r})")
    if any(t.kind == "op" and t.text == ";" for t in found):
        raise ReadOnlyViolation("one statement only: ';' is not allowed")
    bad = sorted(set(words) & FORBIDDEN)
    if bad:
        raise ReadOnlyViolation(f"keyword {bad[0]} is not allowed in a read-only query")
    for token, following in zip(found, found[1:], strict=False):
        if token.kind == "word" and token.text.upper() in FORBIDDEN_FUNCTIONS and following.text == "(":
            raise ReadOnlyViolation(f"function {token.text}() is not allowed in a read-only query")
    if "SELECT" not in words:
        raise ReadOnlyViolation("a WITH clause must end in a SELECT")
    return found


def literal(value: object) -> str:
    """An SQL literal for a bound value, for backends that cannot bind (``wrangler d1 execute``)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ReadOnlyViolation(f"cannot bind {value!r}")
        return repr(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ReadOnlyViolation("NUL character in a bound value")
        return "'" + value.replace("'", "''") + "'"
    raise ReadOnlyViolation(f"cannot bind a value of type {type(value).__name__}")


def inline(sql: str, params: Sequence[object]) -> str:
    """``sql`` with each ``?`` replaced by its parameter as a quoted literal; checked before and after."""
    found = check_select(sql)
    placeholders = [t for t in found if t.kind == "param"]
    if any(t.text != "?" for t in placeholders):
        raise ReadOnlyViolation("numbered parameters (?1) are not supported: use plain ?")
    if len(placeholders) != len(params):
        raise ReadOnlyViolation(f"{len(placeholders)} placeholders but {len(params)} parameters")
    rendered: list[str] = []
    end = 0
    for token, value in zip(placeholders, params, strict=True):
        rendered += [sql[end:token.start], literal(value)]
        end = token.start + len(token.text)
    result = "".join(rendered) + sql[end:]
    check_select(result)
    return result
