"""The reference target: a Pom Bolt-shaped multi-tenant service on real SQLite, with switchable flaws.

It is what the harness runs against out of the box, and, with flaws switched on, the proof that the
harness catches real isolation bugs. See docs/reference-target.md.
"""

from __future__ import annotations

from tenantcheck.reference.app import create_app
from tenantcheck.reference.config import ReferenceConfig
from tenantcheck.reference.flaws import FLAWS, UnknownFlawError
from tenantcheck.reference.server import (
    ReferenceProcess,
    ReferenceStartError,
    RunningReference,
    running_reference,
)

__all__ = [
    "FLAWS",
    "ReferenceConfig",
    "ReferenceProcess",
    "ReferenceStartError",
    "RunningReference",
    "UnknownFlawError",
    "create_app",
    "running_reference",
]
