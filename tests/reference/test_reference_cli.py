"""The standalone server (`python -m tenantcheck.reference serve`) and ReferenceProcess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tenantcheck.reference import FLAWS, ReferenceConfig, ReferenceProcess, ReferenceStartError

SERVE = [sys.executable, "-m", "tenantcheck.reference", "serve"]


def test_serve_prints_ready_answers_and_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "TENANTCHECK_REFERENCE_FLAWS": "list-unfiltered"}
    env.pop("TENANTCHECK_REFERENCE_ADMIN_TOKEN", None)
    process = subprocess.Popen(
        [*SERVE, "--port", "0", "--auth", "header", "--lenient", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready = process.stdout.readline()
        assert ready.startswith("READY http://127.0.0.1:"), ready
        url = ready.split()[1]
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/api/health").json() == {"status": "ok"}
            client.post("/api/projects", json={"name": "p"}, headers={"X-Tenant-ID": "one"})
            unfiltered = client.get("/api/projects", headers={"X-Tenant-ID": "two"}).json()["projects"]
            assert [p["tenant_id"] for p in unfiltered] == ["one"]  # the flaw came from the environment
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == ""  # exactly one stdout line, READY
    assert err.count("admin token: ") == 1  # generated, printed once for a person to use
    assert (tmp_path / "d1.sqlite").is_file()  # a given data dir is kept


@pytest.mark.parametrize(
    "args, message",
    [
        (["--flaw", "list-unfiltered,no-such-flaw"], "no-such-flaw"),
        (["--flaw", "bogus"], "valid flaws are"),
        (["--host", "0.0.0.0"], "loopback"),
        (["--default-tenant", "Bad"], "default tenant"),
        (["--shape", "xml"], "invalid choice"),
    ],
    ids=["unknown-flaw", "unknown-flaw-lists-valid", "public-host", "bad-default-tenant", "bad-shape"],
)
def test_usage_errors_exit_3_without_traceback(args, message):
    result = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if "valid flaws are" in result.stderr:
        assert all(name in result.stderr for name in FLAWS)


def test_reference_process(tmp_path):
    config = ReferenceConfig(
        auth="token", strict=True, flaws={"audit-unscoped", "error-leaks-data"}, latency_ms=5
    )
    with ReferenceProcess.start(config) as target:
        assert target.base_url.startswith("http://127.0.0.1:")
        assert target.data_dir.is_dir() and (target.data_dir / "d1.sqlite").is_file()
        assert target.admin_token not in " ".join(target.process.args)  # passed in the environment only
        admin = {"Authorization": f"Bearer {target.admin_token}"}
        with httpx.Client(base_url=target.base_url, timeout=10) as client:
            tenant = client.post("/admin/tenants", json={"name": "x"}, headers=admin).json()
            assert client.get("/api/projects").status_code == 401  # strict
            key = {"Authorization": f"Bearer {tenant['api_key']}"}
            assert client.get("/api/projects", headers=key).json() == {"projects": []}
        data_dir = target.data_dir
    assert target.returncode == 0
    assert not data_dir.exists()  # the temporary data dir it made is removed


def test_reference_process_reports_a_failed_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ReferenceStartError) as error:
        ReferenceProcess.start(ReferenceConfig(data_dir=blocker / "data"), timeout=30)
    assert "exited with code 3" in str(error.value)
    assert "cannot use data dir" in str(error.value) and "Traceback" not in str(error.value)
