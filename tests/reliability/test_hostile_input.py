"""Hostile and broken input to the harness: bad files, and targets that answer the wrong thing.

Given a broken environment or profile, ``tenantcheck run`` (and ``cleanup``) exit 3 with a message that
names the problem, never a traceback. Given a target that is not an HTTP service, or answers HTML, huge or
binary bodies, or redirects to another host, the run is inconclusive (exit 2) with no finding and no
traceback, and never follows the redirect. A property test feeds generated documents to the loaders: they
either load or raise ConfigError.
"""

from __future__ import annotations

import itertools
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import Profile, load_profile
from tenantcheck.config.tomlconfig import load_model, read_toml
from tenantcheck.errors import ConfigError
from tests.reliability.helpers import ADMIN_VAR, ENV_TEMPLATE, run_against, serve

CLI = [sys.executable, "-m", "tenantcheck"]
GOOD = ENV_TEMPLATE.format(url="http://127.0.0.1:9", admin_var=ADMIN_VAR, timeout=2, retries=0)
BAD_PROFILE = 'name = "bad"\n[resources.projects]\nget = { method = "GET", path = "/api/projects/{project}" }\n'

CONFIG_CASES: dict[str, tuple[str | bytes, str]] = {
    "malformed-toml": (GOOD.replace("[safety]", "[safety"), "not valid TOML"),
    "unknown-key": (GOOD.replace("timeout =", "time_out ="),
                    "[safety] unknown key 'time_out'. Did you mean 'timeout'?"),
    "wrong-type": (GOOD.replace("retries = 0", 'retries = "three"'), "[safety] retries"),
    "unresolved-var": (GOOD.replace(ADMIN_VAR, "TC_REL_NOT_SET"),
                       "[provisioning] admin_token: environment variable TC_REL_NOT_SET is not set"),
    "literal-secret": (GOOD.replace(f"${{{ADMIN_VAR}}}", "hunter2"), "secrets are written as ${VAR} references"),
    "not-utf8": (b"\xff\xfe[target]\x00\x01", "cannot be read"),
    "profile-unknown-field": (GOOD.replace('profile = "pom-bolt"', 'profile = "{profile}"'),
                              "operation projects.get names unknown field(s) project"),
    "profile-missing": (GOOD.replace('profile = "pom-bolt"', 'profile = "no-such-profile"'),
                        "profile 'no-such-profile' not found"),
    "not-a-url": (GOOD.replace("http://127.0.0.1:9", "127.0.0.1:9"), "base_url must be an http(s) URL"),
    "unresolved-url-var": (GOOD.replace("http://127.0.0.1:9", "${TC_REL_URL_NOT_SET}"),
                           "[target] base_url: environment variable TC_REL_URL_NOT_SET is not set"),
}


@pytest.mark.parametrize("name", sorted(CONFIG_CASES))
def test_broken_configuration_exits_3_with_a_message(tmp_path: Path, name: str) -> None:
    text, expected = CONFIG_CASES[name]
    profile = tmp_path / "bad-profile.toml"
    profile.write_text(BAD_PROFILE)
    env = tmp_path / "broken.toml"
    if isinstance(text, bytes):
        env.write_bytes(text)
    else:
        env.write_text(text.replace("{profile}", str(profile)))
    variables = {**os.environ, ADMIN_VAR: "admin-token-for-hostile-tests"}
    variables.pop("TC_REL_NOT_SET", None)
    variables.pop("TC_REL_URL_NOT_SET", None)
    for command in (["run", "-q", "--env", str(env), "--report-dir", str(tmp_path / "reports")],
                    ["cleanup", "--stale", "--env", str(env)]):
        if command[0] == "cleanup" and name.startswith("profile"):
            continue  # cleanup reads the profile only after the target answered
        completed = subprocess.run([*CLI, *command], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                   env=variables)
        output = completed.stdout + completed.stderr
        assert completed.returncode == 3, f"{command[0]}: {output}"
        assert expected in output, output
        assert "Traceback" not in output
        assert "admin-token-for-hostile-tests" not in output


@pytest.mark.parametrize("args, expected", [
    (["--tenants", "1"], "--tenants must be at least 2"),
    (["--pairs", "some"], "--pairs 'some': use all, ring or random:K"),
    (["--env", "/"], "cannot be read"),
    (["--no-such-option"], "tenantcheck run: unrecognized arguments: --no-such-option"),
    (["--tenants", "x"], "tenantcheck run: argument --tenants: invalid int value: 'x'"),
    (["--run-id", "ABC DEF"], "tenantcheck run: argument --run-id: 'ABC DEF' is not a run id"),
    (["--run-id", "../../../tmp/x/escaped"], "argument --run-id: '../../../tmp/x/escaped' is not a run id"),
])
def test_bad_options_exit_3_with_a_message(tmp_path: Path, args: list[str], expected: str) -> None:
    """Given a bad option, one line on stderr says what is wrong (pytest's usage text is not shown)."""
    completed = subprocess.run([*CLI, "run", "-q", "--report-dir", str(tmp_path / "reports"), *args],
                               capture_output=True, text=True, timeout=60, cwd=tmp_path)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 3 and expected in output, output
    assert "Traceback" not in output
    assert len([line for line in completed.stderr.splitlines() if line.strip()]) == 1, completed.stderr
    assert "usage:" not in output
    assert list(tmp_path.iterdir()) == []  # no report, no run record


