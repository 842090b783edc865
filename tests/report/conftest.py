"""Real reports for the report tests: the catalog runs once with flaws and once without (about 3 s each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_catalog

FLAWS = ("list-unfiltered", "update-unchecked", "denials-not-logged")


@pytest.fixture(scope="session")
def findings_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Given the reference target with three flaws, the catalog's report directory and JSON document."""
    return _run(tmp_path_factory.mktemp("findings"), *[arg for flaw in FLAWS for arg in ("--flaw", flaw)])


@pytest.fixture(scope="session")
def isolated_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Given the reference target without flaws, the catalog's report directory and JSON document."""
    return _run(tmp_path_factory.mktemp("isolated"))


def _run(base: Path, *args: str) -> dict[str, Any]:
    result = run_catalog(base, *args)
    assert result.document is not None, result.output[-3000:]
    directory = base / result.document["run_id"]
    return {"code": result.code, "dir": directory, "document": result.document, "output": result.output}
