"""Gating: only findings outside the baseline and without a live waiver fail; expiry is a deadline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tenantcheck.errors import ConfigError
from tenantcheck.report.gating import Waiver, gate, load_report, load_waivers
from tests.report.helpers import check, document, finding

TODAY = date(2026, 6, 15)
OLD = finding("tenant-b read a project of tenant-a")
NEW = finding("tenant-b changed a project of tenant-a", operation="projects.update")
GONE = finding("tenant-b deleted a project of tenant-a", operation="projects.delete")


def run_with(*found, inconclusive: bool = False):
    results = [check(verdict="failed", findings=(item,), operation=item.operation) for item in found]
    results.append(check(attacker="tenant-a", victim="tenant-b"))
    if inconclusive:
        results.append(check(verdict="inconclusive", reason="target timed out", variant="slow"))
    return document(*results)


def waiver(item, expires: date = date(2026, 12, 31)) -> Waiver:
    return Waiver(fingerprint=item.fingerprint, reason="fix in SEC-42", owner="team-api", expires=expires)


def test_without_baseline_or_waivers_the_gate_is_the_verdict():
    assert gate(run_with(), baseline=None, waivers=[], today=TODAY).exit_code == 0
    result = gate(run_with(OLD), baseline=None, waivers=[], today=TODAY)
    assert (result.exit_code, result.outcome, result.new) == (1, "fail", (OLD.fingerprint,))
    result = gate(run_with(inconclusive=True), baseline=None, waivers=[], today=TODAY)
    assert (result.exit_code, result.outcome) == (2, "inconclusive")
    assert "target timed out" not in result.reason and "could not be decided" in result.reason


def test_only_findings_missing_from_the_baseline_fail_and_fixed_ones_are_listed():
    baseline = run_with(OLD, GONE)
    result = gate(run_with(OLD, NEW), baseline=baseline, waivers=[], today=TODAY)
    assert result.exit_code == 1
    assert result.new == (NEW.fingerprint,)
    assert result.baselined == (OLD.fingerprint,)
    assert [item["fingerprint"] for item in result.fixed] == [GONE.fingerprint]
    assert result.fixed[0]["title"] == GONE.title
    assert result.reason == "1 new finding(s) fail the gate"


def test_known_findings_alone_pass_the_gate():
    result = gate(run_with(OLD), baseline=run_with(OLD, GONE), waivers=[], today=TODAY)
    assert (result.exit_code, result.outcome, result.new) == (0, "pass", ())
    assert result.to_dict()["baseline"] == {"run_id": "0badcafe", "finished": "2026-01-02T03:04:09+00:00",
                                            "findings": 2}


def test_inconclusive_still_gives_2_when_nothing_fails():
    result = gate(run_with(OLD, inconclusive=True), baseline=run_with(OLD), waivers=[], today=TODAY)
    assert (result.exit_code, result.outcome) == (2, "inconclusive")


def test_a_live_waiver_accepts_its_finding_through_the_expiry_day():
    on_last_day = gate(run_with(NEW), baseline=None, waivers=[waiver(NEW, expires=TODAY)], today=TODAY)
    assert (on_last_day.exit_code, on_last_day.new) == (0, ())
    assert [item.fingerprint for item in on_last_day.waived] == [NEW.fingerprint]


def test_an_expired_waiver_fails_even_when_the_baseline_holds_the_finding():
    day_after = date(2026, 6, 16)
    for baseline in (None, run_with(NEW)):
        result = gate(run_with(NEW), baseline=baseline, waivers=[waiver(NEW, expires=TODAY)], today=day_after)
        assert (result.exit_code, result.outcome) == (1, "fail")
        assert [item.fingerprint for item in result.expired] == [NEW.fingerprint]
        assert result.baselined == () and result.waived == ()
        assert "expired waiver" in result.reason


def test_waivers_without_a_finding_are_unused_and_do_not_fail():
    result = gate(run_with(), baseline=None, waivers=[waiver(OLD), waiver(NEW, expires=date(2020, 1, 1))],
                  today=TODAY)
    assert result.exit_code == 0
    assert {item.fingerprint for item in result.unused_waivers} == {OLD.fingerprint, NEW.fingerprint}
    assert result.expired == ()


def test_a_failed_check_without_a_finding_always_fails():
    doc = run_with(OLD)
    doc["checks"].append(dict(doc["checks"][0], check="TC-02[odd]", findings=[]))
    result = gate(doc, baseline=run_with(OLD), waivers=[], today=TODAY)
    assert result.exit_code == 1 and "without a finding" in result.reason


def test_gate_against_a_real_report_as_its_own_baseline(findings_run):
    doc = findings_run["document"]
    assert findings_run["code"] == 1
    result = gate(doc, baseline=doc, waivers=[], today=TODAY)
    assert result.exit_code == 0 and len(result.baselined) == len(doc["findings"]) > 0
    assert gate(doc, baseline=None, waivers=[], today=TODAY).exit_code == 1


# --------------------------------------------------------------------------- waivers.toml
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.toml"
    path.write_text(text)
    return path


def test_load_waivers_reads_dates_and_fields(tmp_path):
    path = write(tmp_path, f'''
[[waiver]]
fingerprint = "{OLD.fingerprint}"
reason = "fix in SEC-42"
owner = "team-api"
expires = 2026-12-31
''')
    assert load_waivers(path) == [waiver(OLD)]
    assert load_waivers(write(tmp_path, "")) == []


@pytest.mark.parametrize(("body", "message"), [
    ('fingerprint = "{fp}"\nreason = "r"\nowner = "o"\nexpires = "someday"', "[waiver[0]] expires"),
    ('fingerprint = "{fp}"\nreason = "r"\nowner = "o"\nexpiry = 2026-01-01',
     "[waiver[0]] unknown key 'expiry'. Did you mean 'expires'?"),
    ('fingerprint = "not-a-fingerprint"\nreason = "r"\nowner = "o"\nexpires = 2026-01-01', "[waiver[0]] fingerprint"),
    ('fingerprint = "{fp}"\nowner = "o"\nexpires = 2026-01-01', "[waiver[0]] reason: required key is missing"),
    ('fingerprint = "{fp}"\nreason = ""\nowner = "o"\nexpires = 2026-01-01', "[waiver[0]] reason"),
], ids=["bad-date", "misspelt-key", "bad-fingerprint", "missing-reason", "empty-reason"])
def test_bad_waivers_name_the_file_and_key(tmp_path, body, message):
    path = write(tmp_path, "[[waiver]]\n" + body.replace("{fp}", OLD.fingerprint) + "\n")
    with pytest.raises(ConfigError) as error:
        load_waivers(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_finding_waived_twice_is_an_error(tmp_path):
    entry = f'[[waiver]]\nfingerprint = "{OLD.fingerprint}"\nreason = "r"\nowner = "o"\nexpires = 2026-01-01\n'
    with pytest.raises(ConfigError, match="waived twice"):
        load_waivers(write(tmp_path, entry + entry))


def test_missing_or_broken_waivers_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_waivers(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_waivers(write(tmp_path, "[[waiver]\n"))


# --------------------------------------------------------------------------- baseline reports
def test_load_report_accepts_any_minor_of_major_1(tmp_path):
    doc = run_with(OLD) | {"schema_version": "1.7", "added_later": True}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    assert load_report(path)["findings"][0]["fingerprint"] == OLD.fingerprint


@pytest.mark.parametrize(("content", "message"), [
    (json.dumps({"schema_version": "2.0", "findings": [], "checks": []}), "schema_version 2.0 is not supported"),
    (json.dumps({"findings": []}), "no schema_version"),
    (json.dumps([1, 2]), "expected a JSON object"),
    ("{not json", "not valid JSON"),
    (json.dumps({"schema_version": "1.0", "findings": [{"title": "x"}], "checks": []}), "fingerprint"),
], ids=["major-2", "no-version", "not-object", "not-json", "no-fingerprint"])
def test_load_report_refuses_what_it_cannot_read(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        load_report(path)
    assert str(path) in str(error.value) and message in str(error.value)
