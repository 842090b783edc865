"""The storage checks as a user meets them: decided with an inspector, never passed without a working one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STORAGE = "storage"


def environment(tmp_path: Path, inspector: str) -> str:
    path = tmp_path / "env.toml"
    path.write_text(f'profile = "pom-bolt"\n[target]\nembedded = true\n{inspector}')
    return str(path)


def storage_checks(run: Any) -> list[dict[str, Any]]:
    return [check for check in (run.document or {}).get("checks", []) if STORAGE in check["check"]]


def test_an_inspector_that_cannot_open_makes_storage_checks_inconclusive(tmp_path: Path, catalog: Any) -> None:
    """Given an [inspector] pointing at a missing file, when TC-06 and TC-07 run, then every storage check is
    inconclusive with the reason and the run is not isolated (exit 2)."""
    env = environment(tmp_path, f'[inspector]\nkind = "sqlite"\nd1_path = "{tmp_path}/missing/d1.sqlite"\n')
    run = catalog("--env", env, "-k", "TC-06 or TC-07")
    checks = storage_checks(run)
    assert run.code == 2, run.output
    assert checks and {check["verdict"] for check in checks} == {"inconclusive"}
    assert all("could not be opened" in check["reason"] and "missing" in check["reason"] for check in checks)


def test_without_an_inspector_storage_checks_are_not_applicable(tmp_path: Path, catalog: Any) -> None:
    run = catalog("--env", environment(tmp_path, ""), "-k", "TC-07")
    checks = storage_checks(run)
    assert run.code == 0, run.output
    assert checks and {check["verdict"] for check in checks} == {"not-applicable"}
    assert any(check["verdict"] == "passed" for check in run.document["checks"])  # the API part still decides
