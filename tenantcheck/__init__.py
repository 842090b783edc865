"""tenantcheck: a black-box tenant-isolation conformance harness for multi-tenant HTTP services.

PYTEST_DONT_REWRITE: `tenantcheck run` imports this package before pytest loads the plugin entry point,
so pytest must not try (and warn about failing) to rewrite its asserts.
"""

from __future__ import annotations

from functools import cache

__version__ = "0.3.0"  # the one place: pyproject.toml reads it (dynamic version)


@cache
def tool_version() -> str:
    """The installed distribution's version (``importlib.metadata``), else ``__version__`` (a bare checkout)."""
    from importlib import metadata

    try:
        return metadata.version("tenantcheck")
    except metadata.PackageNotFoundError:
        return __version__
