"""The new cases on shapes the shipped profiles do not have, made by editing the Ledger's profile:

- a resource without a read by id (like Pom Bolt's projects today): TX-08 judges the victim's object in
  its list, and still catches an overwriting import;
- a ``[surface]`` path naming the victim's object (``{id}``): the sweep requests it as a foreign tenant
  and anonymously, so a route that serves any note by id leaks its marker there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantcheck.bundled import environments_dir, profiles_dir

GETTER = 'get = { method = "GET", path = "/notes/{id}" }\n'


def variant(tmp_path: Path, name: str, edit: Any) -> Path:
    """The Ledger's environment with its profile edited by ``edit`` (text in, text out)."""
    profile = tmp_path / f"{name}.toml"
    profile.write_text(edit((profiles_dir() / "ledger.toml").read_text()))
    env = tmp_path / f"{name}-env.toml"
    env.write_text((environments_dir() / "local-ledger.toml").read_text().replace(
        'profile = "ledger"', f'profile = "{profile}"', 1))
    return env


def without_note_reads(text: str) -> str:
    assert GETTER in text
    return text.replace(GETTER, "").replace('primary = "invoices"', 'primary = "notes"', 1)


def with_note_surface(text: str) -> str:
    """{id} in a surface path is the victim's object of the main resource: notes here."""
    return text.replace('primary = "invoices"', 'primary = "notes"', 1) + \
        '\n[surface]\npaths = ["/notes/{id}"]\nbuiltin = false\n'


@pytest.mark.parametrize("flaw", [None, "import-overwrites", "import-owner-honored"])
def test_upsert_is_judged_through_the_list_without_a_read_by_id(flaw: str | None, tmp_path: Path,
                                                                catalog: Any) -> None:
    env = variant(tmp_path, "ledger-no-note-get", without_note_reads)
    run = catalog("--env", str(env), "-k", "TX-08", *(["--flaw", flaw] if flaw else []))
    assert run.document is not None, run.output
    checks = run.checks
    assert checks and all(check["case"] == "TX-08" for check in checks)
    if flaw is None:
        assert run.code == 0, run.output
        assert {check["verdict"] for check in checks} == {"passed"}
        assert all("data" in check["rests_on"] or "refusal" in check["rests_on"] for check in checks)
    else:
        assert run.code == 1, run.output
        expected = "overwrite" if flaw == "import-overwrites" else "plant"
        assert {check["check"].split(":")[1] for check in run.verdicts("failed")} == {expected}, run.output


@pytest.mark.parametrize("flaw", [None, "notes-unchecked"])
def test_a_surface_path_naming_the_victims_object(flaw: str | None, tmp_path: Path, catalog: Any) -> None:
    env = variant(tmp_path, "ledger-note-surface", with_note_surface)
    run = catalog("--env", str(env), "-k", "TX-09", *(["--flaw", flaw] if flaw else []))
    assert run.document is not None, run.output
    checks = {check["check"]: check for check in run.checks}
    assert set(checks) == {"TX-09[/notes/{id}]", "TX-09[writes]"}
    # Reading a note writes nothing (the writes check's own sweep may see the same leak, never a write).
    assert all(finding["oracle"] == "canary" for finding in run.document["findings"])
    check = checks["TX-09[/notes/{id}]"]
    if flaw is None:
        assert run.code == 0 and check["verdict"] == "passed", run.output
        assert "refusal" in check["rests_on"]  # 404 to the foreign tenant, 401 to anonymous
    else:
        assert run.code == 1 and check["verdict"] == "failed", run.output
        assert "TX-09[/notes/{id}]" in {finding["check"] for finding in run.document["findings"]}
