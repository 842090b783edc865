"""The layout the design card asks for: the plugin only wires options and hooks, fixtures live in the
top-level ``fixtures/``, and no two modules of the harness import each other, directly or around a circle."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Where each shipped package lives in the repository (pyproject's package-dir, else under tenantcheck/).
MAPPED = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]


def module_files() -> dict[str, Path]:
    """Every module of the shipped distribution, by its installed name."""
    found: dict[str, Path] = {}
    roots = {"tenantcheck": ROOT / "tenantcheck", **{name: ROOT / folder for name, folder in MAPPED.items()}}
    for package, folder in roots.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found.setdefault(name, path)
    return found


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The harness modules a module imports, at load time or late (inside a function: a late import
    that dodges a circle is still one); not those only type checkers see (``if TYPE_CHECKING:``)."""
    found: set[str] = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            # importing a.b.c loads a and a.b first
            parts = name.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & modules
    return found


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (inner for branch in node.orelse for inner in (branch, *runtime_nodes(branch)))
            continue
        yield node
        yield from runtime_nodes(node)


def test_no_import_circles() -> None:
    files = module_files()
    # A package is loaded before its submodules whatever they import, so a submodule naming its own
    # package (``from tenantcheck.plugin.stash import ...`` inside tenantcheck.plugin) is no edge.
    graph = {name: {other for other in imports_of(path, set(files)) if not name.startswith(other + ".")} - {name}
             for name, path in files.items()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, "import circles: " + "; ".join(" -> ".join(circle) for circle in circles)


def test_the_plugin_defines_no_fixtures() -> None:
    """Fixtures live in fixtures/ (what the suites use); the plugin wires options and hooks."""
    for path in (ROOT / "tenantcheck" / "plugin").glob("*.py"):
        assert "@pytest.fixture" not in path.read_text(), f"{path.name} defines a fixture: move it to fixtures/"


@pytest.mark.parametrize("folder", ["suites", "fixtures", "profiles", "environments"])
def test_top_level_folders_ship_in_the_wheel(folder: str) -> None:
    assert MAPPED[f"tenantcheck.{folder}"] == folder
    assert (ROOT / folder / "__init__.py").is_file()


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {name for name, path in module_files().items() if path.name == "__init__.py"}
    assert on_disk == listed
