"""The surface sweep's knowledge: common unlisted paths, and what in an answer should have needed identity.

A forgotten debug route rarely shows a tenant's marker; it shows what lets an attacker get there: the
names of environment variables and storage bindings, whether a credential is configured, stack traces,
database errors, server file paths. ``disclosures`` names each kind it finds in an answer; the sweep
(TX-09) reports an answer anyone gets that holds one. Names alone, never values: a report that quoted a
leaked secret would leak it again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tenantcheck.config.profile import Profile

# Common debug, admin, health, metrics and backup routes of web frameworks and hand-made APIs.
BUILTIN_PATHS: tuple[str, ...] = (
    "/debug", "/debug/env", "/debug/vars", "/debug/info", "/debug/pprof/", "/_debug", "/api/debug",
    "/env", "/api/env", "/.env", "/config", "/api/config", "/settings.json",
    "/admin", "/api/admin", "/admin/users", "/admin/tenants",
    "/health", "/healthz", "/api/health", "/status", "/api/status", "/info", "/api/info", "/version",
    "/metrics", "/api/metrics", "/actuator", "/actuator/env", "/actuator/health", "/server-status",
    "/backup", "/api/backup", "/backup.sql", "/dump", "/api/export", "/.git/config", "/test", "/api/test",
)
INTERNALS = frozenset({"stack trace", "database error", "server file paths"})  # the rest names secrets' places
# Statuses that keep a path shut: refused, absent, or not answering a GET.
SHUT = frozenset({401, 403, 404, 405})

STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"  # Python
    r"\n\s*at [\w$.<> ]+ \(?[^\s()]+:\d+:\d+\)?|"  # JavaScript
    r"\n\s*at [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)")  # JVM
DATABASE_ERROR = re.compile(r"SQLITE_[A-Z]+|D1_ERROR|no such (?:table|column)|constraint failed|SQLSTATE|"
                            r"syntax error at or near|ORA-\d{5}|psycopg2?\.|mysql_\w+\(")
SERVER_PATH = re.compile(r"(?:^|[\s\"'(=]|file://)/(?:tmp|home|var|usr|etc|opt|srv|root|app|workspace)/[\w.@+-]+/")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
ENV_CONTAINER = re.compile(r"(?i)env|binding|var(?:iable)?s?$|secret|config|keys$")
PRESENCE = re.compile(r"(?i)^(?:has|is)_?\w*(?:token|key|secret|password|credential|binding|account_?id)s?"
                      r"(?:_?(?:set|configured|present))?$")


def surface_paths(profile: Profile) -> list[str]:
    """The sweep's paths: the profile's own first, then the built-in ones it does not skip (once each)."""
    chosen = [*profile.surface.paths, *(BUILTIN_PATHS if profile.surface.builtin else ())]
    return [path for path in dict.fromkeys(chosen) if path not in profile.surface.skip]


def disclosures(text: str) -> list[str]:
    """What of what should need identity an answer holds: ``stack trace``, ``database error``, ``server file
    paths``, ``environment or binding names (NAMES)``, ``credential presence (keys)``."""
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = None
    strings = list(_strings(document)) if document is not None else [text]
    found: list[str] = []
    for label, pattern in (("stack trace", STACK_TRACE), ("database error", DATABASE_ERROR),
                           ("server file paths", SERVER_PATH)):
        if any(pattern.search(value) for value in strings):
            found.append(label)
    names = sorted({name for key, value in _members(document) if ENV_CONTAINER.search(key)
                    for name in _env_names(value)})
    if len(names) >= 2:
        found.append(f"environment or binding names ({', '.join(names[:6])}{', ...' if len(names) > 6 else ''})")
    presence = sorted({key for key, value in _members(document) if isinstance(value, bool) and PRESENCE.match(key)})
    if presence:
        found.append(f"credential presence ({', '.join(presence[:6])}{', ...' if len(presence) > 6 else ''})")
    return found


def _env_names(value: Any) -> list[str]:
    """Environment-variable-like names a container holds: its keys (a mapping) or its strings (a list)."""
    candidates = value.keys() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [name for name in candidates if isinstance(name, str) and ENV_NAME.match(name)]


def _members(document: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) of every object in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield str(key), value
            yield from _members(value)
    elif isinstance(document, list):
        for value in document:
            yield from _members(value)


def _strings(document: Any) -> Iterator[str]:
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _strings(value)
