"""The ``cloudflare-api`` backend against recorded shapes of Cloudflare's D1 query and KV list-keys
endpoints (httpx MockTransport: no request leaves the process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tenantcheck.config.environment import Inspector, load_environment
from tenantcheck.errors import ConfigError
from tenantcheck.inspectors import FILES, InspectorError, ReadOnlyViolation
from tenantcheck.inspectors.cloudflare import CloudflareApiInspector, cloudflare_inspector

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "cf-token-never-printed"
DATABASE = "5d7f1c2e-0000-4000-8000-000000000001"
FILES_NS = "f" * 32

Handler = Callable[[httpx.Request], httpx.Response]


def envelope(result: Any, *, success: bool = True, errors: list[dict[str, Any]] | None = None,
             result_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """The v4 API's envelope, as Cloudflare answers."""
    body: dict[str, Any] = {"errors": errors or [], "messages": [], "result": result, "success": success}
    if result_info is not None:
        body["result_info"] = result_info
    return body


D1_ANSWER = envelope([{
    "meta": {"changed_db": False, "changes": 0, "duration": 0.2, "last_row_id": 0, "rows_read": 2,
             "rows_written": 0, "served_by_primary": True, "size_after": 53248},
    "results": [{"id": "prj_1", "tenant_id": "acme"}, {"id": "prj_2", "tenant_id": "globex"}],
    "success": True}])


def inspector_with(handler: Handler, sleeps: list[float] | None = None) -> CloudflareApiInspector:
    return CloudflareApiInspector(account_id=ACCOUNT, api_token=TOKEN, database_id=DATABASE,
                                  namespaces={FILES: FILES_NS}, transport=httpx.MockTransport(handler),
                                  sleep=(sleeps if sleeps is not None else []).append)


def test_d1_query_posts_sql_and_params_with_the_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=D1_ANSWER)

    with inspector_with(handler) as inspector:
        rows = inspector.query("SELECT id, tenant_id FROM projects WHERE id IN (?, ?)", ["prj_1", "prj_2"])
    assert rows == [{"id": "prj_1", "tenant_id": "acme"}, {"id": "prj_2", "tenant_id": "globex"}]
    [request] = seen
    assert request.method == "POST"
    assert request.url.path == f"/client/v4/accounts/{ACCOUNT}/d1/database/{DATABASE}/query"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {"sql": "SELECT id, tenant_id FROM projects WHERE id IN (?, ?)",
                                           "params": ["prj_1", "prj_2"]}


def test_writes_never_reach_the_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("a refused statement was sent")

    with inspector_with(handler) as inspector, pytest.raises(ReadOnlyViolation):
        inspector.query("SELECT 1; DELETE FROM projects")


def test_kv_keys_follow_the_cursor_through_every_page() -> None:
    pages = {
        "": envelope([{"name": "acme:prj_1:a.md"}, {"name": "acme:prj_1:b.md", "expiration": 1893456000}],
                     result_info={"count": 2, "cursor": "6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHZZmORS"}),
        "6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHZZmORS": envelope(
            [{"name": "acme:prj_2:c.md", "metadata": {"someMetadataKey": "someValue"}}],
            result_info={"count": 1, "cursor": ""}),
    }
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=pages[request.url.params.get("cursor", "")])

    with inspector_with(handler) as inspector:
        assert inspector.kv_keys(FILES, prefix="acme:") == ["acme:prj_1:a.md", "acme:prj_1:b.md", "acme:prj_2:c.md"]
    assert [url.path for url in seen] == [f"/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{FILES_NS}/keys"] * 2
    assert all(url.params["prefix"] == "acme:" and url.params["limit"] == "1000" for url in seen)
    assert "cursor" not in seen[0].params and seen[1].params["cursor"] == "6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHZZmORS"


def test_a_repeated_cursor_is_an_error_not_an_endless_loop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=envelope([{"name": "k"}], result_info={"count": 1, "cursor": "same"}))

    with inspector_with(handler) as inspector, pytest.raises(InspectorError, match="same cursor twice"):
        inspector.kv_keys(FILES)


