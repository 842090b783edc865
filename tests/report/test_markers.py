"""Evidence a person can check: the leaked marker and whose it is, highlighted where it was seen."""

from __future__ import annotations

from typing import Any

from tenantcheck.report.html import highlight


def test_highlight_escapes_everything_but_its_own_marks() -> None:
    text = '<script>x</script> name tcm0123456789abcdef and again tcm0123456789abcdef'
    shown = str(highlight(text, "tcm0123456789abcdef"))
    assert shown.count("<mark>tcm0123456789abcdef</mark>") == 2
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert str(highlight("<b>", "<b>")) == "<mark>&lt;b&gt;</mark>"
    assert str(highlight("plain", None)) == "plain"


def test_a_canary_finding_names_the_marker_and_its_owner(catalog: Any, tmp_path: Any) -> None:
    run = catalog("--env", "local", "--flaw", "get-unchecked", "-k", "TC-02")
    assert run.document is not None, run.output
    markers = {tenant["label"]: set(tenant["markers"]) for tenant in run.document["tenants"]}
    assert all(len(found) == 3 for found in markers.values())
    canaries = [finding for finding in run.document["findings"] if finding["oracle"] == "canary"]
    assert canaries and all(finding["marker"] in markers[finding["marker_owner"]] for finding in canaries)
    assert all(finding["marker_owner"] == finding["victim"] for finding in canaries)
    page = next((tmp_path / "reports").glob("*/index.html")).read_text()
    assert all(f"<mark>{finding['marker']}</mark>" in page for finding in canaries)
