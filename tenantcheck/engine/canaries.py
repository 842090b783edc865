"""Canary markers: a unique token per tenant, planted in everything it owns, looked for everywhere.

A marker of tenant T in a response to anyone but T is a leak, wherever it appears, unless the requester
already knew it: it sent that marker itself, in this request or an earlier one (an attacker naming a
victim's file path is not a leak, nor is its own access log echoing that path later). Tenants therefore
carry separate markers for names and contents, for file paths and for search, so that knowing a path or
a search term never hides a leak of the contents.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

MARKER = re.compile(r"tcm[0-9a-f]{16}")


def new_marker() -> str:
    """A fresh marker: a fixed prefix the scanner's regex finds, and 64 random bits."""
    return "tcm" + secrets.token_hex(8)


@dataclass(frozen=True, kw_only=True)
class Sighting:
    """One foreign marker seen in one place of one response."""

    marker: str
    owner: str
    where: str


class CanaryScanner:
    """Knows which actor owns which marker and finds foreign markers in response parts."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._known: dict[str, set[str]] = {}

    def register(self, marker: str, owner: str) -> None:
        if not MARKER.fullmatch(marker):
            raise ValueError(f"not a canary marker: {marker!r}")
        self._owners[marker] = owner

    def learn(self, requester: str, request_text: str) -> None:
        """Markers a requester sends are known to it from then on."""
        sent = MARKER.findall(request_text)
        if sent:
            self._known.setdefault(requester, set()).update(sent)

    def scan(self, requester: str, parts: Iterable[tuple[str, str]], request_text: str = "") -> list[Sighting]:
        """Foreign markers in ``parts`` (``(where, text)`` pairs) that ``requester`` did not know."""
        self.learn(requester, request_text)
        known = self._known.get(requester, set())
        found: dict[tuple[str, str], Sighting] = {}
        for where, text in parts:
            for marker in MARKER.findall(text):
                owner = self._owners.get(marker)
                if owner is None or owner == requester or marker in known:
                    continue
                found.setdefault((marker, where), Sighting(marker=marker, owner=owner, where=where))
        return list(found.values())
