"""The read-only guard: only a single SELECT leaves the harness, however the statement is dressed up."""

from __future__ import annotations

import sqlite3

import pytest

from tenantcheck.inspectors import ReadOnlyViolation
from tenantcheck.inspectors.readonly import check_select, inline, literal

REFUSED = {
    "insert": "INSERT INTO projects (id) VALUES ('x')",
    "update": "UPDATE projects SET tenant_id = 'default'",
    "delete": "DELETE FROM projects",
    "replace": "REPLACE INTO projects (id) VALUES ('x')",
    "drop": "DROP TABLE projects",
    "create": "CREATE TABLE t (a)",
    "alter": "ALTER TABLE projects ADD COLUMN x",
    "attach": "ATTACH DATABASE '/tmp/x.db' AS x",
    "detach": "DETACH DATABASE x",
    "pragma": "PRAGMA writable_schema = ON",
    "pragma-lower": "pragma table_info(projects)",
    "vacuum": "VACUUM",
    "vacuum-into": "VACUUM INTO '/tmp/copy.db'",
    "reindex": "REINDEX",
    "analyze": "ANALYZE",
    "begin": "BEGIN",
    "commit": "COMMIT",
    "savepoint": "SAVEPOINT s",
    "explain": "EXPLAIN DELETE FROM projects",
    "chained": "SELECT 1; DROP TABLE projects",
    "chained-no-space": "SELECT 1;DELETE FROM projects",
    "trailing-semicolon": "SELECT 1;",
    "chained-after-comment": "SELECT 1 /* ok */ ; DELETE FROM projects",
    "cte-delete": "WITH x AS (SELECT 1) DELETE FROM projects",
    "cte-insert": "WITH x AS (SELECT 1) INSERT INTO projects SELECT * FROM x",
    "cte-update": "with x as (select 1) update projects set name = 'x'",
    "cte-without-select": "WITH x AS (VALUES (1)) VALUES (2)",
    "comment-first": "/* SELECT */ DELETE FROM projects",
    "line-comment-first": "-- SELECT\nDELETE FROM projects",
    "mixed-case": "SeLeCt 1 UnIoN SELECT 2; dRoP TABLE projects",
    "insert-select": "INSERT INTO projects SELECT * FROM projects",
    "returning": "SELECT 1 RETURNING *",
    "load-extension": "SELECT load_extension('/tmp/evil.so')",
    "writefile": "SELECT writefile('/tmp/x', 'y')",
    "writefile-spaced": "SELECT WRITEFILE  ('/tmp/x', 'y')",
    "fullwidth-semicolon": "SELECT 1\uff1b DROP TABLE projects",
    "unterminated-string": "SELECT 'abc",
    "unterminated-comment": "SELECT 1 /* DROP",
    "unterminated-identifier": 'SELECT "abc FROM projects',
    "named-parameter": "SELECT * FROM projects WHERE id = :id",
    "nul": "SELECT 1\x00; DROP TABLE projects",
    "empty": "",
    "blank": "   \n\t",
    "values": "VALUES (1)",
}

ALLOWED = {
    "plain": "SELECT id, tenant_id FROM projects WHERE id IN (?, ?)",
    "semicolon-in-string": "SELECT id FROM projects WHERE name = 'a; DROP TABLE projects'",
    "keyword-in-string": "SELECT 'DELETE FROM projects' AS text",
    "quoted-keyword-identifier": 'SELECT "delete", [update], `insert` FROM t',
    "case-end": "SELECT CASE WHEN success = 0 THEN 'denied' ELSE 'ok' END FROM tenant_access_logs",
    "cte": "WITH mine AS (SELECT * FROM projects WHERE tenant_id = ?) SELECT count(*) FROM mine",
    "comment": "SELECT 1 -- ; DROP TABLE projects",
    "similar-column": "SELECT updated_at, created_at FROM projects",
    "escaped-quote": "SELECT 'it''s; fine'",
    "comparison": "SELECT 1 WHERE 2 >= 1 AND 'a' || 'b' != 'c'",
}


@pytest.mark.parametrize("sql", list(REFUSED.values()), ids=list(REFUSED))
def test_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation):
        check_select(sql)


@pytest.mark.parametrize("sql", list(ALLOWED.values()), ids=list(ALLOWED))
def test_allowed(sql: str) -> None:
    check_select(sql)


def test_inline_quotes_values_so_injection_stays_data() -> None:
    """Given a hostile value, when it is inlined for wrangler, then SQLite reads it back as one string."""
    hostile = "x'; DROP TABLE t; --"
    sql = inline("SELECT ? AS a, ? AS b, ? AS c, ? AS d, '?' AS e", [hostile, 3, None, True])
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a)")
    assert conn.execute(sql).fetchone() == (hostile, 3, None, 1, "?")
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone() == (1,)


def test_inline_keeps_operators_and_comments() -> None:
    assert inline("SELECT 1 WHERE ? >= 1 -- why\n", [2]) == "SELECT 1 WHERE 2 >= 1 -- why\n"


@pytest.mark.parametrize(("sql", "params"), [("SELECT ?", []), ("SELECT 1", [1]), ("SELECT ?1", [1])])
def test_inline_refuses_mismatched_parameters(sql: str, params: list[object]) -> None:
    with pytest.raises(ReadOnlyViolation):
        inline(sql, params)


@pytest.mark.parametrize("value", [float("nan"), b"bytes", "nul\x00byte", object()])
def test_literal_refuses_what_cannot_be_quoted_safely(value: object) -> None:
    with pytest.raises(ReadOnlyViolation):
        literal(value)
