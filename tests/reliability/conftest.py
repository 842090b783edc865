"""Fixtures of the reliability tests; the tools themselves are in ``helpers.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.helpers import Target, serve


@pytest.fixture
def target() -> Iterator[Target]:
    """A correct reference target (token identity, strict) in this process, for one test."""
    with serve() as running:
        yield running
