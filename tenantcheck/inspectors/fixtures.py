"""The ``inspector`` session fixture: the environment's storage inspector for the storage checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantcheck.inspectors.base import InspectorError, StorageInspector
from tenantcheck.inspectors.factory import build_inspector


@pytest.fixture(scope="session")
def inspector(pytestconfig: pytest.Config) -> Iterator[StorageInspector | None]:
    """Read-only access to the target's D1 and KV, or None when the environment has no ``[inspector]``
    (checks marked ``needs("inspector")`` are then not-applicable before they ask for it). An inspector
    that cannot be opened makes every storage check inconclusive with the reason: never passed."""
    from tenantcheck.plugin import ENV_KEY, RUN_KEY  # the plugin imports this module: import late

    env = pytestconfig.stash.get(ENV_KEY, None)
    if env is None or env.inspector is None:
        yield None
        return
    data_dir = pytestconfig.stash[RUN_KEY].get("data_dir")
    try:
        opened = build_inspector(env.inspector, data_dir=data_dir)
    except InspectorError as error:
        raise InspectorError(f"the {env.inspector.kind} storage inspector could not be opened: {error}") from None
    try:
        yield opened
    finally:
        opened.close()
