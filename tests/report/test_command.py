"""``tenantcheck report PATH.json`` and ``write_reports``: views rendered again from a JSON report."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from tenantcheck.report import write_reports
from tenantcheck.report.command import report_main
from tests.report.helpers import check, document, finding
from tests.report.htmltree import parse

OLD_REPORT = Path(__file__).parent / "data" / "report-1.0.json"


def test_catalog_run_writes_all_three_views(findings_run):
    directory = findings_run["dir"]
    assert {path.name for path in directory.iterdir()} >= {"isolation-report.json", "index.html", "junit.xml"}


def test_write_reports_returns_paths_by_kind(tmp_path):
    doc = document(check(verdict="failed", findings=(finding(),)))
    paths = write_reports(tmp_path / "run", doc)
    assert {kind: path.name for kind, path in paths.items()} == {
        "json": "isolation-report.json", "html": "index.html", "junit": "junit.xml"}
    assert json.loads(paths["json"].read_text()) == doc
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths.values())


def test_report_renders_an_older_same_major_report(tmp_path, capsys):
    """Given a 1.0 report written by an earlier tenantcheck, when re-rendered, then the views appear beside it
    and the JSON stays as it was."""
    path = tmp_path / "isolation-report.json"
    shutil.copy(OLD_REPORT, path)
    before = path.read_bytes()
    old = json.loads(before)

    assert report_main(str(path)) == 0

    assert capsys.readouterr().out.strip() == str(tmp_path / "index.html")
    assert path.read_bytes() == before
    root = parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    cards = list(root.iter("article", class_="finding"))
    assert [card.attrs["id"] for card in cards] == [f"finding-{item['fingerprint']}" for item in old["findings"]]
    assert old["findings"][0]["title"] in cards[0].text
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert len(junit.findall("testsuite/testcase")) == len(old["checks"])


def test_report_renders_a_newer_minor_with_unknown_fields(tmp_path):
    doc = json.loads(OLD_REPORT.read_text()) | {"schema_version": "1.4", "added_in_1_4": {"x": 1}}
    path = tmp_path / "isolation-report.json"
    path.write_text(json.dumps(doc))
    assert report_main(str(path)) == 0
    assert (tmp_path / "index.html").is_file()


def test_report_refuses_another_major_with_exit_3(tmp_path, capsys):
    path = tmp_path / "isolation-report.json"
    path.write_text(json.dumps(json.loads(OLD_REPORT.read_text()) | {"schema_version": "2.0"}))
    assert report_main(str(path)) == 3
    error = capsys.readouterr().err
    assert error.startswith("tenantcheck: ") and str(path) in error and "2.0" in error
    assert not (tmp_path / "index.html").exists()


def test_report_on_a_missing_or_malformed_file_exits_3(tmp_path, capsys):
    assert report_main(str(tmp_path / "nope.json")) == 3
    assert "no such file" in capsys.readouterr().err
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"schema_version": "1.0", "findings": [], "checks": [42]}))
    assert report_main(str(path)) == 3
    assert "not a well-formed tenantcheck report" in capsys.readouterr().err
