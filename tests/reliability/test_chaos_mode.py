"""Chaos mode of the reference target: every kind fails as documented, before any handler runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from tenantcheck.reference import ReferenceConfig
from tenantcheck.reference.chaos import KINDS, ChaosConfig, ChaosError, chaos_argv, parse_chaos
from tests.reliability.helpers import Target, serve

SERVE = [sys.executable, "-m", "tenantcheck.reference", "serve", "--port", "0"]


def only(kind: str, **options: object) -> ReferenceConfig:
    return ReferenceConfig(chaos=ChaosConfig(rate=1.0, kinds=frozenset({kind}), hang_seconds=1.0, **options))  # type: ignore[arg-type]


def projects_in(target: Target) -> int:
    with sqlite3.connect(target.data_dir / "d1.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM projects").fetchone()[0])


EXPECTED = {
    "500": (500, "internal_error"),
    "503": (503, "service_unavailable"),
    "429": (429, "rate_limited"),
    "html": (502, None),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_error_kinds_answer_their_status_and_store_nothing(kind: str) -> None:
    status, code = EXPECTED[kind]
    with serve(only(kind)) as target:
        key = target.create_tenant("chaos-victim")  # admin endpoints are exempt
        reply = httpx.post(f"{target.base_url}/api/projects", json={"name": "n", "description": "d"},
                           headers={"Authorization": f"Bearer {key}"}, timeout=5)
        assert reply.status_code == status
        assert reply.headers["x-reference-chaos"] == (kind if kind == "html" else str(status))
        if code is None:
            assert reply.headers["content-type"].startswith("text/html") and "<html>" in reply.text
        else:
            assert reply.json()["error"]["code"] == code
        if kind == "429":
            assert reply.headers["retry-after"] == "0"
        # Instead of the handler, not after it: no row, and not even an access-log entry.
        assert projects_in(target) == 0
        assert target.access_log("chaos-victim") == []
        assert target.chaos()["injected"][kind] == 1


@pytest.mark.parametrize("kind", ["drop", "truncate", "timeout"])
def test_broken_answers_are_transport_errors_for_the_client(kind: str) -> None:
    with serve(only(kind)) as target:
        key = target.create_tenant("chaos-victim")
        with httpx.Client(base_url=target.base_url, timeout=0.3, headers={"Authorization": f"Bearer {key}"}) as client:
            started = time.monotonic()
            # A close with the request body unread may reach the client as a reset: a read error either way.
            broken = (httpx.RemoteProtocolError, httpx.ReadError)
            expected = {"drop": broken, "truncate": broken, "timeout": httpx.ReadTimeout}[kind]
            with pytest.raises(expected):
                client.post("/api/projects", json={"name": "n", "description": "d"})
            assert time.monotonic() - started < 5
            assert client.get("/api/health").status_code == 200  # the server itself is fine
        assert projects_in(target) == 0
        assert target.access_log("chaos-victim") == []


def test_admin_and_health_are_exempt_and_the_tally_counts_the_rest() -> None:
    with serve(only("500")) as target:
        key = target.create_tenant("chaos-tally")
        for _ in range(3):
            assert httpx.get(f"{target.base_url}/api/health", timeout=5).status_code == 200
            assert target.tenants(prefix="chaos-") == ["chaos-tally"]
        assert httpx.get(f"{target.base_url}/api/projects", headers={"Authorization": f"Bearer {key}"},
                         timeout=5).status_code == 500
        status = target.chaos()
        assert status["eligible"] == 1 and status["injected"]["500"] == 1
        assert status["by_method"] == {"GET": {"500": 1}}


def test_only_limits_chaos_to_matching_requests() -> None:
    with serve(only("503", only="^PUT ")) as target:
        key = target.create_tenant("chaos-only")
        auth = {"Authorization": f"Bearer {key}"}
        created = httpx.post(f"{target.base_url}/api/projects", json={"name": "n", "description": "d"}, headers=auth,
                             timeout=5)
        assert created.status_code == 201
        url = f"{target.base_url}/api/projects/{created.json()['id']}"
        assert httpx.put(url, json={"name": "m", "description": "e"}, headers=auth, timeout=5).status_code == 503
        assert httpx.get(url, headers=auth, timeout=5).json()["name"] == "n"
        assert target.chaos()["eligible"] == 1


def test_a_seed_gives_the_same_failures_in_the_same_order() -> None:
    def sequence() -> list[int]:
        config = ReferenceConfig(chaos=ChaosConfig(rate=0.5, kinds=frozenset({"500", "503", "429"}), seed=42))
        with serve(config) as target:
            key = target.create_tenant("chaos-seeded")
            with httpx.Client(base_url=target.base_url, timeout=5,
                              headers={"Authorization": f"Bearer {key}"}) as client:
                return [client.get("/api/projects").status_code for _ in range(40)]

    first, second = sequence(), sequence()
    assert first == second
    assert {200, 500, 503, 429} <= set(first)


def test_parse_and_validate() -> None:
    assert parse_chaos("0.1").kinds == frozenset(KINDS)
    assert parse_chaos("0.2:500, 503").kinds == frozenset({"500", "503"})
    config = parse_chaos("0.25:timeout,drop", seed=7, hang_seconds=2.5, only="^GET ")
    assert parse_chaos(*chaos_argv(config)[1:2], seed=7, hang_seconds=2.5, only="^GET ") == config
    assert chaos_argv(None) == []
    for spec, message in [("lots", "RATE must be a number"), ("0", "in (0, 1]"), ("1.5", "in (0, 1]"),
                          ("0.1:500,teapot", "unknown chaos kind 'teapot'; valid kinds are: 500, 503")]:
        with pytest.raises(ChaosError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            parse_chaos(spec)
    with pytest.raises(ChaosError, match="hang"):
        ChaosConfig(rate=0.1, hang_seconds=1000)
    with pytest.raises(ChaosError, match="regular expression"):
        ChaosConfig(rate=0.1, only="(")


@pytest.mark.parametrize("args, message", [
    (["--chaos", "0.1:teapot"], "unknown chaos kind 'teapot'"),
    (["--chaos", "2"], "chaos rate must be in (0, 1]"),
    (["--chaos-seed", "3"], "--chaos-seed and --chaos-only need --chaos"),
    (["--chaos", "0.1", "--chaos-hang", "0"], "chaos hang must be in"),
])
def test_serve_refuses_bad_chaos_options_with_exit_3(args: list[str], message: str) -> None:
    completed = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 3, completed.stderr
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_serve_with_chaos_announces_it_and_injects() -> None:
    process = subprocess.Popen([*SERVE, "--chaos", "1:503", "--chaos-seed", "5"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TENANTCHECK_REFERENCE_ADMIN_TOKEN": "chaos-test-admin"})
    try:
        ready = process.stdout.readline()  # type: ignore[union-attr]
        assert ready.startswith("READY http://127.0.0.1:"), ready
        url = ready.split()[1]
        assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        assert httpx.get(f"{url}/api/projects", timeout=5).status_code == 503
        status = httpx.get(f"{url}/admin/chaos", headers={"Authorization": "Bearer chaos-test-admin"}, timeout=5).json()
        assert status["seed"] == 5 and status["injected"]["503"] == 1
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "chaos: 100% of requests: 503, seed 5 (admin endpoints and /api/health exempt)" in err


def test_no_chaos_no_middleware() -> None:
    with serve() as target:
        assert target.chaos() == {"enabled": False}
