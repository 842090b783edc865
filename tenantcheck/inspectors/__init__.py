"""Storage inspectors: read-only access to a target's D1 and KV for the storage oracles (TC-06, TC-07,
TX-02, TC-08). See docs/inspectors.md for how to point them at local, preview and production storage."""

from __future__ import annotations

from tenantcheck.inspectors.base import CACHE, FILES, InspectorError, ReadOnlyViolation, Row, StorageInspector
from tenantcheck.inspectors.factory import build_inspector

__all__ = ["CACHE", "FILES", "InspectorError", "ReadOnlyViolation", "Row", "StorageInspector", "build_inspector"]
