"""HTTP to the target: one httpx client per identity, shared limits, retries, scanning, evidence.

Every client carries a response event hook that reads the body, keeps a redacted copy of the exchange as
evidence and hands foreign canary markers to the leak callback, so a leak is found wherever it appears,
even in a request that no oracle looks at. Independent requests of a check go out concurrently through
``Http.gather`` (a thread pool bounded by the environment's concurrency cap).
"""

from __future__ import annotations

import contextvars
import json
import math
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass
from functools import cached_property, partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode

import httpx

from tenantcheck.config.profile import Operation
from tenantcheck.engine.canaries import CanaryScanner, Sighting
from tenantcheck.engine.redaction import Redactor, shell_word
from tenantcheck.errors import NotApplicable, TargetError
from tenantcheck.run.concurrency import Gate

T = TypeVar("T")
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})  # reads: everything else is a write
IDEMPOTENT = SAFE | {"PUT", "DELETE"}  # may be retried
RETRY_STATUSES = frozenset({429, 502, 503, 504})
KEEPALIVE_SECONDS = 2.0
TEMPLATE = "tenantcheck_template"  # request extension: the operation a request was made from
EXCERPT = 2000
LeakCallback = Callable[[str, list[Sighting], "Exchange"], None]
QUIET = contextvars.ContextVar("tenantcheck_quiet", default=False)  # within Http.quiet(): the holder's requests


class Limiter:
    """Requests per second (evenly spaced) and a cap on requests in flight, shared by all clients.

    A request's turn is taken when it is let go, not booked ahead: threads that wake late from their
    wait (a loaded machine) would otherwise all go at once when they do. Spacing runs from the last
    request let go, and never more than ``ceil(rate)`` go within one second.

    An ``urgent`` request (its sender holds the writes gate apart or alone, and every write of the run
    waits for it) takes the next free place in flight before the others waiting: it holds up the most."""

    def __init__(self, rate: float, concurrency: int) -> None:
        self._interval = 1.0 / rate
        self._per_second = math.ceil(rate)
        self._gone: deque[float] = deque()  # when the requests of the last second were let go
        self._last = -math.inf  # when the last request was let go
        self._lock = threading.Lock()
        self._places = threading.Lock()  # guards the places in flight and their two queues
        self._free = concurrency
        self._urgent_waiting = 0
        self._urgent = threading.Condition(self._places)
        self._others = threading.Condition(self._places)
        self.concurrency = concurrency

    @contextmanager
    def slot(self, *, urgent: bool = False) -> Iterator[None]:
        self._enter(urgent)
        try:
            while (wait := self._take_turn()) > 0:
                time.sleep(wait)
            yield
        finally:
            self._leave()

    def _enter(self, urgent: bool) -> None:
        with self._places:
            if urgent:
                self._urgent_waiting += 1
                self._urgent.wait_for(lambda: self._free > 0)
                self._urgent_waiting -= 1
            else:
                self._others.wait_for(lambda: self._free > 0 and not self._urgent_waiting)
            self._free -= 1
            if self._free:
                self._wake_next()  # a place is still free: pass the wake-up on

    def _leave(self) -> None:
        with self._places:
            self._free += 1
            self._wake_next()

    def _wake_next(self) -> None:
        """Wake one waiter for a free place: an urgent one if any waits."""
        (self._urgent if self._urgent_waiting else self._others).notify()

    def _take_turn(self) -> float:
        """0 when this request may go now (and it is counted), else how long to wait before asking again."""
        with self._lock:
            now = time.monotonic()
            while self._gone and self._gone[0] <= now - 1.0:
                self._gone.popleft()
            wait = self._last + self._interval - now
            if len(self._gone) >= self._per_second:
                wait = max(wait, self._gone[0] + 1.0 - now)
            if wait <= 0:
                self._gone.append(now)
                self._last = now
            return wait


