"""Command-line options of a run: registers ``tenantcheck.config.options.OPTIONS`` with pytest
(``tenantcheck run --help`` lists the same options first).

``--base-url`` is also the option of the pytest-base-url plugin (pytest-playwright, pytest-selenium):
argparse refuses an option string registered twice, which would break every pytest run where both are
installed. So where that plugin is installed it owns ``--base-url`` and tenantcheck reads its value
(``load_configuration``): the same meaning, the URL of the application under test. (The plugin's
``__init__`` must not import this module: pytest loads it as a plugin and would warn it cannot rewrite it.)
"""

from __future__ import annotations

import importlib.util

import pytest

from tenantcheck.config.options import GROUP, OPTIONS

BASE_URL = "--base-url"


def shared_base_url() -> bool:
    """pytest-base-url is installed (and registers ``--base-url`` itself)."""
    return importlib.util.find_spec("pytest_base_url") is not None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(*GROUP)
    shared = shared_base_url()
    for option in OPTIONS:
        if option.flag == BASE_URL and shared:
            continue
        group.addoption(option.flag, **option.kwargs())

