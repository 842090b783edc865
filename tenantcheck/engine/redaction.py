"""Secrets out of every artifact: known secret values become ``$VARIABLE`` names.

Evidence, logs and curl lines pass through one ``Redactor``, which knows every API key and token the run
uses; credential headers it cannot attribute are replaced whole.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping

CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"})
REDACTED = "[redacted]"


class Redactor:
    """Replaces registered secret values with the names of the variables that carry them."""

    def __init__(self, credential_headers: frozenset[str] = CREDENTIAL_HEADERS) -> None:
        self._secrets: dict[str, str] = {}
        self._order: tuple[tuple[str, str], ...] = ()  # replaced whole on add: readers on other threads
        self._adding = threading.Lock()
        self._headers = frozenset(name.lower() for name in credential_headers)

    def add(self, secret: str, variable: str) -> None:
        """Show ``secret`` as ``$variable``; the first name given wins (an environment's own variable
        name, e.g. for a static tenant's key, beats a generated one)."""
        with self._adding:  # tenants are provisioned on several threads
            if secret and secret not in self._secrets:
                self._secrets[secret] = f"${variable}"
                # Longest first, so a secret that contains another is replaced whole.
                self._order = tuple(sorted(self._secrets.items(), key=lambda pair: len(pair[0]), reverse=True))

    def add_header(self, name: str) -> None:
        self._headers = self._headers | {name.lower()}

    def text(self, text: str) -> str:
        for secret, name in self._order:
            if secret in text:
                text = text.replace(secret, name)
        return text

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        clean: dict[str, str] = {}
        for name, value in headers.items():
            redacted = self.text(value)
            if name.lower() in self._headers and redacted == value:
                redacted = REDACTED
            clean[name] = redacted
        return clean


def shell_word(text: str) -> str:
    """Quote one shell word; ``$VARS`` from redaction stay expandable (double quotes)."""
    if "$" not in text:
        return shlex.quote(text)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'
