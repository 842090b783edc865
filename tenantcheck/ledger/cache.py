"""The per-org response cache of GET list and search answers, in memory.

Keys are (org, URL); a write empties the entries of the orgs it changed. Under `cache-key-shared` every key
has the same empty org, so one org's answer is served to another for the same URL, and any write empties
the whole cache (the flaw shares answers, it never makes them stale: that would be a second bug).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

CacheKey = tuple[str, str]

MAX_ENTRIES = 4096


class ResponseCache:
    """JSON bodies by (org, URL), oldest dropped first beyond MAX_ENTRIES."""

    def __init__(self, *, shared: bool) -> None:
        self.shared = shared
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()

    def key(self, org_id: str, url: str) -> CacheKey:
        """The key of an answer to org for url."""
        return ("" if self.shared else org_id, url)

    def get(self, key: CacheKey) -> bytes | None:
        """A cached body, or None."""
        return self._entries.get(key)

    def put(self, key: CacheKey, body: bytes) -> None:
        """Remember a body."""
        self._entries[key] = body
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def invalidate(self, orgs: Iterable[str]) -> None:
        """Forget the answers of orgs whose data a write changed."""
        scopes = {""} if self.shared else set(orgs)
        for key in [key for key in self._entries if key[0] in scopes]:
            del self._entries[key]