class CredentialAuth(httpx.Auth):
    """Presents one identity: a header (bearer, API-key header, cookie or self-asserted tenant id).

    ``renewer`` (a login that can be repeated) gives a fresh value when the target answers 401 to the
    current one: a token that expired is renewed once, and a 401 that persists is the target's answer."""

    def __init__(self, header: str, value: str, *, format: str = "{}",
                 renewer: Callable[[], str] | None = None) -> None:
        self.header = header
        self.format = format
        self.value = format.format(value)
        self.renewer = renewer
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self.value
        yield request

    def renew(self, refused: httpx.Request) -> bool:
        """Whether a request refused with 401 should be sent again: the credential it carried was renewed
        (now, or by another thread meanwhile)."""
        if self.renewer is None:
            return False
        with self._lock:
            if refused.headers.get(self.header) == self.value:
                self.value = self.format.format(self.renewer())
        return True


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One request and its answer, redacted: what a finding shows as evidence."""

    actor: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    elapsed_ms: float
    retries: int = 0
    error: str | None = None
    template: str | None = None  # the profile operation's method and path template (problems group by it)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def curl(self) -> str:
        """A curl line that sends the same request; secrets stay ``$VARIABLES``."""
        words = ["curl", "-sS", "-i", "-X", self.method, shell_word(self.url)]
        for name, value in self.request_headers.items():
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept"):
                continue
            words += ["-H", shell_word(f"{name}: {value}")]
        if self.request_body:
            words += ["--data-raw", shell_word(self.request_body)]
        return " ".join(words)


class Reply:
    """A response; its evidence (redacted) and JSON (``None`` when the body is not JSON) made on first use:
    most replies never become evidence."""

    def __init__(self, response: httpx.Response, make_exchange: Callable[[], Exchange]) -> None:
        self.response = response
        self._make_exchange = make_exchange
        self.status = response.status_code
        self.text = response.text

    @cached_property
    def exchange(self) -> Exchange:
        return self._make_exchange()

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def pick(self, dotted: str | None) -> Any:
        """The value at a dotted path of the JSON body (the whole body for ``None``)."""
        value = self.json
        for part in (dotted or "").split("."):
            if not part:
                continue
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def items(self, operation: Operation) -> list[Any] | None:
        """A list operation's items, or ``None`` when the body does not have the profile's shape."""
        value = self.pick(operation.items)
        return value if isinstance(value, list) else None

    def object(self, operation: Operation) -> dict[str, Any] | None:
        value = self.pick(operation.object)
        return value if isinstance(value, dict) else None

    def location_id(self) -> str | None:
        """The last path segment of the ``Location`` header (where a create put the new object)."""
        location = self.response.headers.get("location", "").split("?", 1)[0].rstrip("/")
        return unquote(location.rsplit("/", 1)[-1]) or None if location else None

    @property
    def unavailable(self) -> bool:
        """The target could not answer (5xx, or 429 after the retries): never evidence either way."""
        return self.status >= 500 or self.status == 429


class Http:
    """The run's HTTP side: limits, redaction, the canary scanner, and one client per actor."""

    def __init__(
        self,
        base_url: str,
        *,
        rate: float,
        concurrency: int,
        timeout: float,
        retries: int,
        scanner: CanaryScanner,
        redactor: Redactor,
        on_leak: LeakCallback,
        write_refusal: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = Limiter(rate, concurrency)
        self.timeout = httpx.Timeout(timeout)
        self.retries = retries
        self.scanner = scanner
        self.redactor = redactor
        self.on_leak = on_leak
        self.write_refusal = write_refusal
        self.transport = transport
        self.retried = 0
        self.sent = 0
        self._counting = threading.Lock()  # checks run on several threads: += alone would lose counts
        self._halted = threading.Event()
        self.writes = Gate()  # every write holds it shared; a check that tests a cache holds it exclusive
        self.traffic = Gate()  # every request holds it shared, but those of a holder of quiet(), which has it alone
        self._clients: list[httpx.Client] = []
        self._tls: ssl.SSLContext | None = None  # one for all clients
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tenantcheck-http")

    def actor(self, label: str, auth: CredentialAuth | None = None, *, scan: bool = True) -> Actor:
        hooks = [self._make_hook(label, scan)]
        client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            timeout=self.timeout,
            follow_redirects=False,
            event_hooks={"response": hooks},
            transport=self.transport,
            # An idle connection is dropped well before servers drop theirs (uvicorn and Node after 5 s,
            # httpx's default too): else a POST may go out on a connection the server is closing, and fail
            # with no answer and no safe retry. With checks in flight at once, many connections sit idle.
            limits=httpx.Limits(max_connections=self.limiter.concurrency, keepalive_expiry=KEEPALIVE_SECONDS),
            verify=self._tls_context(),
        )
        self._clients.append(client)
        return Actor(label, self, client)

    def _tls_context(self) -> ssl.SSLContext:
        """For an https target, the CA store each client would load (certifi, SSL_CERT_FILE), loaded once:
        about 30 ms of CPU. An http target uses no TLS: its context trusts no certificate, so loading the
        store costs nothing, and a request that reached an https URL all the same would fail closed."""
        if self._tls is None:
            https = self.base_url.lower().startswith("https://")
            self._tls = httpx.create_ssl_context() if https else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._tls

    def gather(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run independent calls concurrently (within the concurrency cap); results in order. Each call runs
        in a copy of the caller's context, so its findings go to the caller's check. Within ``quiet()`` the
        calls get a pool of their own: the shared pool's threads may all be waiting for the quiet to end."""
        if QUIET.get():
            with ThreadPoolExecutor(self.limiter.concurrency, thread_name_prefix="tenantcheck-quiet") as own:
                return self._gathered(own, calls)
        return self._gathered(self._pool, calls)

    @staticmethod
    def _gathered(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], T]]) -> list[T]:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [future.result() for future in futures]

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Meanwhile only the caller's requests (and those it gathers) reach the target: others wait before
        they go out, after those in flight have ended. For a check that must tell its own requests' effects
        on storage from those of the checks running beside it. The holder must not write: a cache check may
        hold the writes gate while its next request waits for the quiet to end, and the write would wait
        for that check."""
        with self.traffic.exclusive():
            token = QUIET.set(True)
            try:
                yield
            finally:
                QUIET.reset(token)

    @contextmanager
    def halted_meanwhile(self) -> Iterator[None]:
        """Meanwhile no new request goes out (``TargetError``): what an interrupted run left going ends
        quickly, and then requests (teardown's) go out again."""
        self._halted.set()
        try:
            yield
        finally:
            self._halted.clear()

    def drain(self) -> None:
        """Stop what ``gather`` still runs (an interrupted caller left it) and wait for it to end. Then nothing
        holds the writes gate but a holder an interrupt cut off before it could let go: it starts afresh."""
        with self.halted_meanwhile():
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = ThreadPoolExecutor(max_workers=self.limiter.concurrency, thread_name_prefix="tenantcheck-http")
        self.writes = Gate()
        self.traffic = Gate()

    def halt(self) -> None:
        """From now on no new request goes out (``TargetError``) until ``halted_meanwhile`` ends: the run
        stops (Ctrl-C), and its teardown sends requests again."""
        self._halted.set()

    @property
    def halted(self) -> bool:
        return self._halted.is_set()

    def tally(self, *, sent: int = 0, retried: int = 0) -> None:
        with self._counting:
            self.sent += sent
            self.retried += retried

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for client in self._clients:
            client.close()

    def _make_hook(self, label: str, scan: bool) -> Callable[[httpx.Response], None]:
        def hook(response: httpx.Response) -> None:
            response.read()
            self.tally(sent=1)
            if not scan:
                return
            request = response.request
            request_text = str(request.url) + request.content.decode("utf-8", "replace")
            parts = [("body", response.text)]
            parts += [(f"header {name}", value) for name, value in response.headers.items()]
            sightings = self.scanner.scan(label, parts, request_text)
            if sightings:
                self.on_leak(label, sightings, self.exchange(label, response))

        return hook

    def exchange(self, label: str, response: httpx.Response, retries: int = 0) -> Exchange:
        """The redacted evidence of one answered request."""
        request = response.request
        body = request.content.decode("utf-8", "replace") if request.content else None
        return Exchange(
            actor=label,
            method=request.method,
            url=self.redactor.text(str(request.url)),
            request_headers=self.redactor.headers(dict(request.headers)),
            request_body=self.redactor.text(body[:EXCERPT]) if body else None,
            status=response.status_code,
            response_headers=self.redactor.headers(dict(response.headers)),
            response_body=self.redactor.text(response.text[:EXCERPT]),
            elapsed_ms=elapsed_ms(response),
            retries=retries,
            template=request.extensions.get(TEMPLATE),
        )


def elapsed_ms(response: httpx.Response) -> float:
    """How long the answer took; httpx knows it only once the stream is closed (not so for mocks)."""
    try:
        return round(response.elapsed.total_seconds() * 1000, 1)
    except RuntimeError:
        return 0.0


class Actor:
    """One identity talking to the target (a tenant, the anonymous caller, or the admin)."""

    def __init__(self, label: str, http: Http, client: httpx.Client) -> None:
        self.label = label
        self.http = http
        self.client = client

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        template: str | None = None,
    ) -> Reply:
        """Send one request with retries; a target that never answers is a ``TargetError``. A 401 to an
        identity that can be renewed (a login token that expired) renews it once and sends again."""
        send = partial(self._send, method, path, json_body=json_body, content=content, headers=headers,
                       template=template)
        reply = send()
        if reply.status == 401 and isinstance(self.client.auth, CredentialAuth) and self.client.auth.renew(
                reply.response.request):
            reply = send()
        return reply

    def _send(self, method: str, path: str, *, json_body: Any, content: bytes | None,
              headers: Mapping[str, str | bytes] | None, template: str | None) -> Reply:
        if method not in SAFE and self.http.write_refusal:
            raise NotApplicable(self.http.write_refusal)
        if json_body is not None:
            content = json.dumps(json_body).encode()
        # Bytes, so that probes may carry any UTF-8 value (httpx refuses non-ASCII str header values).
        send_headers = {name.encode(): value if isinstance(value, bytes) else value.encode()
                        for name, value in (headers or {}).items()}
        if json_body is not None:
            send_headers.setdefault(b"Content-Type", b"application/json")
        attempts = self.http.retries + 1
        for attempt in range(attempts):
            if self.http.halted:
                raise TargetError(f"{method} {path}: not sent, the run is stopping")
            last = attempt == attempts - 1
            try:
                # The writes gate outside the traffic gate: a request holding traffic while it waits for a cache
                # check's writes gate would hold up a quiet that the cache check's own next request waits for.
                # Both outside the place in flight: a request waiting for either takes no place.
                with (self.http.writes.shared() if method not in SAFE else nullcontext(),
                      nullcontext() if QUIET.get() else self.http.traffic.shared(),
                      self.http.limiter.slot(urgent=self.http.writes.held_apart())):
                    response = self.client.request(method, path, content=content, headers=send_headers,
                                                   extensions={TEMPLATE: template})
            except httpx.TransportError as error:
                safe = isinstance(error, httpx.ConnectError) or method in IDEMPOTENT
                if last or not safe:
                    raise TargetError(f"{method} {path}: {type(error).__name__}: {error}") from None
                self._backoff(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and method in IDEMPOTENT and not last:
                self._backoff(attempt, response.headers.get("Retry-After"))
                continue
            return Reply(response, partial(self.http.exchange, self.label, response, attempt))
        raise AssertionError("unreachable: the loop returns or raises")

    def call(
        self,
        operation: Operation,
        values: dict[str, Any],
        *,
        headers: Mapping[str, str | bytes] | None = None,
        body: Any = None,
        path_suffix: str = "",
    ) -> Reply:
        """Call a profile operation with ``values`` filling its templates (``body`` replaces the body); a
        ``path_suffix`` query (``?name=value``) joins the operation's own query."""
        payload = operation.render_body(values) if body is None else body
        path = operation.render_path(values)
        if path_suffix.startswith("?") and "?" in path:
            path_suffix = "&" + path_suffix[1:]
        sent = {**operation.render_headers(values), **(headers or {})}
        template = f"{operation.method} {operation.path.split('?', 1)[0]}"
        if payload is None or operation.body_format == "json":
            return self.request(operation.method, path + path_suffix, json_body=payload, headers=sent,
                                template=template)
        if operation.body_format == "form":
            content = urlencode({name: str(value) for name, value in payload.items()}).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            content = str(payload).encode()
            sent.setdefault("Content-Type", "text/plain; charset=utf-8")
        return self.request(operation.method, path + path_suffix, content=content, headers=sent, template=template)

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        self.http.tally(retried=1)
        delay = min(0.1 * 2**attempt, 5.0) * (1 + random.random() / 2)
        if retry_after:
            with suppress(ValueError):
                delay = min(float(retry_after), 30.0)
        time.sleep(delay)
