"""The distribution carries everything: built as a user's CI would (sdist, then the wheel from it), installed
into a fresh venv in an empty folder, it runs the catalog against the embedded target there.

This is exactly the job in docs/ci.md: install, ``tenantcheck init``, ``tenantcheck run``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from the sdist of this checkout; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], check=True,
                   capture_output=True, timeout=600)
    wheels = list(dist.glob("tenantcheck-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("tenantcheck-*.tar.gz")), sorted(p.name for p in dist.iterdir())
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheels[0])], check=True,
                   capture_output=True, timeout=600)
    return bin_dir


def in_empty_folder(bin_dir: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    folder.mkdir(exist_ok=True)
    environ = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    return subprocess.run(list(args), cwd=folder, capture_output=True, text=True, timeout=600, env=environ)


def test_the_installed_copy_is_used(installed: Path, tmp_path: Path) -> None:
    done = in_empty_folder(installed, tmp_path, "python", "-c",
                           "import tenantcheck.suites, tenantcheck.fixtures, tenantcheck.plugin; "
                           "print(tenantcheck.suites.__file__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(installed.parent)), done.stdout


def test_the_wheel_runs_the_catalog_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "product"
    init = in_empty_folder(installed, project, "tenantcheck", "init", "--env", "local")
    assert init.returncode == 0, init.stderr
    assert (project / "environments" / "local.toml").is_file()
    run = in_empty_folder(installed, project, "tenantcheck", "run", "--env", "local", "-q", "--run-id", "whl00001")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    document = json.loads((project / "reports" / "whl00001" / "isolation-report.json").read_text())
    assert document["verdict"]["verdict"] == "isolated"
    assert sum(1 for check in document["checks"] if check["verdict"] == "passed") > 100


@pytest.mark.parametrize("command", [["catalog"], ["run", "--help"], ["seed", "--help"], ["verify", "--help"]])
def test_every_command_works_from_the_wheel(installed: Path, tmp_path: Path, command: list[str]) -> None:
    done = in_empty_folder(installed, tmp_path, "tenantcheck", *command)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "TC-01" in done.stdout or "--env" in done.stdout
