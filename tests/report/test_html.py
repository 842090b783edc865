"""index.html: the matrix, the catalog and every finding are on the page; nothing is loaded; evidence is escaped."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from tenantcheck.report.gating import Waiver, gate
from tenantcheck.report.html import render_html
from tests.report.helpers import check, document, exchange, finding
from tests.report.htmltree import Node, parse

CELL = {"failed": "leaked", "inconclusive": "inconclusive", "passed": "held", "not-applicable": "n.a."}


def page(run: dict[str, Any]) -> Node:
    return parse((run["dir"] / "index.html").read_text(encoding="utf-8"))


def matrix_cells(root: Node) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(operation, attacker, victim) -> (state, tooltip), read from the page's tables."""
    cells = {}
    for section in root.iter("section", class_="matrix"):
        operation = section.attrs["data-operation"]
        columns = [th.text for th in section.find("thead").iter("th", scope="col")]
        for row in section.find("tbody").iter("tr"):
            attacker = row.find("th").text
            for victim, cell in zip(columns, row.iter("td"), strict=True):
                cells[(operation, attacker, victim)] = (cell.attrs["data-state"], cell.attrs["title"])
    return cells


def test_matrix_shows_every_check_in_its_cell(findings_run):
    """Given a run with findings, every check with an operation sits in its attacker x victim cell,
    and the cell's state is the worst of its checks' verdicts."""
    doc = findings_run["document"]
    cells = matrix_cells(page(findings_run))
    expected: dict[tuple[str, str, str], set[str]] = {}
    for item in doc["checks"]:
        if item["operation"]:
            key = (item["operation"], item["attacker"] or "—", item["victim"] or "—")
            expected.setdefault(key, set()).add(item["verdict"])
            assert item["check"] in cells[key][1], key
    for key, verdicts in expected.items():
        worst = next(CELL[v] for v in ("failed", "inconclusive", "passed", "not-applicable") if v in verdicts)
        assert cells[key][0] == worst, key
    assert cells[("projects.update", "tenant-a", "tenant-b")][0] == "leaked"
    assert cells[("projects.delete", "tenant-a", "tenant-b")][0] == "held"
    assert cells[("projects.get", "tenant-a", "tenant-a")] == ("n.a.", "no check for this pair")


def test_every_finding_is_on_the_page_with_its_evidence(findings_run):
    doc = findings_run["document"]
    root = page(findings_run)
    cards = {node.attrs["id"]: node for node in root.iter("article", class_="finding")}
    assert len(cards) == len(doc["findings"]) > 0
    for item in doc["findings"]:
        card = cards[f"finding-{item['fingerprint']}"]
        assert card.attrs["data-case"] == item["case"]
        assert card.attrs["data-severity"] == item["severity"]
        text = card.text
        for expected in (item["title"], item["check"], item["oracle"], item["detail"], item["curl"]):
            assert expected in text
        first = item["evidence"][0]
        assert f"{first['method']} {first['url']}" in text
        assert str(first["status"]) in text


def test_banner_metadata_and_catalog(findings_run):
    doc = findings_run["document"]
    root = page(findings_run)
    banner = root.find("section", id="summary")
    assert "findings" in banner.attrs["class"].split() and "FINDINGS" in banner.text
    assert doc["verdict"]["reason"] in banner.text
    meta = root.find("dl", class_="meta").text
    for value in (doc["run_id"], doc["environment"], doc["profile"], doc["target_url"], doc["started"],
                  *doc["embedded_flaws"], *(tid for t in doc["tenants"] for tid in t["tenant_ids"])):
        assert value in meta
    rows = {row.find("td").text.strip(): row for row in root.find("section", class_="tablecard").iter("tr")
            if list(row.iter("td"))}
    assert set(rows) >= {case["id"] for case in doc["catalog"]}
    for case in doc["catalog"]:
        numbers = [td.text for td in rows[case["id"]].iter("td", class_="n")]
        assert numbers[:4] == [str(case["counts"].get(v, 0)) for v in ("passed", "failed", "inconclusive",
                                                                           "not-applicable")]


def test_filters_offer_the_cases_and_severities_of_the_findings(findings_run):
    doc = findings_run["document"]
    root = page(findings_run)
    options = [node.attrs["value"] for node in root.find("select", id="f-case").iter("option")]
    assert options == ["", *sorted({item["case"] for item in doc["findings"]})]
    boxes = {node.attrs["value"] for node in root.iter("input", class_="f-sev")}
    assert boxes == {item["severity"] for item in doc["findings"]}


def test_page_loads_nothing_from_anywhere(findings_run, isolated_run):
    for run in (findings_run, isolated_run):
        root = page(run)
        for node in root.iter():
            for name in ("src", "href", "action", "srcset", "data", "poster"):
                value = node.attrs.get(name)
                assert value is None or value.startswith("#"), (node.tag, name, value)
            assert node.tag not in ("link", "img", "iframe", "object", "embed", "base")
        assert "url(" not in "".join(node.text for node in root.iter("style"))


def hostile_page(payload: str) -> str:
    leak = finding(f'title "><b>bold</b>{payload}',
                   evidence=(exchange(response_body=payload, request_body=payload, url=f"http://127.0.0.1:9/{payload}",
                                      response_headers={"x-evil": payload}, error=payload),),
                   curl=f"curl '{payload}'")
    doc = document(check(verdict="failed", findings=(leak,)), check(attacker="tenant-a", victim="tenant-b"))
    doc["tenants"].append({"label": payload, "tenant_ids": [payload]})
    return "".join(render_html(doc))


def test_hostile_evidence_is_escaped():
    """Given evidence full of markup, the page shows it as text and gains no element from it."""
    hostile = '</pre><script src="https://evil.example/x.js"></script><img src=x onerror=alert(1)>{{ 7*7 }}'
    root = parse(hostile_page(hostile))
    plain = parse(hostile_page("harmless"))
    tags = Counter(node.tag for node in root.iter())
    assert tags == Counter(node.tag for node in plain.iter())  # the payload added no element
    assert [node.attrs for node in root.iter("script")] == [{}]  # only the page's own inline script
    assert not any("onerror" in node.attrs for node in root.iter())
    card = root.find("article", class_="finding")
    assert card.text.count(hostile) >= 4  # title, request line, bodies, curl: shown verbatim as text
    assert "49" not in card.text


def test_gate_status_is_shown_per_finding():
    new, waived = finding("a new leak"), finding("a waived leak", victim="tenant-c")
    doc = document(check(verdict="failed", findings=(new, waived)), check(attacker="tenant-a", victim="tenant-b"))
    baseline = document(check(verdict="failed", findings=(finding("a fixed leak", attacker="tenant-c"),)))
    waiver = Waiver(fingerprint=waived.fingerprint, reason="ticket SEC-1", owner="team-x", expires=date(2030, 1, 1))
    doc["gate"] = gate(doc, baseline=baseline, waivers=[waiver], today=date(2026, 1, 1)).to_dict()
    root = parse("".join(render_html(doc)))
    assert root.find("article", id=f"finding-{new.fingerprint}").attrs["data-gate"] == "new"
    waived_card = root.find("article", id=f"finding-{waived.fingerprint}")
    assert waived_card.attrs["data-gate"] == "waived" and "ticket SEC-1" in waived_card.text
    gate_box = root.find("section", class_="gate")
    assert "GATE FAIL" in gate_box.text and "1 new finding(s)" in gate_box.text
    assert "a fixed leak" in root.text