@contextmanager
def garbage_server(reply: bytes) -> Iterator[int]:
    """A TCP server on loopback that answers every connection with ``reply`` (not HTTP) and hangs up."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(2)
            try:
                self.request.recv(4096)
                self.request.sendall(reply)
            except OSError:
                pass

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            thread.join(timeout=10)


def assert_inconclusive(run: Any) -> None:
    assert run.code == 2, run.describe()
    assert run.findings == [], "; ".join(f"{f['check']}: {f['title']}" for f in run.findings)
    assert run.verdicts("inconclusive") and all(check["reason"] for check in run.verdicts("inconclusive"))


@pytest.mark.parametrize("reply", [b"SSH-2.0-OpenSSH_9.6\r\n", b"\x00\xff\x13garbage" * 100, b""],
                         ids=["ssh-banner", "binary", "silent-close"])
def test_a_port_that_does_not_speak_http(tmp_path: Path, reply: bytes) -> None:
    with garbage_server(reply) as port, serve() as target:  # the target only gives the env an admin token
        env_text = ENV_TEMPLATE.format(url=f"http://127.0.0.1:{port}", admin_var=ADMIN_VAR, timeout=2, retries=1)
        run = run_against(target, tmp_path, "-k", "TC-01 or TC-02", env_text=env_text)
    # The preflight finds out before any check: exit 2 with the one cause, no report, nothing created.
    assert run.code == 2 and run.document is None, run.describe()
    assert "is unreachable" in run.output and "no check ran and nothing was created" in run.output, run.describe()


HUGE = 8 * 1024 * 1024


def everything(answer: Response) -> Any:
    return lambda method, path: answer


def api_only(answer: Response) -> Any:
    return lambda method, path: answer if path.startswith("/api/") and path != "/api/health" else None


SLICE = "TC-01 or TC-02 or TC-08 or (TX-07 and (star or sql-or))"
PAGE = "<!DOCTYPE html><html><body><h1>Welcome</h1><p>Sign in to continue</p></body></html>"
HOSTILE = {
    "html-everywhere": everything(HTMLResponse(PAGE)),
    "html-on-the-api": api_only(HTMLResponse(PAGE)),
    "huge-json-ish": api_only(Response(b'{"projects": [' + b" " * HUGE + b"]", media_type="application/json")),
    "binary": api_only(Response(bytes(range(256)) * 4096, media_type="application/octet-stream")),
    "invalid-utf8-json": api_only(Response(b'{"projects": ["\xff\xfe\xfa"]}', media_type="application/json")),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_target_that_answers_the_wrong_thing(tmp_path: Path, name: str) -> None:
    with serve() as target:
        target.tap.answer = HOSTILE[name]
        run = run_against(target, tmp_path, "-k", SLICE, timeout=10)
        target.tap.answer = None
        assert target.tenants() == [] or name == "html-everywhere"  # there, no tenant was ever created
    assert_inconclusive(run)


def test_redirects_to_another_host_are_never_followed(tmp_path: Path) -> None:
    """Every API answer redirects to another host (a listener that records what reaches it)."""
    received: list[bytes] = []

    class Catcher(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            received.append(self.request.recv(65536))

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Catcher) as catcher, serve() as target:
        thread = threading.Thread(target=catcher.serve_forever, daemon=True)
        thread.start()
        location = f"http://localhost:{catcher.server_address[1]}/api/projects"
        statuses = itertools.cycle([301, 302, 303, 307, 308])

        def redirect(method: str, path: str) -> Response | None:
            if not path.startswith("/api/") or path == "/api/health":
                return None
            return RedirectResponse(location, status_code=next(statuses))

        target.tap.answer = redirect
        run = run_against(target, tmp_path, "-k", "TC-01 or TC-02 or TC-08")
        assert_inconclusive(run)
        catcher.shutdown()
        thread.join(timeout=10)
        target.tap.answer = None
        assert target.tenants() == []
    assert received == [], "a redirect was followed (with the tenant's credentials)"


@pytest.mark.parametrize("answer", [
    api_only(RedirectResponse("http://localhost:9/api/projects", status_code=302)),
    api_only(Response(b'{"error": {"code": "unauthorized", "message": "key expired"}}', status_code=401,
                      media_type="application/json")),
], ids=["redirect", "refuse-everything"])
def test_probes_that_cannot_work_are_inconclusive(tmp_path: Path, answer: Any) -> None:
    with serve() as target:
        target.tap.answer = answer
        run = run_against(target, tmp_path, "-k", "TX-07 and (sql-or or star)")
    assert_inconclusive(run)


# --------------------------------------------------------------------------- property: loaders never crash
KEYS = {
    "top": ["name", "description", "profile", "target", "provisioning", "policy", "safety", "inspector"],
    "target": ["embedded", "base_url", "mode", "strict", "default_tenant", "flaws", "latency_ms", "shape"],
    "provisioning": ["method", "admin_token", "tenants"],
    "policy": ["deny_statuses", "consistency_window", "poll_interval"],
    "safety": ["production", "allow_writes", "test_tenants", "requests_per_second", "max_concurrency", "timeout",
               "retries"],
    "inspector": ["kind", "d1_path", "kv_path", "database", "remote", "account_id", "api_token"],
}
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["${TC_REL_PROPERTY_SET}", "${TC_REL_PROPERTY_UNSET}", "${", "$", "${1X}", "http://127.0.0.1:9",
                     "https://x.example/", "ftp://x", "token", "header", "admin-api", "static", "sqlite", "pom-bolt",
                     "contract", "bare", "GET", "/api/projects/{id}", "/p/{nope}", "{tenant_id}", "list-unfiltered"]),
)
SCALARS = st.one_of(st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
                    st.floats(allow_nan=True, allow_infinity=True), TEXT, st.dates(), st.datetimes())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                      max_leaves=8)


def section(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), VALUES, max_size=len(keys))


ENV_DOCS = st.fixed_dictionaries({}, optional={
    key: (section(KEYS[key]) | VALUES) if key in KEYS else VALUES for key in KEYS["top"]})

OPERATION = st.fixed_dictionaries({}, optional={
    "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "FETCH"]) | VALUES,
    "path": TEXT | VALUES, "body": VALUES, "items": TEXT, "object": TEXT,
    "response": st.sampled_from(["json", "text", 1]),
})
GROUP = st.dictionaries(st.sampled_from(["create", "list", "get", "update", "delete", "write", "read", "health",
                                         "search", "download", "access_logs", "id_field", "sensitive"]),
                        OPERATION | VALUES, max_size=4)
PROFILE_DOCS = st.fixed_dictionaries({"name": TEXT | VALUES}, optional={
    "identity": section(["mode", "scheme", "credential_header", "tenant_headers", "tenant_query"]) | VALUES,
    "resources": st.dictionaries(st.sampled_from(["projects", "deployments", "files", "other"]), GROUP | VALUES,
                                 max_size=3),
    "api": GROUP | VALUES,
    "provisioning": st.dictionaries(st.sampled_from(["admin", "signup"]), GROUP | VALUES, max_size=2) | VALUES,
    "defaults": section(["deny_statuses", "log_tenant_field"]) | VALUES,
})


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(env=ENV_DOCS, profile=PROFILE_DOCS)
def test_loaders_raise_only_config_errors(env: dict[str, Any], profile: dict[str, Any]) -> None:
    variables = {key: value for key, value in os.environ.items() if key != "TC_REL_PROPERTY_UNSET"}
    with mock.patch.dict(os.environ, {**variables, "TC_REL_PROPERTY_SET": "a-value"}, clear=True):
        for model, document in ((Environment, env), (Profile, profile)):
            try:
                loaded = load_model(model, document, Path("generated.toml"))
            except ConfigError as error:
                assert "generated.toml" in str(error)
                continue
            if isinstance(loaded, Environment):
                with suppress(ConfigError):
                    load_profile(loaded.profile)
            else:
                assert isinstance(loaded, Profile) and isinstance(loaded.operations, dict)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_file_loads_or_is_a_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.toml"
    path.write_bytes(data)
    try:
        document = read_toml(path)
    except ConfigError:
        return
    for model in (Environment, Profile):
        with suppress(ConfigError):
            load_model(model, document, path)


def test_the_property_reaches_valid_documents() -> None:
    """Not vacuous: documents of the generated shapes do load, and a bad value in them is a ConfigError."""
    loaded = load_model(Environment, {"target": {"embedded": True}}, Path("generated.toml"))
    assert loaded.target.embedded
    assert load_model(Profile, {"name": "x", "api": {"health": {"method": "GET", "path": "/h"}}},
                      Path("generated.toml")).operation("api.health") is not None
    with pytest.raises(ConfigError):
        load_model(Environment, {"target": {"embedded": True}, "safety": {"timeout": float("nan")}},
                   Path("generated.toml"))
