"""The standalone server (`python -m tenantcheck.ledger serve`), LedgerProcess and the configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tenantcheck.ledger import FLAWS, LedgerConfig, LedgerProcess, LedgerStartError, UnknownFlawError
from tenantcheck.ledger.cli import main
from tenantcheck.ledger.flaws import parse_flaws

SERVE = [sys.executable, "-m", "tenantcheck.ledger", "serve"]


def start(args, env):
    return subprocess.Popen([*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_serve_prints_ready_answers_and_stops_cleanly(tmp_path, stop_signal):
    # Given a server with a flaw from the environment and no data dir (its temporary one goes in TMPDIR)
    env = {**os.environ, "TENANTCHECK_LEDGER_FLAWS": "debug-open", "TMPDIR": str(tmp_path)}
    process = start(["--port", "0", "--token-ttl", "5"], env)
    try:
        ready = process.stdout.readline()
        assert ready.startswith("READY http://127.0.0.1:"), ready
        with httpx.Client(base_url=ready.split()[1], timeout=10) as client:
            # When it is used
            assert client.get("/health").json() == {"ok": True}
            assert client.get("/debug/env").json()["config"]["flaws"] == ["debug-open"]
            assert client.post("/auth/signup", json={"email": "x@y.z", "password": "password", "org_name": "o"})
            login = client.post("/auth/login", json={"email": "x@y.z", "password": "password"})
            assert login.json()["session"]["expires_in"] == 5
        assert [p.name for p in tmp_path.iterdir()] != []
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # Then it stopped with 0, said nothing else on stdout, and removed its temporary data dir
    assert process.returncode == 0, err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_serve_keeps_a_given_data_dir(tmp_path):
    process = start(["--data-dir", str(tmp_path / "data")], {**os.environ})
    try:
        assert process.stdout.readline().startswith("READY ")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert (tmp_path / "data" / "ledger.sqlite").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["serve", "--flaw", "list-unfiltered,no-such-flaw"], "no-such-flaw"),
        (["serve", "--host", "0.0.0.0"], "loopback"),
        (["serve", "--token-ttl", "0"], "token_ttl"),
        (["serve", "--token-ttl", "nan"], "token_ttl"),
        (["serve", "--port", "x"], "invalid int"),
        ([], "required"),
    ],
    ids=["unknown-flaw", "public-host", "zero-ttl", "nan-ttl", "bad-port", "no-command"],
)
def test_usage_errors_exit_3(args, message, capsys):
    try:
        code = main(args)
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    assert code == 3
    out, err = capsys.readouterr()
    assert message in err and out == ""


def test_a_usage_error_in_the_child_lists_the_valid_flaws_without_traceback():
    result = subprocess.run([*SERVE, "--flaw", "bogus"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert "valid flaws are" in result.stderr and all(name in result.stderr for name in FLAWS)
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_ledger_process(monkeypatch):
    monkeypatch.setenv("TENANTCHECK_LEDGER_FLAWS", "debug-open")  # the config, not the environment, decides
    with LedgerProcess.start(LedgerConfig(flaws={"list-unfiltered"}, token_ttl=30)) as ledger:
        assert ledger.base_url.startswith("http://127.0.0.1:")
        assert (ledger.data_dir / "ledger.sqlite").is_file()
        with httpx.Client(base_url=ledger.base_url, timeout=10) as client:
            assert client.get("/debug/env").status_code == 404
            assert client.get("/me").status_code == 401
        data_dir = ledger.data_dir
    assert ledger.returncode == 0
    assert not data_dir.exists()  # the temporary data dir it made is removed


def test_ledger_process_reports_a_failed_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LedgerStartError) as error:
        LedgerProcess.start(LedgerConfig(data_dir=blocker / "data"), timeout=30)
    assert "the Ledger exited with code 3" in str(error.value)
    assert "cannot use data dir" in str(error.value) and "Traceback" not in str(error.value)


def test_config_and_flaw_names():
    assert parse_flaws(["list-unfiltered, debug-open", "", "debug-open"]) == {"list-unfiltered", "debug-open"}
    with pytest.raises(UnknownFlawError, match="'nope'"):
        parse_flaws(["nope"])
    with pytest.raises(UnknownFlawError):
        LedgerConfig(flaws={"nope"})
    with pytest.raises(ValueError, match="loopback"):
        LedgerConfig(host="10.0.0.1")
    with pytest.raises(ValueError, match="token_ttl"):
        LedgerConfig(token_ttl=-1)
    config = LedgerConfig(flaws=["debug-open"])
    assert config.flaws == frozenset({"debug-open"}) and hash(config)
    assert config.has("debug-open") and not config.has("list-unfiltered")
    with pytest.raises(KeyError):
        config.has("no-such-flaw")
