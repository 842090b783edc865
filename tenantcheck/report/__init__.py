"""Reports: one model of the run (the JSON document), and views of it (HTML, JUnit).

``write_reports`` writes the JSON first: it is the source of truth, and ``tenantcheck report PATH.json``
can render the views again from it (also from an older report of the same schema major version).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tenantcheck.report.html import render_html
from tenantcheck.report.junit import render_junit

JSON_NAME = "isolation-report.json"
HTML_NAME = "index.html"
JUNIT_NAME = "junit.xml"
SCHEMA_PATH = Path(__file__).resolve().parent / "isolation-report.schema.json"


def write_reports(directory: Path, document: dict[str, Any]) -> dict[str, Path]:
    """Write every view of ``document`` into ``directory``; returns the paths by kind (json, html, junit)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / JSON_NAME
    with path.open("w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)  # streamed: a large run's text is never one string
    return {"json": path, **write_views(directory, document)}


def write_views(directory: Path, document: dict[str, Any]) -> dict[str, Path]:
    """Write ``index.html`` and ``junit.xml`` for ``document``; the JSON beside them stays untouched."""
    directory.mkdir(parents=True, exist_ok=True)
    html = directory / HTML_NAME
    with html.open("w", encoding="utf-8") as out:
        out.writelines(render_html(document))
    junit = directory / JUNIT_NAME
    with junit.open("wb") as out:
        out.writelines(render_junit(document))
    return {"html": html, "junit": junit}

