"""The ``wrangler`` backend for real: the project's wrangler 4.86 against local D1 and KV state it made
itself (``wrangler d1 execute --local``, ``wrangler kv bulk put --local``), and the ``sqlite`` backend on
that same state, as miniflare laid it out. Offline and loopback-only; skipped only where Node.js is missing."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantcheck.config.environment import Inspector
from tenantcheck.inspectors import CACHE, FILES, InspectorError, ReadOnlyViolation, build_inspector
from tenantcheck.inspectors.sqlite import sqlite_inspector
from tenantcheck.inspectors.wrangler import WranglerInspector

WORKERS = Path(__file__).resolve().parents[2] / "targets" / "workers"
DATABASE_ID = "00000000-0000-4000-8000-0000000000aa"
FILES_ID = "a1" * 16
CACHE_ID = "c2" * 16
WRANGLER_TOML = f"""
name = "inspector-probe"
main = "index.js"
compatibility_date = "2025-04-01"
send_metrics = false
[[d1_databases]]
binding = "DB"
database_name = "probe-db"
database_id = "{DATABASE_ID}"
[[kv_namespaces]]
binding = "FILES"
id = "{FILES_ID}"
[[kv_namespaces]]
binding = "CACHE"
id = "{CACHE_ID}"
"""
QUIET = {"WRANGLER_SEND_METRICS": "false", "CLOUDFLARE_CF_FETCH_ENABLED": "false", "NO_COLOR": "1", "CI": "true"}


def wrangler_binary() -> Path:
    """The pinned wrangler of targets/workers, installed with ``npm ci`` once (under a lock for xdist)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js/npm not installed: the wrangler backend needs Node.js 20+ (targets/workers)")
    binary = WORKERS / "node_modules" / ".bin" / "wrangler"
    with (WORKERS / "package.json").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WORKERS, check=True,
                           timeout=300, env={**os.environ, **QUIET})
    return binary


def wrangler(binary: Path, project: Path, *args: str) -> None:
    subprocess.run([str(binary), *args, "--local", "--persist-to", str(project / "state")], cwd=project, check=True,
                   capture_output=True, timeout=120, env={**os.environ, **QUIET})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A wrangler project with local state: two projects rows, three FILES keys, one CACHE key. Built once
    per run, shared by the xdist workers (the tests only read it)."""
    binary = wrangler_binary()
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "wrangler-project"
    root.mkdir(exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".built").exists():
            build_project(binary, root)
            (root / ".built").touch()
    yield binary, root


def build_project(binary: Path, root: Path) -> None:
    (root / "wrangler.toml").write_text(WRANGLER_TOML)
    (root / "index.js").write_text("export default { fetch() { return new Response('ok'); } };\n")
    wrangler(binary, root, "d1", "execute", "probe-db", "--command",
             "CREATE TABLE projects (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT); "
             "INSERT INTO projects VALUES ('prj_1', 'acme', 'it''s; a name'), ('prj_2', 'globex', NULL)")
    (root / "files.json").write_text(json.dumps([{"key": key, "value": "x"} for key in (
        "acme:prj_1:docs/a.md", "acme:prj_1:docs/b.md", "globex:prj_2:c.md")]))
    (root / "cache.json").write_text(json.dumps([{"key": "acme:/api/projects", "value": "{}"}]))
    wrangler(binary, root, "kv", "bulk", "put", "files.json", "--binding", "FILES")
    wrangler(binary, root, "kv", "bulk", "put", "cache.json", "--namespace-id", CACHE_ID)


def inspector_for(binary: Path, root: Path) -> WranglerInspector:
    section = Inspector(kind="wrangler", database="probe-db", project_dir=str(root), wrangler=str(binary),
                        persist_to=str(root / "state"))
    opened = build_inspector(section)
    assert isinstance(opened, WranglerInspector)
    return opened


def test_query_binds_values_through_wrangler(project: tuple[Path, Path]) -> None:
    inspector = inspector_for(*project)
    assert inspector.query("SELECT id, tenant_id, name FROM projects WHERE tenant_id = ? OR name = ? ORDER BY id",
                           ["globex", "it's; a name"]) == [
        {"id": "prj_1", "tenant_id": "acme", "name": "it's; a name"},
        {"id": "prj_2", "tenant_id": "globex", "name": None}]


def test_kv_keys_by_binding_and_by_namespace_id(project: tuple[Path, Path]) -> None:
    inspector = inspector_for(*project)
    assert inspector.kv_keys(FILES, prefix="acme:") == ["acme:prj_1:docs/a.md", "acme:prj_1:docs/b.md"]
    inspector.namespaces[CACHE] = CACHE_ID  # a 32-hex value is a namespace id (--namespace-id)
    assert inspector.kv_keys(CACHE) == ["acme:/api/projects"]


def test_wrangler_errors_are_inspector_errors(project: tuple[Path, Path]) -> None:
    inspector = inspector_for(*project)
    with pytest.raises(InspectorError, match="no such table: nope"):
        inspector.query("SELECT * FROM nope")
    with pytest.raises(InspectorError, match="NOPE"):
        inspector.kv_keys("NOPE")


def test_writes_never_reach_wrangler(project: tuple[Path, Path]) -> None:
    binary, root = project
    inspector = WranglerInspector(command=["/nonexistent/wrangler"], project_dir=root, database="probe-db",
                                  namespaces={})
    for sql in ("DELETE FROM projects", "SELECT 1; DROP TABLE projects", "SELECT ?"):
        with pytest.raises(ReadOnlyViolation):
            inspector.query(sql, [])


def test_missing_wrangler_and_project_are_clear(project: tuple[Path, Path], tmp_path: Path) -> None:
    binary, root = project
    with pytest.raises(InspectorError, match="cannot run"):
        WranglerInspector(command=[str(tmp_path / "no-wrangler")], project_dir=root, database="probe-db",
                          namespaces={}).kv_keys(FILES)
    with pytest.raises(InspectorError, match="no wrangler.toml"):
        build_inspector(Inspector(kind="wrangler", database="probe-db", project_dir=str(tmp_path)))


def test_sqlite_backend_reads_the_same_local_state(project: tuple[Path, Path]) -> None:
    """The state wrangler wrote, read straight from miniflare's files (ids from wrangler.toml)."""
    binary, root = project
    with sqlite_inspector(d1_path=root / "state", database=DATABASE_ID, files_namespace=FILES_ID,
                          cache_namespace=CACHE_ID) as inspector:
        assert inspector.query("SELECT id FROM projects WHERE tenant_id = ?", ["acme"]) == [{"id": "prj_1"}]
        assert inspector.kv_keys(FILES) == ["acme:prj_1:docs/a.md", "acme:prj_1:docs/b.md", "globex:prj_2:c.md"]
        assert inspector.kv_keys(CACHE, prefix="acme:") == ["acme:/api/projects"]
