"""What every storage inspector offers, and its errors.

An inspector reads the target's storage the way its operators do (a SQLite file, ``wrangler``, the
Cloudflare API) so the storage oracles can see what the HTTP surface hides: the ``tenant_id`` a row was
really written with and the KV key a file really lives at. It never writes.

    Inconclusive (tenantcheck.errors)
    └── InspectorError          storage could not be read (missing file, wrangler failed, API error)
        └── ReadOnlyViolation   a statement that is not a single SELECT was refused before it was sent

``InspectorError`` is an ``Inconclusive`` on purpose: a check whose storage read fails stops as
inconclusive with the inspector's message, never passed, without every check having to catch it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from tenantcheck.errors import Inconclusive

Row = dict[str, Any]

FILES = "FILES"
CACHE = "CACHE"
"""The contract's KV namespaces, by binding name; backends map them to what they address."""


class InspectorError(Inconclusive):
    """Storage could not be read; the message says what and how to fix it."""


class ReadOnlyViolation(InspectorError):  # noqa: N818 - reads as what happened, like pytest's names
    """A statement was refused because it is not a single read-only SELECT."""


class StorageInspector(ABC):
    """Read-only access to D1 (SQL) and KV (key listing) of one target."""

    kind: str = ""

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of one SELECT on the D1 database, as dicts; ``?`` placeholders take ``params``."""

    @abstractmethod
    def kv_keys(self, namespace: str, prefix: str = "") -> list[str]:
        """Every key (all pages) of a KV namespace (``FILES`` or ``CACHE``) that starts with ``prefix``."""

    def describe(self) -> str:
        """Where this inspector reads, for evidence and messages (never a secret)."""
        return self.kind

    def close(self) -> None:  # noqa: B027 - optional hook: most backends hold nothing open
        """Release what the inspector holds open."""

    def __enter__(self) -> StorageInspector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
