"""Where the shipped suites, fixtures, profiles and environment templates are.

The repository keeps them at its top level (``suites/``, ``fixtures/``, ``profiles/``, ``environments/``);
the wheel carries them as ``tenantcheck.suites`` and so on (``[tool.setuptools.package-dir]`` in
pyproject.toml), and an editable install maps those names back to the top-level folders. So one lookup
through the import system finds them in a checkout and in any installed copy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tenantcheck.errors import ConfigError


def bundled_dir(name: str) -> Path:
    """The folder of the shipped package ``tenantcheck.<name>`` (``suites``, ``profiles``, ...)."""
    try:
        folder = resources.files(f"tenantcheck.{name}")
    except ModuleNotFoundError:
        raise ConfigError(f"tenantcheck's {name} are missing from this installation (no tenantcheck.{name}); "
                          "reinstall it: pip install --force-reinstall tenantcheck") from None
    return Path(str(folder))


def suites_dir() -> Path:
    return bundled_dir("suites")


def profiles_dir() -> Path:
    return bundled_dir("profiles")


def environments_dir() -> Path:
    return bundled_dir("environments")


def named_file(kind: str, name: str) -> Path:
    """``NAME`` of a kind (``environments``, ``profiles``): the current repository's own
    ``./<kind>/NAME.toml`` (what ``tenantcheck init`` writes) wins over the shipped one of that name."""
    own = Path(kind) / f"{name}.toml"
    return own if own.is_file() else bundled_dir(kind) / f"{name}.toml"


def known_names(kind: str) -> list[str]:
    """Names a bare ``--env`` or ``profile`` may use: the repository's own and the shipped ones."""
    folders = [Path(kind), bundled_dir(kind)]
    return sorted({path.stem for folder in folders if folder.is_dir() for path in folder.glob("*.toml")})
