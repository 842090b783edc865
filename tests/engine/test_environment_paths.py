"""Environments: ``base_url = "${VAR}"`` resolved like a secret but kept as a plain value, ``--base-url``
overriding it, and relative paths taken from the environment file's own folder, not the working directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tenantcheck.bundled import bundled_dir, named_file
from tenantcheck.config.environment import load_environment, with_base_url
from tenantcheck.config.profile import load_profile
from tenantcheck.errors import ConfigError
from tenantcheck.reference import running_reference

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "tenantcheck"]
URL_ENV = '[target]\nbase_url = "${TC_TEST_URL}"\n[provisioning]\nmethod = "header"\n'


def tenantcheck(*args: str, cwd: Path, env: dict[str, str] | None = None,
                drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    variables = {key: value for key, value in os.environ.items() if key not in drop} | (env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=variables)


def lines(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in completed.stderr.splitlines() if line.strip()]


def test_base_url_from_a_variable_is_resolved_and_not_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_TEST_URL", "https://preview.example.test/")
    path = tmp_path / "env.toml"
    path.write_text(URL_ENV)
    env = load_environment(str(path))
    assert env.target.base_url == "https://preview.example.test"  # a plain string, shown in reports
    assert "https://preview.example.test" in repr(env)


def test_base_url_variable_not_set_names_file_key_and_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TC_TEST_URL", raising=False)
    path = tmp_path / "env.toml"
    path.write_text(URL_ENV)
    with pytest.raises(ConfigError) as error:
        load_environment(str(path))
    assert str(error.value) == f"Error in {path}: [target] base_url: environment variable TC_TEST_URL is not set"


def test_base_url_variable_must_still_be_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_TEST_URL", "preview.example.test")
    path = tmp_path / "env.toml"
    path.write_text(URL_ENV)
    with pytest.raises(ConfigError, match=r"\[target\] base_url: base_url must be an http\(s\) URL with a host "
                                          r"\(got 'preview.example.test'\)"):
        load_environment(str(path))


def test_preview_takes_its_url_from_the_variable_its_comment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "environments" / "preview.toml").read_text()
    assert "TENANTCHECK_PREVIEW_URL" in text.split("[target]")[0]  # the comment names it ...
    monkeypatch.setenv("TENANTCHECK_PREVIEW_URL", "https://qa-preview.example.test")
    monkeypatch.setenv("TENANTCHECK_ADMIN_TOKEN", "t")
    assert load_environment("preview").target.base_url == "https://qa-preview.example.test"  # ... and it is used


def test_run_with_the_url_variable_unset_exits_3_naming_it(tmp_path: Path) -> None:
    completed = tenantcheck("run", "--env", "preview", cwd=tmp_path, env={"TENANTCHECK_ADMIN_TOKEN": "t"},
                            drop=("TENANTCHECK_PREVIEW_URL",))
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert lines(completed) == [f"Exit: tenantcheck: Error in {bundled_dir('environments') / 'preview.toml'}: [target] "
                                "base_url: environment variable TENANTCHECK_PREVIEW_URL is not set"]
    assert list(tmp_path.iterdir()) == []


def test_with_base_url_replaces_a_url_and_checks_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_TEST_URL", "https://a.example.test")
    path = tmp_path / "env.toml"
    path.write_text(URL_ENV)
    env = load_environment(str(path))
    assert with_base_url(env, "http://127.0.0.1:8787/").target.base_url == "http://127.0.0.1:8787"
    with pytest.raises(ConfigError) as error:
        with_base_url(env, "ftp://x")
    assert str(error.value) == "--base-url: base_url must be an http(s) URL with a host (got 'ftp://x')"


@pytest.mark.parametrize(("args", "expected"), [
    (["--env", "local", "--base-url", "http://127.0.0.1:9"],
     "Exit: tenantcheck: --base-url http://127.0.0.1:9: the environment 'local' has an embedded target "
     "(embedded = true); --base-url replaces the base_url of an environment that has one"),
    (["--env", "env.toml", "--base-url", "127.0.0.1:9"],
     "Exit: tenantcheck: --base-url: base_url must be an http(s) URL with a host (got '127.0.0.1:9')"),
])
def test_bad_base_url_option_exits_3(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "env.toml").write_text('[target]\nbase_url = "http://127.0.0.1:9"\n[provisioning]\nmethod = "header"\n')
    completed = tenantcheck("run", *args, cwd=tmp_path)
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert lines(completed) == [expected]


def test_base_url_option_sends_the_run_to_another_target(tmp_path: Path) -> None:
    """Given an environment whose base_url is dead, ``--base-url`` points the run at a live target."""
    (tmp_path / "env.toml").write_text('[target]\nbase_url = "http://127.0.0.1:9"\n'
                                       '[provisioning]\nadmin_token = "${TC_TEST_ADMIN_TOKEN}"\n')
    with running_reference() as target:
        completed = tenantcheck("run", "--env", "env.toml", "--base-url", target.base_url, "-k", "TC-01", "-q",
                                "--run-id", "baseurl1", cwd=tmp_path, env={"TC_TEST_ADMIN_TOKEN": target.admin_token})
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "baseurl1" / "isolation-report.json").read_text())
    assert report["target_url"] == target.base_url
    assert report["verdict"]["verdict"] == "isolated"


def test_relative_profile_is_taken_from_the_environment_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "profiles").mkdir()
    shutil.copy(named_file("profiles", "pom-bolt"), tmp_path / "profiles" / "mine.toml")
    (tmp_path / "environments").mkdir()
    path = tmp_path / "environments" / "env.toml"
    path.write_text('profile = "../profiles/mine.toml"\n[target]\nembedded = true\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = load_environment("../environments/env.toml")
    assert Path(env.profile).resolve() == (tmp_path / "profiles" / "mine.toml").resolve()
    assert load_profile(env.profile).name == "pom-bolt"
    assert env.folder == (tmp_path / "environments").resolve()
    assert "folder" not in env.model_dump() and "_folder" not in env.model_dump()  # not a key of the file

    path.write_text('profile = "pom-bolt-header"\n[target]\nembedded = true\n')  # a bare name: looked up as ever
    env = load_environment(str(path))
    assert env.profile == "pom-bolt-header"
    assert load_profile(env.profile).name == "pom-bolt-header"


def test_inspector_paths_are_taken_from_the_environment_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "envs"
    folder.mkdir()
    path = folder / "env.toml"
    path.write_text('[target]\nembedded = true\n[inspector]\nkind = "sqlite"\nd1_path = "state/d1.sqlite"\n'
                    f'kv_path = "{tmp_path}/kv.sqlite"\n')
    monkeypatch.chdir(tmp_path)
    inspector = load_environment("envs/env.toml").inspector
    assert inspector is not None
    assert inspector.d1_path == str(folder.resolve() / "state" / "d1.sqlite")
    assert inspector.kv_path == f"{tmp_path}/kv.sqlite"  # absolute: as given

    path.write_text('[target]\nembedded = true\n[inspector]\nkind = "wrangler"\ndatabase = "db"\n'
                    'project_dir = "../worker"\npersist_to = "../worker/.wrangler/x"\nwrangler = "wrangler"\n')
    inspector = load_environment("envs/env.toml").inspector
    assert inspector is not None
    assert (inspector.project_dir, inspector.persist_to) == (str(folder.resolve() / "../worker"),
                                                             str(folder.resolve() / "../worker/.wrangler/x"))
    assert inspector.wrangler == "wrangler"  # a name on PATH, not a path


def test_workers_local_points_at_the_repository_worker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TENANTCHECK_WORKERS_ADMIN_TOKEN", "t")
    monkeypatch.chdir(tmp_path)  # from any folder
    inspector = load_environment(str(ROOT / "environments" / "workers-local.toml")).inspector
    assert inspector is not None and inspector.project_dir is not None and inspector.persist_to is not None
    assert (Path(inspector.project_dir) / "wrangler.toml").resolve() == ROOT / "targets" / "workers" / "wrangler.toml"
    assert Path(inspector.persist_to).resolve() == ROOT / "targets" / "workers" / ".wrangler" / "tenantcheck"