ERRORS = {
    "bad-token": (400, envelope(None, success=False, errors=[{"code": 6003, "message": "Invalid request headers"}]),
                  "6003: Invalid request headers"),
    "no-permission": (403, envelope(None, success=False, errors=[{"code": 10000, "message": "Authentication error"}]),
                      "lacks D1/KV read permission"),
    "unknown-database": (404, envelope(None, success=False, errors=[{"code": 7404, "message": "database not found"}]),
                         "check account_id"),
    "sql-error": (400, envelope(None, success=False, errors=[{"code": 7500, "message":
                                                              "no such table: projectz: SQLITE_ERROR"}]),
                  "no such table: projectz"),
    "not-json": (502, None, "not a Cloudflare API answer"),
    "failed-statement": (200, envelope([{"results": [], "success": False, "error": "D1_ERROR"}]), "failed"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_become_clear_inspector_errors(name: str) -> None:
    status, body, expected = ERRORS[name]
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, text="<html>Bad gateway</html>")
        return httpx.Response(status, json=body)

    with inspector_with(handler, sleeps) as inspector, pytest.raises(InspectorError) as caught:
        inspector.query("SELECT * FROM projects")
    assert expected in str(caught.value)
    assert TOKEN not in str(caught.value) and ACCOUNT not in str(caught.value)
    assert len(sleeps) == (3 if status >= 500 else 0)  # bounded retries, for server errors only


def test_rate_limit_is_retried_after_the_servers_delay() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}, json=envelope(None, success=False, errors=[
        {"code": 971, "message": "Please wait and consider throttling your request speed"}])),
        httpx.Response(200, json=D1_ANSWER)])
    sleeps: list[float] = []
    with inspector_with(lambda request: next(answers), sleeps) as inspector:
        assert len(inspector.query("SELECT 1")) == 2
    assert sleeps == [2.0]


def test_unreachable_api_names_no_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with inspector_with(handler) as inspector, pytest.raises(InspectorError, match="unreachable") as caught:
        inspector.kv_keys(FILES)
    assert ACCOUNT not in str(caught.value)


def test_section_with_secret_references(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Given ids and ${VAR} secrets in an environment file, the backend reads them from the environment."""
    monkeypatch.setenv("TC_TEST_CF_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("TC_TEST_CF_TOKEN", TOKEN)
    path = tmp_path / "prod.toml"
    path.write_text('[target]\nbase_url = "https://pom-bolt.example"\n[provisioning]\nmethod = "header"\n'
                    '[inspector]\nkind = "cloudflare-api"\naccount_id = "${TC_TEST_CF_ACCOUNT}"\n'
                    f'api_token = "${{TC_TEST_CF_TOKEN}}"\ndatabase = "{DATABASE}"\nfiles_namespace = "{FILES_NS}"\n'
                    f'cache_namespace = "{"c" * 32}"\n')
    section = load_environment(str(path)).inspector
    assert section is not None and TOKEN not in repr(section)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope([], result_info={"count": 0, "cursor": ""}))

    with cloudflare_inspector(section, transport=httpx.MockTransport(handler)) as inspector:
        assert inspector.kv_keys("CACHE") == []
    assert seen[0].url.path.endswith(f"/namespaces/{'c' * 32}/keys")
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(("body", "message"), [
    ('kind = "cloudflare-api"\ndatabase = "x"\n', "needs account_id, api_token, files_namespace, cache_namespace"),
    ('kind = "wrangler"\n', "needs database"),
    ('kind = "sqlite"\nbogus = 1\n', "[inspector] unknown key 'bogus'"),
])
def test_incomplete_sections_are_configuration_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "env.toml"
    path.write_text(f'[target]\nembedded = true\n[inspector]\n{body}')
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_environment(str(path))


def test_inspector_model_keeps_secrets_out_of_its_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_TEST_CF_TOKEN", TOKEN)
    section = Inspector.model_validate({"kind": "wrangler", "database": "db", "api_token": "${TC_TEST_CF_TOKEN}"})
    assert TOKEN not in repr(section) and section.api_token is not None and section.api_token.get() == TOKEN
