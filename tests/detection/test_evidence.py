"""No pass without evidence: a check passes only on a refusal the policy accepts or on victim data that
its attempt could have revealed or changed (``tenantcheck.findings.Evidence``).

Given a target on which no tenant can create anything, when the whole catalog runs, then only checks
whose attempt was refused pass, and the run is never isolated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantcheck.bundled import environments_dir, profiles_dir

from .leaky_target import serve_leaky


def environment_with_creates_failing(folder: Path) -> Path:
    """The embedded target with a profile whose project create goes to a path the target does not have."""
    profile = (profiles_dir() / "pom-bolt.toml").read_text()
    broken = profile.replace('create = { method = "POST", path = "/api/projects"',
                             'create = { method = "POST", path = "/api/no-such-create"', 1)
    assert broken != profile
    (folder / "creates-fail.toml").write_text(broken)
    env = (environments_dir() / "local.toml").read_text().replace(
        'profile = "pom-bolt"', f'profile = "{folder / "creates-fail.toml"}"', 1)
    (folder / "env.toml").write_text(env)
    return folder / "env.toml"


def rests_on(check: dict[str, Any]) -> set[str]:
    return set(check.get("rests_on") or {})


def test_every_passed_check_states_its_evidence(catalog: Any) -> None:
    run = catalog("--env", "local")
    assert run.code == 0, run.output
    passed = run.verdicts("passed")
    assert passed and all(rests_on(check) & {"refusal", "data"} for check in passed)


def test_nothing_seeded_means_only_refusals_pass(catalog: Any, tmp_path: Path) -> None:
    run = catalog("--env", str(environment_with_creates_failing(tmp_path)))
    assert run.document is not None, run.output
    assert run.code == 2 and run.document["verdict"]["verdict"] == "inconclusive", run.output
    passed = run.verdicts("passed")
    on_data = [check["check"] for check in passed if rests_on(check) != {"refusal"}]
    assert on_data == [], on_data
    assert passed, "refused attempts (no identity on a strict target, invalid tenant ids) are evidence of their own"
    probes = [check for check in run.checks if check["case"] == "TX-07" and check["verdict"] == "inconclusive"]
    assert probes and all("owns nothing this read could reveal" in check["reason"] for check in probes)



def test_a_target_that_serves_everything_to_everyone_passes_nothing(catalog: Any, tmp_path: Path) -> None:
    with serve_leaky() as url:
        env = tmp_path / "leaky.toml"
        env.write_text(f'profile = "pom-bolt"\n[target]\nbase_url = "{url}"\n[provisioning]\n'
                       'method = "admin-api"\nadmin_token = "${TC_LEAKY_ADMIN}"\n')
        run = catalog("--env", str(env), env={"TC_LEAKY_ADMIN": "any-token"})
    assert run.document is not None, run.output
    assert run.code == 1, run.output
    assert run.verdicts("passed") == [], [check["check"] for check in run.verdicts("passed")]
