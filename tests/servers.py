"""What the harness's tests share about servers: markers, a client that speaks as one identity through a
shared httpx client, targets started once per configuration, concurrent bursts (the suites of both
reference apps), and a port that proves nothing was sent."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any, Protocol, TypeVar

import httpx


def marker(label: str = "mk") -> str:
    """A unique word (a canary) that only the data of one test contains."""
    return f"{label}{uuid.uuid4().hex[:12]}"


class IdentityClient:
    """Requests through a shared httpx client with one identity's headers (cheaper than many clients)."""

    def __init__(self, client: httpx.Client, identity: dict[str, str]) -> None:
        self._client = client
        self.identity = identity

    def request(
        self, method: str, url: str, *, headers: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        merged = httpx.Headers(self.identity)
        merged.update(headers or {})  # case-insensitive: a test header replaces the identity header
        return self._client.request(method, url, headers=merged, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


class Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=Closable)


def started_once(
    start: Callable[..., AbstractContextManager[Any]], wrap: Callable[[Any], T]
) -> Iterator[Callable[..., T]]:
    """A session fixture's body: ``get(**config fields)`` starts a target (``wrap(start(**fields))``) the first
    time a configuration is asked for and hands the same one to every later test; all stop at the end."""
    started: dict[tuple[tuple[str, Any], ...], tuple[T, ExitStack]] = {}

    def get(**options: Any) -> T:
        options["flaws"] = frozenset(options.get("flaws", ()))
        key = tuple(sorted(options.items()))
        if key not in started:
            stack = ExitStack()
            target = wrap(stack.enter_context(start(**options)))
            stack.callback(target.close)
            started[key] = (target, stack)
        return started[key][0]

    try:
        yield get
    finally:
        # Stopping a server takes ~0.2 s (uvicorn's shutdown tick); stop them all at once.
        with ThreadPoolExecutor(max_workers=16) as pool:
            for future in [pool.submit(stack.close) for _, stack in started.values()]:
                future.result()


def burst(base_url: str, calls: list[tuple[IdentityClient, str]]) -> list[httpx.Response]:
    """GET every (identity, path) at once, concurrently; the responses in the same order."""

    async def run() -> list[httpx.Response]:
        # One small pool per identity: a single pool with hundreds of queued requests makes httpx crawl.
        # verify=False: plain http anyway, and it skips building an SSL context per client (~50 ms).
        limits = httpx.Limits(max_connections=8)
        clients = {id(who): httpx.AsyncClient(base_url=base_url, headers=who.identity, timeout=30, verify=False,
                                              limits=limits) for who, _ in calls}
        try:
            return list(await asyncio.gather(*(clients[id(who)].get(path) for who, path in calls)))
        finally:
            for client in clients.values():
                await client.aclose()

    return asyncio.run(run())


@contextmanager
def silent_port() -> Iterator[socket.socket]:
    """A loopback port that answers nothing but counts who connected (``connections``): proof that a
    command stopped before it sent anything."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connections(sock: socket.socket) -> int:
    """How many connections reached ``sock`` so far (each is accepted and closed)."""
    count = 0
    while True:
        try:
            accepted, _ = sock.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1
