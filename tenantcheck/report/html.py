"""``index.html``: the report a person opens, rendered from the JSON document with one jinja2 template.

The page must open from disk, offline, years later (a CI artifact), so it carries its CSS and a little
vanilla JS inline and loads nothing. Evidence is whatever the target answered, i.e. hostile input: the
environment autoescapes everything and the template never marks data as safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
from markupsafe import Markup, escape

from tenantcheck.catalog import SEVERITY_ORDER
from tenantcheck.report import view

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("tenantcheck.report", "templates"),
    autoescape=True,  # always, whatever the template's file name: evidence is untrusted
    undefined=jinja2.StrictUndefined,  # a typo in the template fails the tests instead of printing nothing
    trim_blocks=True,
    lstrip_blocks=True,
)


def highlight(text: str, marker: str | None) -> Markup:
    """``text`` escaped, with every occurrence of ``marker`` (itself escaped) in a ``<mark>``: the one piece
    of markup the page adds to evidence."""
    escaped = escape(text)
    if not marker:
        return escaped
    return Markup("<mark>{}</mark>").format(marker).join(escaped.split(escape(marker)))


_ENVIRONMENT.filters["highlight"] = highlight


def render_html(document: dict[str, Any]) -> Iterator[str]:
    """The page for ``document`` (any schema 1.x report), in pieces (a large run's page is never one string)."""
    findings = view.finding_views(document)
    gate = document.get("gate") or None
    context = {
        "doc": document,
        "verdict": document.get("verdict") or {},
        "gate": gate,
        "matrices": view.matrices(document),
        "unplaced": view.unplaced_checks(document),
        "undecided": view.undecided_checks(document),
        "catalog": view.catalog_rows(document),
        "findings": findings,
        "problems": document.get("problems", []),
        "finding_cases": sorted({str(item.data.get("case")) for item in findings}),
        "severities": [s for s in SEVERITY_ORDER if any(item.data.get("severity") == s for item in findings)],
        "gate_statuses": sorted({item.gate_status for item in findings if item.gate_status}),
        "severity_counts": view.severity_counts(document),
        "duration": view.duration(document),
        "tenants": document.get("tenants", []),
        "stats": document.get("stats") or {},
        "no_party": view.NO_PARTY,
        "tool_version": view.tool_version(document),
    }
    return _ENVIRONMENT.get_template("index.html.j2").generate(context)
