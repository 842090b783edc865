"""The surface sweep's knowledge: which answers disclose what should need identity, which paths are swept,
and how a write is seen in storage (real SQLite files, read through the sqlite inspector)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tenantcheck.config.environment import Inspector
from tenantcheck.config.profile import Profile
from tenantcheck.inspectors.factory import build_inspector
from tenantcheck.inspectors.queries import snapshot, written
from tenantcheck.surface import BUILTIN_PATHS, disclosures, surface_paths

DISCLOSING = {
    "js-stack": ({"error": "boom", "stack": "Error: boom\n    at loader (file:///srv/app/build/index.js:12:7)"},
                 "stack trace"),
    "python-stack": ("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n",
                     "stack trace"),
    "database-error": ({"logs": ["D1_ERROR: NOT NULL constraint failed: projects.tenant_id: SQLITE_CONSTRAINT"]},
                       "database error"),
    "env-list": ({"contextStructure": {"availableKeys": ["NODE_ENV", "DB", "POM_BOLT_FILES"]}},
                 "environment or binding names (DB, NODE_ENV, POM_BOLT_FILES)"),
    "bindings": ({"bindings": {"DB": "d1", "BLOBS": "kv"}}, "environment or binding names (BLOBS, DB)"),
    "presence": ({"github": {"hasToken": False}, "openai": {"hasApiKey": True}},
                 "credential presence (hasApiKey, hasToken)"),
    "server-path": ({"data_dir": "/tmp/ledger-1234/data"}, "server file paths"),
}
QUIET = {
    "health": {"status": "healthy", "uptime": 3},
    "currencies": {"currencies": ["USD", "EUR", "GBP"], "rates": {"USD": 1.0, "EUR": 0.9}},
    "project": [{"id": "p1", "name": "Quarterly plan", "files": [{"path": "src/app.ts", "content": "x"}]}],
    "not-found": {"error": "File not found"},
    "flags": {"isPublic": True, "hasChildren": False},
    "html": "<html><body><h1>Debug</h1><p>sign in first</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(DISCLOSING))
def test_disclosure_is_named(name: str) -> None:
    body, expected = DISCLOSING[name]
    text = body if isinstance(body, str) else json.dumps(body)
    assert expected in disclosures(text)


@pytest.mark.parametrize("name", sorted(QUIET))
def test_ordinary_answer_discloses_nothing(name: str) -> None:
    body = QUIET[name]
    assert disclosures(body if isinstance(body, str) else json.dumps(body)) == []


def test_paths_are_the_profiles_then_the_builtin_ones_once_each() -> None:
    profile = Profile.model_validate({"name": "x", "surface": {"paths": ["/internal/dump", "/metrics"],
                                                               "skip": ["/.git/config"]}})
    paths = surface_paths(profile)
    assert paths[:2] == ["/internal/dump", "/metrics"]
    assert paths.count("/metrics") == 1 and "/.git/config" not in paths
    assert set(paths) == {"/internal/dump", *BUILTIN_PATHS} - {"/.git/config"}
    alone = Profile.model_validate({"name": "x", "surface": {"paths": ["/a"], "builtin": False}})
    assert surface_paths(alone) == ["/a"]


def test_a_write_shows_in_the_snapshots_and_the_runs_own_rows_do_not(tmp_path: Path) -> None:
    database = tmp_path / "d1.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT)")
        db.execute("CREATE VIRTUAL TABLE search USING fts5(body)")  # left out: its rows are its shadow tables'
        db.execute("INSERT INTO jobs VALUES ('j1', 'seed')")
    inspector = build_inspector(Inspector(kind="sqlite", d1_path=str(database)))
    before = snapshot(inspector)
    assert "search" not in before.tables and before.tables["jobs"] == 1
    assert written(inspector, before, snapshot(inspector)) == []
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO jobs VALUES ('j2', 'backup')")
        db.execute("INSERT INTO jobs VALUES ('j3', 'made by org-run-a')")
    after = snapshot(inspector)
    assert written(inspector, before, after) == ["table jobs: 2 row(s) added"]
    assert written(inspector, before, after, ignore={"org-run-a"}) == ["table jobs: 1 row(s) added"]
    assert written(inspector, before, after, ignore={"org-run-a", "backup"}) == []
    inspector.close()
