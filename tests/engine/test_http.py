"""The HTTP client: retries for transient failures (idempotent only), rate limit, redaction, evidence."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tenantcheck.config.profile import Operation
from tenantcheck.engine.canaries import CanaryScanner
from tenantcheck.engine.http import CredentialAuth, Http, Limiter
from tenantcheck.engine.redaction import Redactor
from tenantcheck.errors import NotApplicable, TargetError
from tenantcheck.reference import ReferenceConfig, running_reference


def make_http(
    transport: httpx.BaseTransport | None = None, base_url: str = "http://127.0.0.1:9", **kwargs: object
) -> Http:
    options: dict[str, object] = {"rate": 1000.0, "concurrency": 8, "timeout": 5.0, "retries": 2}
    options.update(kwargs)
    leaks: list[object] = []
    return Http(base_url, scanner=CanaryScanner(), redactor=Redactor(), on_leak=lambda *a: leaks.append(a),
                transport=transport, **options)  # type: ignore[arg-type]


class Peak:
    """The most threads at once inside ``stay`` (each stays ``seconds``, so that overlapping ones meet)."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.inside = 0
        self.most = 0
        self._lock = threading.Lock()

    def stay(self) -> None:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(self.seconds)
        with self._lock:
            self.inside -= 1


def scripted(statuses: list[int], headers: dict[str, str] | None = None) -> tuple[httpx.MockTransport, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        status = statuses[min(len(seen) - 1, len(statuses) - 1)]
        return httpx.Response(status, headers=headers if status == 429 else None, json={"n": len(seen)})

    return httpx.MockTransport(handler), seen


def test_429_with_retry_after_is_retried_for_get() -> None:
    transport, seen = scripted([429, 503, 200], {"Retry-After": "0"})
    with make_http(transport) as http:
        reply = http.actor("tenant-a").request("GET", "/api/projects")
    assert reply.status == 200 and len(seen) == 3
    assert reply.exchange.retries == 2 and http.retried == 2


def test_post_is_not_retried_on_503() -> None:
    transport, seen = scripted([503, 200])
    with make_http(transport) as http:
        reply = http.actor("tenant-a").request("POST", "/api/projects", json_body={"name": "x"})
    assert reply.status == 503 and seen == ["POST"]


def test_retry_budget_ends_with_the_last_answer() -> None:
    transport, seen = scripted([503])
    with make_http(transport, retries=1) as http:
        reply = http.actor("tenant-a").request("GET", "/x")
    assert reply.status == 503 and len(seen) == 2


def test_connect_error_becomes_target_error_after_retries() -> None:
    attempts: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        raise httpx.ConnectError("connection refused", request=request)

    with make_http(httpx.MockTransport(refuse), retries=2) as http, pytest.raises(TargetError, match="ConnectError"):
        http.actor("tenant-a").request("POST", "/x", json_body={})
    assert len(attempts) == 3  # a connect error is safe to retry even for POST: nothing was sent


def test_writes_are_refused_when_the_environment_says_so() -> None:
    transport, seen = scripted([200])
    with make_http(transport, write_refusal="production: writes need --allow-production-writes") as http:
        with pytest.raises(NotApplicable, match="allow-production-writes"):
            http.actor("tenant-a").request("DELETE", "/api/projects/1")
        assert http.actor("tenant-a").request("GET", "/api/projects").status == 200
    assert seen == ["GET"]


def test_evidence_is_redacted_and_curl_keeps_variables() -> None:
    transport, _ = scripted([200])
    with make_http(transport) as http:
        http.redactor.add("key-of-a-123", "TENANT_A_KEY")
        actor = http.actor("tenant-a", CredentialAuth("Authorization", "Bearer key-of-a-123"))
        reply = actor.request("PUT", "/api/projects/p1", json_body={"name": "it's key-of-a-123"})
    exchange = reply.exchange
    assert exchange.request_headers["authorization"] == "Bearer $TENANT_A_KEY"
    assert "key-of-a-123" not in str(exchange.to_dict())
    assert exchange.curl() == ("curl -sS -i -X PUT http://127.0.0.1:9/api/projects/p1 "
                               "-H 'content-type: application/json' -H \"authorization: Bearer $TENANT_A_KEY\" "
                               "--data-raw \"{\\\"name\\\": \\\"it's $TENANT_A_KEY\\\"}\"")


def test_unattributed_credentials_are_replaced_whole() -> None:
    assert Redactor().headers({"Cookie": "session=abc", "X-Other": "fine"}) == {"Cookie": "[redacted]",
                                                                                "X-Other": "fine"}


def test_redirects_are_not_followed() -> None:
    transport, _ = scripted([302])
    with make_http(transport) as http:
        assert http.actor("tenant-a").request("GET", "/x").status == 302


def test_timeouts_against_a_slow_target_are_retried_then_inconclusive() -> None:
    with running_reference(ReferenceConfig(latency_ms=400)) as target:
        with make_http(base_url=target.base_url, timeout=0.1, retries=2) as http:
            with pytest.raises(TargetError, match="ReadTimeout"):
                http.actor("anonymous").request("GET", "/api/health")
            assert http.retried == 2
        with make_http(base_url=target.base_url, timeout=5.0) as patient:
            assert patient.actor("anonymous").request("GET", "/api/health").status == 200


def count_per_second(calls: int, rate: float, target_url: str) -> tuple[float, int]:
    with make_http(base_url=target_url, rate=rate, concurrency=8) as http:
        actor = http.actor("anonymous")
        started = time.monotonic()
        replies = http.gather([lambda: actor.request("GET", "/api/health") for _ in range(calls)])
    return time.monotonic() - started, sum(reply.status == 200 for reply in replies)


def test_rate_limit_spaces_requests_at_the_target() -> None:
    with running_reference(ReferenceConfig(latency_ms=20)) as target:
        elapsed, ok = count_per_second(30, 20.0, target.base_url)
    assert ok == 30
    # 30 requests at 20/s cannot finish before 29 intervals of 50 ms have passed.
    assert elapsed >= 29 / 20.0


def test_concurrency_cap_bounds_requests_in_flight() -> None:
    peak = Peak()

    def handler(request: httpx.Request) -> httpx.Response:
        peak.stay()
        return httpx.Response(200)

    with make_http(httpx.MockTransport(handler), concurrency=3) as http:
        actor = http.actor("tenant-a")
        calls: list[Callable[[], object]] = [lambda: actor.request("GET", "/x") for _ in range(12)]
        http.gather(calls)
    assert peak.most == 3


def token_checker(valid: set[str]) -> tuple[httpx.MockTransport, list[str]]:
    """A target that accepts only the bearer tokens in ``valid`` (401 otherwise)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "")
        seen.append(token)
        return httpx.Response(200 if token in valid else 401, json={})

    return httpx.MockTransport(handler), seen


def test_an_urgent_request_takes_the_next_free_place_before_others_waiting() -> None:
    """A request sent under the writes gate held apart (a cache check every write waits for) goes before
    requests that queued earlier; the cap on requests in flight still holds."""
    limiter = Limiter(rate=1000, concurrency=1)
    order: list[str] = []

    def take(name: str, urgent: bool) -> None:
        with limiter.slot(urgent=urgent):
            order.append(name)

    with limiter.slot():  # the one place is taken
        others = [threading.Thread(target=take, args=(f"plain-{i}", False)) for i in range(3)]
        for thread in others:
            thread.start()
        time.sleep(0.05)  # the plain requests queue first
        urgent = threading.Thread(target=take, args=("urgent", True))
        urgent.start()
        time.sleep(0.05)  # it queues behind them
    for thread in [*others, urgent]:
        thread.join(5)
    assert order[0] == "urgent" and sorted(order[1:]) == ["plain-0", "plain-1", "plain-2"]


def test_only_an_https_target_loads_the_ca_store() -> None:
    """An http target's clients get a context that trusts no certificate (nothing to load; an https URL
    reached anyway fails verification); an https target's, the CA store, verified with host names."""
    with make_http(base_url="http://127.0.0.1:9") as plain, make_http(base_url="https://127.0.0.1:9") as tls:
        assert plain._tls_context().get_ca_certs() == [] and plain._tls_context().verify_mode == ssl.CERT_REQUIRED
        assert tls._tls_context().get_ca_certs() and tls._tls_context().check_hostname


