"""Reports: one model of the run (the JSON document), and views of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_reports(directory: Path, document: dict[str, Any]) -> dict[str, Path]:
    """Write every view of ``document`` into ``directory``; returns the paths by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "isolation-report.json"
    path.write_text(json.dumps(document, indent=2))
    return {"json": path}
