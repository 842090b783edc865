"""The typed stash keys a run keeps on pytest's config: in one module, so the plugin's modules and the
fixtures share them without importing each other."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import pytest

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import Profile
from tenantcheck.engine.checks import Subject
from tenantcheck.engine.world import World
from tenantcheck.report.gating import Waiver
from tenantcheck.restore.manifest import Manifest
from tenantcheck.run.fanout import FanOut
from tenantcheck.run.memory import Trimmer
from tenantcheck.run.recording import CheckContext, Recorder

ENV_KEY = pytest.StashKey[Environment]()
PROFILE_KEY = pytest.StashKey[Profile]()
RUN_KEY = pytest.StashKey[dict[str, Any]]()
RECORDER_KEY = pytest.StashKey[Recorder]()
CONTEXT_KEY = pytest.StashKey[CheckContext]()
SUBJECT_KEY = pytest.StashKey[Subject]()
WORLD_KEY = pytest.StashKey[World]()
BASELINE_KEY = pytest.StashKey[dict[str, Any] | None]()
WAIVERS_KEY = pytest.StashKey[list[Waiver]]()
MANIFEST_KEY = pytest.StashKey[Manifest | None]()
TENANTS_SENT_KEY = pytest.StashKey[int]()
FANOUT_KEY = pytest.StashKey[FanOut | None]()
TRIMMER_KEY = pytest.StashKey[Trimmer]()
# The check whose setup is under way (pytest sets checks up one at a time, on its main thread): the
# ``check`` fixture reads it instead of taking ``request``, which makes pytest build a fixture definition
# (and an ``inspect.signature``) for every check.
SETTING_UP: ContextVar[CheckContext] = ContextVar("tenantcheck_setting_up")


def active(config: pytest.Config) -> bool:
    """tenantcheck is on for this pytest run (``--env`` given and loaded)."""
    return ENV_KEY in config.stash
