"""A whole run against a Ledger that outlives it: expiring tokens are renewed, and cleanup tells the truth
(every object the run made is gone, what the API cannot remove is named once, `tenantcheck cleanup`
never fails with a traceback)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse

from tenantcheck.ledger import LedgerConfig, create_app, environment_for, ledger_of, running_ledger
from tenantcheck.reference.server import serving_in_thread
from tests.conftest import ROOT, run_catalog


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(sql).fetchall()


def test_expiring_tokens_are_renewed_and_nothing_is_left_but_the_accounts(tmp_path: Path) -> None:
    # A second: many renewals in a run of several seconds, and still room for a login on a busy machine.
    with running_ledger(LedgerConfig(token_ttl=1.0)) as ledger:
        env = tmp_path / "ledger-env.toml"
        env.write_text(environment_for(ledger.base_url, description="a Ledger started by the test"))
        run = run_catalog(tmp_path / "reports", "--env", str(env), "--concurrency", "1")
        assert run.code == 0 and run.document is not None, run.output
        assert run.verdicts("inconclusive") == [], run.output
        # Tokens lived a second in a run of several: the tenants logged in again (and again).
        logins = rows(ledger.database, "SELECT user_id, count(*) FROM sessions GROUP BY user_id")
        assert len(logins) == 2 and all(count > 1 for _, count in logins), logins
        for table in ("invoices", "notes", "attachments", "blobs"):
            assert rows(ledger.database, f"SELECT count(*) FROM {table}") == [(0,)], table
    problems = run.document["cleanup_problems"]
    assert len(problems) == 2 and all("sign-up accounts cannot be removed" in p for p in problems), problems
    assert run.output.count("left on the target:") == 2, run.output


def test_cleanup_lists_what_it_cannot_remove_and_exits_0(tmp_path: Path) -> None:
    with running_ledger(LedgerConfig()) as ledger:
        env = tmp_path / "ledger-env.toml"
        env.write_text(environment_for(ledger.base_url, description="a Ledger started by the test"))
        runs = tmp_path / ".tenantcheck" / "runs"
        runs.mkdir(parents=True)
        record = {"run_id": "gone-run", "environment": "ledger-env", "base_url": ledger.base_url, "pid": 0,
                  "provisioning": "signup", "tenants": ["org_x"],
                  "objects": [{"resource": "invoices", "tenant_id": "org_x", "id": "inv_1", "address": {"id": "inv_1"},
                               "parent": None},
                              {"resource": "widgets", "tenant_id": "org_x", "id": "w1", "address": {}, "parent": None}]}
        (runs / "gone-run.json").write_text(json.dumps(record))
        done = subprocess.run([sys.executable, "-m", "tenantcheck", "cleanup", "--env", str(env), "--run-id",
                               "gone-run"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    assert "could not remove: widgets w1 of org_x: the profile has no resource widgets" in output
    assert "invoices inv_1 of org_x" in output  # no credential for it: named, not crashed on
    assert (runs / "gone-run.json").exists()  # kept: what it names is not gone


def test_write_attacks_do_not_depend_on_a_second_create(tmp_path: Path) -> None:
    """Given a Ledger that lets each org create one invoice only (409 after), the update, delete and send
    attempts on another org's invoice still run (on its seeded invoice) and pass on their refusals."""
    ledger_app = create_app(LedgerConfig())
    created: set[str] = set()

    async def once_per_org(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "POST" and path.endswith("/invoices"):
            org = path.split("/")[2]
            if org in created:
                await JSONResponse({"error": "conflict", "detail": "one invoice per org"}, 409)(scope, receive, send)
                return
            created.add(org)
        await ledger_app(scope, receive, send)

    try:
        with serving_in_thread(once_per_org, "127.0.0.1", 0, what="the Ledger") as url:  # type: ignore[arg-type]
            env = tmp_path / "ledger-env.toml"
            env.write_text(environment_for(url, description="a Ledger started by the test"))
            run = run_catalog(tmp_path / "reports", "--env", str(env), "-k", "TC-02 and invoices")
    finally:
        ledger_of(ledger_app).close()
    assert run.document is not None, run.output
    writes = [check for check in run.checks
              if any(f"invoices.{kind}:tenant" in check["check"] for kind in ("update", "delete", "send"))]
    assert len(writes) == 6 and all(check["verdict"] == "passed" for check in writes), run.output
    assert all("refusal" in check["rests_on"] for check in writes)


def test_keep_leaves_everything_so_curl_lines_replay_and_cleanup_removes_it(tmp_path: Path) -> None:
    with running_ledger(LedgerConfig(flaws=frozenset({"get-unchecked"}))) as ledger:
        env = tmp_path / "ledger-env.toml"
        env.write_text(environment_for(ledger.base_url, description="a Ledger started by the test"))
        work = tmp_path / "work"
        work.mkdir()
        command = [sys.executable, "-m", "tenantcheck", "run", "-q", "--env", str(env), "--keep", "-n", "0",
                   "--run-id", "keep-run", "--report-dir", str(work / "reports"), "-k", "TC-02"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=work, timeout=120,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 1, done.stdout + done.stderr
        keys = work / ".tenantcheck" / "runs" / "keep-run.keys.env"
        assert keys.stat().st_mode & 0o777 == 0o600
        assert "kept (--keep)" in done.stdout and "left on the target" in done.stdout
        assert rows(ledger.database, "SELECT count(*) FROM invoices")[0][0] > 0
        report = json.loads((work / "reports" / "keep-run" / "isolation-report.json").read_text())
        leak = next(f for f in report["findings"] if f["oracle"] == "denial")
        assert "$TENANT_" in leak["curl"] and not any(line.split("=", 1)[1] in json.dumps(report)
                                                     for line in keys.read_text().splitlines())
        replay = subprocess.run(["bash", "-c", f". {keys} && {leak['curl']}"], capture_output=True, text=True,
                                timeout=30)
        assert replay.returncode == 0 and " 200 " in replay.stdout.splitlines()[0], replay.stdout
        victim_markers = next(t["markers"] for t in report["tenants"] if t["label"] == leak["victim"])
        assert any(marker in replay.stdout for marker in victim_markers)  # the leak, again, by hand
        cleanup = subprocess.run([sys.executable, "-m", "tenantcheck", "cleanup", "--env", str(env), "--run-id",
                                  "keep-run"], capture_output=True, text=True, cwd=work, timeout=60,
                                 env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
        for table in ("invoices", "notes", "attachments", "blobs"):
            assert rows(ledger.database, f"SELECT count(*) FROM {table}") == [(0,)], (table, cleanup.stdout)
