"""Bad environment and profile files: each gives one clear message naming the file and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tenantcheck.config.environment import load_environment
from tenantcheck.config.profile import load_profile
from tenantcheck.errors import ConfigError

GOOD_TARGET = '[target]\nembedded = true\n'

ENVIRONMENT_CASES = {
    "unknown-key": (GOOD_TARGET + "[safety]\nrequest_per_second = 5\n",
                    "[safety] unknown key 'request_per_second'. Did you mean 'requests_per_second'?"),
    "unknown-section": (GOOD_TARGET + "[safty]\nproduction = true\n", "unknown key 'safty'. Did you mean 'safety'?"),
    "wrong-type": (GOOD_TARGET + "[safety]\nmax_concurrency = \"lots\"\n", "[safety] max_concurrency"),
    "negative": (GOOD_TARGET + "[safety]\nrequests_per_second = -1\n", "[safety] requests_per_second"),
    "missing-var": ('[target]\nbase_url = "https://preview.example"\n[provisioning]\n'
                    'admin_token = "${TENANTCHECK_TEST_UNSET_VAR}"\n',
                    "[provisioning] admin_token: environment variable TENANTCHECK_TEST_UNSET_VAR is not set"),
    "literal-secret": ('[target]\nbase_url = "https://preview.example"\n[provisioning]\nadmin_token = "hunter2"\n',
                       "[provisioning] admin_token: secrets are written as ${VAR} references"),
    "both-targets": ('[target]\nembedded = true\nbase_url = "https://x.example"\n', "either base_url"),
    "no-target": ('profile = "pom-bolt"\n', "target: required key is missing"),
    "bad-url": ('[target]\nbase_url = "ftp://x.example"\n', "base_url must be an http(s) URL"),
    "flaws-remote": ('[target]\nbase_url = "https://x.example"\nflaws = ["list-unfiltered"]\n',
                     "configure the embedded target only"),
    "static-one-tenant": (GOOD_TARGET + '[provisioning]\nmethod = "static"\n[[provisioning.tenants]]\nid = "acme"\n',
                          "needs at least two"),
    "bad-static-id": (GOOD_TARGET + '[provisioning]\nmethod = "static"\n[[provisioning.tenants]]\nid = "Bad Id"\n'
                      '[[provisioning.tenants]]\nid = "acme"\n', "[provisioning.tenants[0]] id"),
    "not-toml": ("[target\nembedded = true\n", "not valid TOML"),
}


@pytest.mark.parametrize("name", sorted(ENVIRONMENT_CASES))
def test_bad_environment_is_named(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TENANTCHECK_TEST_UNSET_VAR", raising=False)
    text, expected = ENVIRONMENT_CASES[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_environment(str(path))
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_secret_from_variable_is_resolved_and_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTCHECK_TEST_TOKEN", "s3cr3t-value")
    path = tmp_path / "env.toml"
    path.write_text('[target]\nbase_url = "https://x.example"\n'
                    '[provisioning]\nadmin_token = "${TENANTCHECK_TEST_TOKEN}"\n')
    env = load_environment(str(path))
    assert env.provisioning.admin_token is not None
    assert env.provisioning.admin_token.get() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(env)


def test_unknown_environment_name_lists_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="known environments: .*local"):
        load_environment("no-such-env")


SHIPPED = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "environments").glob("*.toml"))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_environments_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("TENANTCHECK_ADMIN_TOKEN", "TENANTCHECK_PROD_KEY_A", "TENANTCHECK_PROD_KEY_B",
                "TENANTCHECK_WORKERS_ADMIN_TOKEN"):
        monkeypatch.setenv(var, f"value-of-{var}")
    monkeypatch.setenv("TENANTCHECK_PREVIEW_URL", "https://preview.example")
    monkeypatch.setenv("POMBOLT_URL", "http://127.0.0.1:8788")  # what targets/pombolt/acceptance.sh sets
    monkeypatch.setenv("POMBOLT_STATE", "/tmp/pombolt-state")
    env = load_environment(name)
    assert env.name == name
    load_profile(env.profile)


PROFILE_CASES = {
    "unknown-field": ('name = "x"\n[resources.projects]\nget = { method = "GET", path = "/p/{project}" }\n',
                      "operation projects.get names unknown field(s) project"),
    "bad-method": ('name = "x"\n[resources.projects]\nget = { method = "FETCH", path = "/p/{id}" }\n',
                   "[resources.projects.get] method"),
    "relative-path": ('name = "x"\n[api]\nhealth = { method = "GET", path = "health" }\n', "must start with '/'"),
    "unknown-key": ('name = "x"\n[identity]\nschema = "bearer"\n', "Did you mean 'scheme'?"),
    "no-name": ('[identity]\nmode = "token"\n', "name: required key is missing"),
    "id-from": ('name = "x"\n[resources.projects]\nid_from = "request"\n',
                'id_from = "request" sends the id as {id}: declare it in fields'),
    "resource-name": ('name = "x"\n[resources.Books]\n', "resource name 'Books' must be lower case"),
    "parent": ('name = "x"\n[resources.pages]\nparent = "books"\n', "parent 'books' is not a resource"),
    "undeclared-field": ('name = "x"\n[resources.books]\ncreate = { method = "POST", path = "/b", '
                         'body = { isbn = "{isbn}" } }\n', "declare it in [resources.books] fields"),
    "field-kind": ('name = "x"\n[resources.books]\nfields = { title = "secret" }\n', "title"),
    "upsert-without-id": ('name = "x"\n[resources.books]\nfields = { title = "public" }\nupsert = { method = '
                          '"POST", path = "/sync", body = { books = [{ title = "{title}" }] } }\n',
                          "upsert names the objects it writes by id: put {id} in its body"),
    "surface-relative": ('name = "x"\n[surface]\npaths = ["debug"]\n', "surface path must start with '/'"),
    "surface-placeholder": ('name = "x"\n[surface]\npaths = ["/debug/{user}"]\n',
                            "surface path '/debug/{user}' names user; it may name {tenant_id} and {id}"),
}


@pytest.mark.parametrize("name", sorted(PROFILE_CASES))
def test_bad_profile_is_named(tmp_path: Path, name: str) -> None:
    text, expected = PROFILE_CASES[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_profile(str(path))
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_cli_exits_3_with_message_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(GOOD_TARGET + "[policy]\ndeny_status = [403]\n")
    completed = subprocess.run([sys.executable, "-m", "tenantcheck", "run", "--env", str(path)],
                               capture_output=True, text=True, timeout=60)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 3
    assert f"Error in {path}: [policy] unknown key 'deny_status'. Did you mean 'deny_statuses'?" in output
    assert "Traceback" not in output


def test_unknown_flaw_is_a_config_error() -> None:
    completed = subprocess.run([sys.executable, "-m", "tenantcheck", "run", "--flaw", "no-such-flaw"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 3
    assert "unknown reference flaw(s) no-such-flaw; valid flaws: list-unfiltered" in completed.stdout + completed.stderr