def test_within_quiet_only_the_holders_requests_reach_the_target() -> None:
    """While a check holds the quiet, other threads' requests wait, even when they fill the shared pool of
    ``gather``; the holder's own gathered requests go out meanwhile, and the others after it."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200)

    with make_http(httpx.MockTransport(handler), concurrency=2) as http:
        actor = http.actor("tenant-a")
        others = threading.Thread(target=http.gather, args=([lambda: actor.request("GET", "/other")] * 6,))
        with http.quiet():
            others.start()
            time.sleep(0.05)  # the others take both threads of the shared pool, and wait
            http.gather([lambda: actor.request("GET", "/mine")] * 4)
            during = list(paths)
        others.join(5)
    assert during == ["/mine"] * 4
    assert paths[4:] == ["/other"] * 6


def test_an_expired_token_is_renewed_once_and_the_request_sent_again() -> None:
    transport, seen = token_checker({"Bearer fresh"})
    renewals: list[str] = []

    def renew() -> str:
        renewals.append("login")
        return "fresh"

    with make_http(transport) as http:
        actor = http.actor("tenant-a", CredentialAuth("Authorization", "stale", format="Bearer {}", renewer=renew))
        assert actor.request("GET", "/x").status == 200
        assert actor.request("GET", "/y").status == 200  # the renewed token stays
    assert seen == ["Bearer stale", "Bearer fresh", "Bearer fresh"] and renewals == ["login"]


def test_a_401_that_persists_is_the_answer_after_one_renewal() -> None:
    transport, seen = token_checker(set())
    with make_http(transport) as http:
        actor = http.actor("tenant-a", CredentialAuth("Authorization", "a", format="Bearer {}", renewer=lambda: "b"))
        assert actor.request("GET", "/x").status == 401
    assert seen == ["Bearer a", "Bearer b"]


def test_form_and_text_bodies_and_query_templates() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, headers={"Location": "/orgs/o1/invoices/inv%201?x=1"})

    form = Operation(method="POST", path="/notes", body={"subject": "{s}"}, body_format="form",
                     query={"lang": "{lang}"}, headers={"X-Trace": "t-{s}"})
    text = Operation(method="PUT", path="/a/{name}", body="{content}", body_format="text")
    with make_http(httpx.MockTransport(handler)) as http:
        actor = http.actor("tenant-a")
        reply = actor.call(form, {"s": "hi there", "lang": "en"})
        actor.call(text, {"name": "n1", "content": "héllo"}, path_suffix="?v=1")
    assert reply.location_id() == "inv 1"
    assert sent[0].url.path == "/notes" and sent[0].url.params["lang"] == "en"
    assert sent[0].content == b"subject=hi+there" and sent[0].headers["x-trace"] == "t-hi there"
    assert sent[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent[1].content == "héllo".encode() and sent[1].headers["content-type"].startswith("text/plain")
    assert str(sent[1].url).endswith("/a/n1?v=1")
