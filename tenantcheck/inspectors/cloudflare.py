"""The ``cloudflare-api`` backend: D1's query endpoint and KV's list-keys endpoint of the Cloudflare API.

For preview and production storage where no wrangler project is at hand (a CI job with an API token).
The token is a ``${VAR}`` reference resolved from the environment; it travels only in the Authorization
header and never appears in a message. Give it the narrowest scope that reads: "D1 Read" and
"Workers KV Storage Read" (the read-only guard refuses writes anyway, see ``readonly.py``).

Shapes (what the tests record): every answer is ``{"success", "errors": [{"code", "message"}], "messages",
"result"}``; a D1 query's ``result`` is a list of statement results ``{"results": [rows], "success",
"meta"}``; a key listing's ``result`` is ``[{"name", "expiration"?, "metadata"?}]`` with
``result_info.cursor`` naming the next page ("" on the last one).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from tenantcheck.config.environment import Inspector
from tenantcheck.inspectors.base import CACHE, FILES, InspectorError, Row, StorageInspector
from tenantcheck.inspectors.readonly import check_select

API = "https://api.cloudflare.com/client/v4"
PAGE = 1000
MAX_PAGES = 10_000
RETRIES = 3
MAX_WAIT = 10.0


class CloudflareApiInspector(StorageInspector):
    """Reads D1 and KV of one Cloudflare account through its REST API."""

    kind = "cloudflare-api"

    def __init__(self, *, account_id: str, api_token: str, database_id: str, namespaces: dict[str, str],
                 transport: httpx.BaseTransport | None = None, base_url: str = API, timeout: float = 30.0,
                 sleep: Any = time.sleep) -> None:
        self.database_id = database_id
        self.namespaces = namespaces
        self._sleep = sleep
        self._http = httpx.Client(base_url=f"{base_url}/accounts/{account_id}", transport=transport,
                                  headers={"Authorization": f"Bearer {api_token}"},
                                  timeout=httpx.Timeout(timeout), follow_redirects=False)

    def describe(self) -> str:
        return f"cloudflare-api (D1 {self.database_id})"

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        check_select(sql)
        result = self._call("POST", f"/d1/database/{self.database_id}/query", f"D1 query on {self.database_id}",
                            json={"sql": sql, "params": list(params)})
        statements = result.get("result")
        if not isinstance(statements, list) or not statements or not isinstance(statements[-1], dict):
            raise InspectorError(f"D1 query on {self.database_id}: unexpected answer shape {str(result)[:200]}")
        last = statements[-1]
        if last.get("success") is False:
            raise InspectorError(f"D1 query on {self.database_id} failed: {str(last)[:300]}")
        rows = last.get("results")
        if not isinstance(rows, list):
            raise InspectorError(f"D1 query on {self.database_id}: no results in {str(last)[:200]}")
        return [dict(row) for row in rows]

    def kv_keys(self, namespace: str, prefix: str = "") -> list[str]:
        namespace_id = self.namespaces.get(namespace, namespace)
        what = f"KV key listing of namespace {namespace_id}"
        keys: list[str] = []
        cursor = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params = {"limit": str(PAGE), "prefix": prefix, **({"cursor": cursor} if cursor else {})}
            page = self._call("GET", f"/storage/kv/namespaces/{namespace_id}/keys", what, params=params)
            entries = page.get("result")
            if not isinstance(entries, list):
                raise InspectorError(f"{what}: unexpected answer shape {str(page)[:200]}")
            keys += [str(entry["name"]) for entry in entries if isinstance(entry, dict) and "name" in entry]
            cursor = str((page.get("result_info") or {}).get("cursor") or "")
            if not cursor:
                return keys
            if cursor in seen:
                raise InspectorError(f"{what}: the API returned the same cursor twice")
            seen.add(cursor)
        raise InspectorError(f"{what}: more than {MAX_PAGES} pages of {PAGE} keys; list a narrower prefix")

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """One API call with bounded retries on 429 and 5xx; any failure is an ``InspectorError``."""
        for attempt in range(RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as error:
                if attempt < RETRIES:
                    self._sleep(min(2.0 ** attempt, MAX_WAIT))
                    continue
                raise InspectorError(f"{what}: Cloudflare API unreachable: {type(error).__name__}") from None
            if (response.status_code == 429 or response.status_code >= 500) and attempt < RETRIES:
                self._sleep(retry_after(response, attempt))
                continue
            return parse(response, what)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        self._http.close()


def retry_after(response: httpx.Response, attempt: int) -> float:
    """Seconds to wait before a retry: the server's ``Retry-After`` (capped), else exponential."""
    header = response.headers.get("retry-after", "")
    return min(float(header), MAX_WAIT) if header.replace(".", "", 1).isdigit() else min(2.0 ** attempt, MAX_WAIT)


def parse(response: httpx.Response, what: str) -> dict[str, Any]:
    """The answer's JSON when it succeeded; otherwise an ``InspectorError`` with Cloudflare's own errors."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InspectorError(f"{what}: HTTP {response.status_code}, not a Cloudflare API answer: "
                             f"{response.text[:200]!r}")
    if response.is_success and body.get("success") is not False:
        return body
    errors = "; ".join(f"{error.get('code')}: {error.get('message')}" for error in body.get("errors") or []
                       if isinstance(error, dict)) or "no error details"
    hint = {401: " (check the API token)", 403: " (the API token lacks D1/KV read permission for this account)",
            404: " (check account_id, database and namespace ids)"}.get(response.status_code, "")
    raise InspectorError(f"{what}: HTTP {response.status_code}: {errors}{hint}")


def cloudflare_inspector(section: Inspector, *, transport: httpx.BaseTransport | None = None) -> CloudflareApiInspector:
    """The ``cloudflare-api`` inspector of an ``[inspector]`` section (its ids validated at load)."""
    if section.account_id is None or section.api_token is None or section.database is None:
        raise InspectorError('kind = "cloudflare-api" needs account_id, api_token and database')
    return CloudflareApiInspector(
        account_id=section.account_id.get(), api_token=section.api_token.get(), database_id=section.database,
        namespaces={FILES: section.files_namespace or FILES, CACHE: section.cache_namespace or CACHE},
        transport=transport)
