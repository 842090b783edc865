"""Chaos mode: a share of the reference target's requests fail the way real networks and gateways fail.

``--chaos 0.2:500,503,429`` answers 20 % of the requests with one of the named kinds instead of serving
them. It exists so the harness can prove that a flaky target never turns into a wrong verdict: a request
that failed is retried within the environment's budget or makes its check inconclusive, never a finding
that is not real and never a pass.

Rules that keep the harness's oracles sound:

- **Instead of the handler, never after it.** A chaotic answer is produced before the request reaches the
  endpoint, so a request that got one changed nothing: no row, no KV key, not even an access-log entry. A
  real network can also lose the answer to a write that committed; chaos mode does not imitate that (see
  docs/reference-target.md, "Chaos mode", for why).
- **Never a 2xx.** A success status is the target's word that the request was served; chaos only sends
  errors, or a 200 whose body is cut off (the client sees a broken connection, not an answer).
- **Admin endpoints and ``/api/health`` are exempt**, so provisioning, cleanup and the reachability check
  stay measurable, and ``GET /admin/chaos`` can report what was injected.

Decisions come from one ``random.Random(seed)`` drawn once per eligible request, in arrival order: with
``--chaos-seed`` a client that sends its requests one at a time meets the same failures on every run.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantcheck.reference.errors import error_response

if TYPE_CHECKING:  # runtime -> config -> chaos: only the type is needed here
    from tenantcheck.reference.runtime import Runtime

KINDS: dict[str, str] = {
    "500": "500 internal_error",
    "503": "503 service_unavailable (no Retry-After)",
    "429": "429 rate_limited with Retry-After: 0",
    "timeout": "no answer until the hang time has passed (longer than the client's timeout), then 504",
    "drop": "the connection is closed without any answer",
    "truncate": "200 with a Content-Length, half of a JSON body, then the connection is closed",
    "html": "502 with an HTML page (a gateway's error page), not JSON",
}
"""Every kind of chaotic answer, in the order they are drawn from."""

MAX_HANG_SECONDS = 120.0
HEADER = "X-Reference-Chaos"
"""Response header naming the injected kind, so evidence shows a failure was staged (where there is one)."""


class ChaosError(ValueError):
    """A chaos option that cannot work; the message says what is valid."""


@dataclass(frozen=True, kw_only=True)
class ChaosConfig:
    """How much chaos, of which kinds.

    ``rate`` is the share of eligible requests (0 < rate <= 1); ``seed`` makes the sequence of decisions
    reproducible (``None``: a random one); ``hang_seconds`` is how long a ``timeout`` keeps the client
    waiting (bounded, so a stopped client never leaves the server busy for long); ``only`` restricts chaos
    to requests whose ``"METHOD /path"`` matches this regular expression (e.g. ``"^PUT "``).
    """

    rate: float
    kinds: frozenset[str] = field(default_factory=lambda: frozenset(KINDS))
    seed: int | None = None
    hang_seconds: float = 15.0
    only: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", frozenset(self.kinds))
        if not 0 < self.rate <= 1:
            raise ChaosError(f"chaos rate must be in (0, 1], not {self.rate}")
        if not self.kinds:
            raise ChaosError(f"chaos needs at least one kind; valid kinds are: {', '.join(KINDS)}")
        unknown = sorted(self.kinds - KINDS.keys())
        if unknown:
            raise ChaosError(f"unknown chaos kind {', '.join(map(repr, unknown))}; valid kinds are: {', '.join(KINDS)}")
        if not 0 < self.hang_seconds <= MAX_HANG_SECONDS:
            raise ChaosError(f"chaos hang must be in (0, {MAX_HANG_SECONDS:g}] seconds, not {self.hang_seconds}")
        if self.only is not None:
            try:
                re.compile(self.only)
            except re.error as exc:
                raise ChaosError(f"chaos 'only' is not a regular expression: {exc}") from None

    @property
    def ordered_kinds(self) -> list[str]:
        return [kind for kind in KINDS if kind in self.kinds]

    def describe(self) -> str:
        """One line for a person: ``20% of requests: 500, 503 (seed 7)``."""
        seed = f", seed {self.seed}" if self.seed is not None else ""
        only = f", only {self.only!r}" if self.only else ""
        return f"{self.rate:.0%} of requests: {', '.join(self.ordered_kinds)}{seed}{only}"


def parse_chaos(spec: str, **options: Any) -> ChaosConfig:
    """``"0.1"`` (every kind) or ``"0.2:500,503,timeout"``; ``options`` are further ChaosConfig fields."""
    rate_text, _, kinds_text = spec.strip().partition(":")
    try:
        rate = float(rate_text)
    except ValueError:
        raise ChaosError(f"chaos {spec!r}: RATE must be a number in (0, 1], e.g. 0.1 or 0.2:500,503") from None
    kinds = {kind.strip() for kind in kinds_text.split(",") if kind.strip()} if kinds_text else set(KINDS)
    return ChaosConfig(rate=rate, kinds=frozenset(kinds), **options)


def chaos_argv(chaos: ChaosConfig | None) -> list[str]:
    """The ``serve`` options that give a child process this chaos (for a launcher such as ReferenceProcess)."""
    if chaos is None:
        return []
    argv = ["--chaos", f"{chaos.rate}:{','.join(chaos.ordered_kinds)}", "--chaos-hang", str(chaos.hang_seconds)]
    if chaos.seed is not None:
        argv += ["--chaos-seed", str(chaos.seed)]
    if chaos.only is not None:
        argv += ["--chaos-only", chaos.only]
    return argv


def exempt(path: str) -> bool:
    """Admin endpoints and the health check never see chaos."""
    return path == "/api/health" or path == "/admin" or path.startswith("/admin/")


class Chaos:
    """The decisions and the tally of one running target (one event loop: no lock needed)."""

    def __init__(self, config: ChaosConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._kinds = config.ordered_kinds
        self._only = re.compile(config.only) if config.only else None
        self.eligible = 0
        self.injected: Counter[str] = Counter()
        self.by_method: dict[str, Counter[str]] = {}

    def draw(self, method: str, path: str) -> str | None:
        """The kind of failure for this request, or ``None`` to serve it."""
        if exempt(path) or (self._only is not None and not self._only.search(f"{method} {path}")):
            return None
        self.eligible += 1
        if self._random.random() >= self.config.rate:
            return None
        kind = self._kinds[self._random.randrange(len(self._kinds))]
        self.injected[kind] += 1
        self.by_method.setdefault(method, Counter())[kind] += 1
        return kind

    def status(self) -> dict[str, Any]:
        """What ``GET /admin/chaos`` shows."""
        config = self.config
        return {"enabled": True, "rate": config.rate, "kinds": config.ordered_kinds, "seed": config.seed,
                "hang_seconds": config.hang_seconds, "only": config.only, "eligible": self.eligible,
                "injected": {kind: self.injected[kind] for kind in self._kinds},
                "by_method": {method: dict(counts) for method, counts in sorted(self.by_method.items())}}


class ChaosMiddleware:
    """Outermost ASGI layer: answers a drawn share of requests with a failure instead of serving them.

    It sits outside Starlette's error middleware, so it gets the server's own ``send`` and can close the
    connection (``drop``, ``truncate``) rather than have a 500 sent in its place.
    """

    def __init__(self, app: ASGIApp, chaos: Chaos) -> None:
        self.app = app
        self.chaos = chaos

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.chaos.draw(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        await ANSWERS[kind](self, scope, receive, send)

    async def _error(self, scope: Scope, receive: Receive, send: Send, status: int, code: str,
                     headers: dict[str, str] | None = None) -> None:
        response = error_response(status, code, f"chaos: injected {status}", headers={HEADER: str(status),
                                                                                      **(headers or {})})
        await response(scope, receive, send)

    async def internal_error(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 500, "internal_error")

    async def unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 503, "service_unavailable")

    async def rate_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 429, "rate_limited", {"Retry-After": "0"})

    async def hang(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The client gives up first; the bounded sleep keeps the server from holding the request forever.
        await asyncio.sleep(self.chaos.config.hang_seconds)
        await self._error(scope, receive, send, 504, "gateway_timeout")

    async def drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await close_connection(send):
            # A server that does not show its transport: cut the answer off right after its headers.
            await send_cut_off(send, b"")

    async def truncate(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = json.dumps({"projects": [], "note": "chaos: this body is cut off halfway"}).encode()
        await send_cut_off(send, body)
        await close_connection(send)  # else the server closes it (and logs an incomplete response)

    async def html(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>" \
               "<p>The upstream server did not answer (chaos).</p></body></html>"
        await Response(page, status_code=502, media_type="text/html", headers={HEADER: "html"})(scope, receive, send)


async def send_cut_off(send: Send, body: bytes) -> None:
    """A 200 announcing ``len(body)`` bytes (at least one), then only the first half of them."""
    length = max(len(body), 1)
    start: Message = {"type": "http.response.start", "status": 200,
                      "headers": [(b"content-type", b"application/json"), (b"content-length", str(length).encode()),
                                  (HEADER.lower().encode(), b"truncate")]}
    await send(start)
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})


async def close_connection(send: Send) -> bool:
    """Close the client's connection without another byte; ``False`` when the server hides its transport.

    uvicorn's ``send`` is a method of its request cycle, which holds the transport; once the connection is
    lost the cycle is marked disconnected and uvicorn sends nothing more for this request.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        return False
    transport.close()
    for _ in range(50):  # let the loop run connection_lost(), so the server knows the client is gone
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
    return True


ANSWERS = {
    "500": ChaosMiddleware.internal_error,
    "503": ChaosMiddleware.unavailable,
    "429": ChaosMiddleware.rate_limited,
    "timeout": ChaosMiddleware.hang,
    "drop": ChaosMiddleware.drop,
    "truncate": ChaosMiddleware.truncate,
    "html": ChaosMiddleware.html,
}
assert ANSWERS.keys() == KINDS.keys()


async def chaos_status(runtime: Runtime, request: Request, body: None) -> Response:
    """GET /admin/chaos: the chaos configuration and how many requests got which failure."""
    chaos: Chaos | None = request.app.state.chaos
    return JSONResponse(chaos.status() if chaos is not None else {"enabled": False})
