"""The production guard, through real runs against a target this test starts.

Given an environment with ``[safety] production = true`` and two pre-provisioned tenants, a run writes
nothing unless it passes ``--allow-production-writes`` and the environment lists dedicated test tenants;
the refusal names both; the checks that only read still run (the refused ones are not-applicable, never
passed), but with no data written only refused probes can pass, and the run is inconclusive. What
reached the target is counted in its access log (every tenant request writes one entry) and in storage.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

import httpx

from tests.reliability.helpers import Run, Target, run_tenantcheck

TENANTS = ("prod-test-a", "prod-test-b")
WRITES = {"create", "update", "delete", "deploy", "write"}
SUBSET = "TC-01 or TC-02 or TX-07"  # needs seeded data (TC-01, TC-02) and only reads (TX-07)

ENV = """\
description = "a production deployment (reliability test)"
profile = "pom-bolt"

[target]
base_url = "{url}"

[provisioning]
method = "static"

[[provisioning.tenants]]
id = "prod-test-a"
key = "${{TC_REL_KEY_A}}"

[[provisioning.tenants]]
id = "prod-test-b"
key = "${{TC_REL_KEY_B}}"

[safety]
production = true
{safety}
timeout = 5
"""


def production_run(tmp_path: Path, target: Target, safety: str, *args: str) -> Run:
    keys = {"TC_REL_KEY_A": target.create_tenant(TENANTS[0]), "TC_REL_KEY_B": target.create_tenant(TENANTS[1])}
    env = tmp_path / "prod.toml"
    env.write_text(ENV.format(url=target.base_url, safety=safety))
    return run_tenantcheck(tmp_path / "run", "--env", str(env), "-k", SUBSET, *args, env=keys,
                           secrets=target.secrets)


def writes_seen(target: Target) -> list[str]:
    return [f"{entry['action']} {entry['resource_type']}" for tenant in TENANTS for entry in target.access_log(tenant)
            if entry["action"] in WRITES]


def rows_on(target: Target) -> int:
    with sqlite3.connect(target.data_dir / "d1.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM projects").fetchone()[0])


def assert_refused(run: Run, target: Target) -> None:
    assert writes_seen(target) == [] and rows_on(target) == 0, "a write reached the production target"
    refusals = [check["reason"] for check in run.verdicts("inconclusive") + run.verdicts("not-applicable")
                if "production" in check["reason"]]
    assert refusals, run.describe()
    assert all("--allow-production-writes" in reason and "test_tenants" in reason for reason in refusals), refusals
    needing_writes = [check for check in run.checks if check["case"] in ("TC-01", "TC-02")]
    assert needing_writes and all(check["verdict"] == "not-applicable" for check in needing_writes), run.describe()
    probes = [check for check in run.checks if check["case"] == "TX-07"]
    assert probes, "read-only checks did not run"
    assert any(entry["action"] == "list" for entry in target.access_log(TENANTS[0]))  # they asked the target
    # No pass without evidence: a refused probe passes on its refusal; a probe the target answered could
    # only have shown a leak if the victim owned data, and a run that wrote nothing has none to show.
    passed = [check for check in probes if check["verdict"] == "passed"]
    assert passed and all("refusal" in check["rests_on"] for check in passed), run.describe()
    unbacked = [check for check in probes if check["verdict"] not in ("passed", "not-applicable")]
    assert unbacked and all(check["verdict"] == "inconclusive" and "owns nothing this read could reveal"
                            in check["reason"] for check in unbacked), run.describe()
    assert run.code == 2 and run.document["verdict"]["verdict"] == "inconclusive", run.describe()  # type: ignore[index]


def test_no_writes_without_the_flag(tmp_path: Path, target: Target) -> None:
    run = production_run(tmp_path, target, 'test_tenants = ["prod-test-a", "prod-test-b"]')
    assert_refused(run, target)


def test_no_writes_without_test_tenants(tmp_path: Path, target: Target) -> None:
    run = production_run(tmp_path, target, "test_tenants = []", "--allow-production-writes")
    assert_refused(run, target)


def test_read_only_production_names_both_ways_to_allow_writes(tmp_path: Path, target: Target) -> None:
    run = production_run(tmp_path, target, 'allow_writes = false\ntest_tenants = ["prod-test-a", "prod-test-b"]')
    assert_refused(run, target)


def test_writes_only_as_the_listed_test_tenants(tmp_path: Path, target: Target) -> None:
    run = production_run(tmp_path, target, 'test_tenants = ["someone-else"]', "--allow-production-writes")
    assert_refused(run, target)


def test_writes_with_the_flag_and_test_tenants_and_nothing_left(tmp_path: Path, target: Target) -> None:
    run = production_run(tmp_path, target, 'test_tenants = ["prod-test-a", "prod-test-b"]',
                         "--allow-production-writes")
    assert run.code == 0 and run.verdict == "isolated", run.describe()
    assert "create project" in writes_seen(target)
    assert rows_on(target) == 0  # every project the run made was removed; the tenants stay, as they came
    assert run.records() == []


def test_planted_markers_back_the_read_only_checks(tmp_path: Path, target: Target) -> None:
    """Given tenants whose pre-existing data carries a marker the environment names, a run that writes
    nothing can back its answered probes with that data: they pass, resting on it, and the run is isolated."""
    keys = {"TC_REL_KEY_A": target.create_tenant(TENANTS[0]), "TC_REL_KEY_B": target.create_tenant(TENANTS[1])}
    markers = {}
    for variable, key in keys.items():  # the operator's own data, made before the run
        markers[variable] = "tcm" + secrets.token_hex(8)
        made = httpx.post(f"{target.base_url}/api/projects", json={"name": f"planted {markers[variable]}"},
                          headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert made.status_code == 201, made.text
    text = ENV.format(url=target.base_url, safety='allow_writes = false')
    for variable, marker in markers.items():
        text = text.replace(f'key = "${{{variable}}}"', f'key = "${{{variable}}}"\nmarker = "{marker}"')
    env = tmp_path / "prod.toml"
    env.write_text(text)
    run = run_tenantcheck(tmp_path / "run", "--env", str(env), "-k", "TX-07", env=keys, secrets=target.secrets)
    # (path probes are not-applicable: the contract's paths do not name the tenant)
    probes = [check for check in run.checks if check["case"] == "TX-07" and "-path-" not in check["check"]
              and ":path-" not in check["check"]]
    assert probes and all(check["verdict"] == "passed" for check in probes), run.describe()
    assert any("planted data" in check["rests_on"].get("data", "") for check in probes), run.describe()
    assert run.code == 0 and run.verdict == "isolated", run.describe()
    assert writes_seen(target) == ["create project"] * 2 and rows_on(target) == 2  # the planted ones only
