"""The JSON report is described by its schema: real reports validate, and the schema tracks the builder."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema
import pytest

from tenantcheck import tool_version
from tenantcheck.report import SCHEMA_PATH
from tenantcheck.report.gating import Waiver, gate
from tests.report.helpers import check, document, finding


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors(validator: jsonschema.Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(doc)]


def test_real_report_with_findings_validates(validator, findings_run):
    doc = findings_run["document"]
    assert doc["findings"] and doc["verdict"]["verdict"] == "findings"
    assert doc["schema_version"] == "1.2"
    assert doc["problems"] and {p["case"] for p in doc["problems"]} <= {f["case"] for f in doc["findings"]} | {
        "TC-01", "TC-02", "TC-03", "TC-04", "TC-05", "TX-03", "TX-04"}
    assert doc["tool"] == {"name": "tenantcheck", "version": tool_version()}
    assert errors(validator, doc) == []


def test_tool_is_described_and_optional(validator):
    """Given the tool field, the schema checks its shape; a 1.0 report without it still validates."""
    doc = document(check())
    assert doc["tool"] == {"name": "tenantcheck", "version": tool_version()}
    assert errors(validator, {key: value for key, value in doc.items() if key != "tool"}) == []
    assert errors(validator, doc | {"tool": {"name": "other", "version": "1"}}) != []
    assert errors(validator, doc | {"tool": {"name": "tenantcheck"}}) != []


def test_real_isolated_report_validates(validator, isolated_run):
    doc = isolated_run["document"]
    assert doc["verdict"]["verdict"] == "isolated"
    assert errors(validator, doc) == []


def test_report_with_gate_section_validates(validator):
    leak = finding()
    doc = document(check(verdict="failed", findings=(leak,)), check(victim="tenant-b", attacker="tenant-a"))
    waiver = Waiver(fingerprint=leak.fingerprint, reason="known", owner="qa", expires=date(2026, 1, 1))
    baseline = document(check(verdict="failed", findings=(finding("an older leak"),)))
    doc["gate"] = gate(doc, baseline=baseline, waivers=[waiver], today=date(2026, 6, 1)).to_dict()
    assert doc["gate"]["expired"] and doc["gate"]["fixed"]
    assert errors(validator, doc) == []


OPTIONAL_SINCE_1_0 = {"tool", "problems"}  # written by every report, optional for readers of older 1.x reports


def test_schema_is_exact_about_the_builder(validator):
    """Given the schema's top level, it names exactly what build_document writes, plus the optional gate
    and restore sections; what a minor version added is written but not required."""
    schema = validator.schema
    built = document(check())
    assert set(schema["properties"]) == set(built) | {"gate", "restore", "selection"}
    assert set(schema["required"]) == set(built) - OPTIONAL_SINCE_1_0
    assert set(built) >= OPTIONAL_SINCE_1_0
    assert errors(validator, built | {"surprise": 1}) != []


def test_schema_rejects_a_wrong_verdict_and_severity(validator):
    doc = document(check(verdict="failed", findings=(finding(),)))
    doc["checks"][0]["verdict"] = "ok"
    doc["findings"][0]["severity"] = "catastrophic"
    paths = {tuple(error.absolute_path) for error in validator.iter_errors(doc)}
    assert ("checks", 0, "verdict") in paths and ("findings", 0, "severity") in paths


def test_every_schema_field_is_described(validator):
    """Given every property of the schema, it has a description, or refers to a definition that has one."""
    schema = validator.schema
    missing: list[str] = []

    def described(sub: dict[str, Any]) -> bool:
        if "description" in sub:
            return True
        ref = sub.get("$ref", "")
        return ref.startswith("#/$defs/") and "description" in schema["$defs"][ref.removeprefix("#/$defs/")]

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not described(sub):
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(schema, "$")
    assert missing == []
