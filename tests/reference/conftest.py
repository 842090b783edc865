"""Fixtures for the reference target's tests: real servers on loopback, shared, with fresh tenants per test.

Servers are expensive compared with tenants, so one server per configuration lives for the whole session
(per xdist worker) and every test makes its own tenants: state of other tests can never match its markers.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tenantcheck.reference import ReferenceConfig, RunningReference, running_reference
from tests.servers import IdentityClient, burst, marker, started_once

TIMEOUT = httpx.Timeout(10.0)


@dataclass
class Tenant:
    """A provisioned tenant and a client that speaks as it (token or header identity)."""

    tenant_id: str
    api_key: str
    client: IdentityClient
    identity: dict[str, str]

    def project(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        """Create a project named with a fresh marker; returns it (asserting 201)."""
        response = self.client.post("/api/projects", json={"name": name or marker(self.tenant_id), **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def file(self, project_id: str, path: str, content: str) -> dict[str, Any]:
        """Store a file in a project (asserting 201)."""
        response = self.client.post(
            f"/api/projects/{project_id}/files", json={"path": path, "content": content}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def deploy(self, project_id: str) -> dict[str, Any]:
        """Deploy a project (asserting 201)."""
        response = self.client.post(
            "/api/deploy", json={"project_id": project_id, "provider": "cloudflare-pages"}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def logs(self) -> list[dict[str, Any]]:
        """The tenant's own access-log entries."""
        response = self.client.get("/api/access-logs")
        assert response.status_code == 200, response.text
        body = response.json()
        return list(body if isinstance(body, list) else body["entries"])  # the bare shape has no envelope


@dataclass
class Target:
    """A running reference target with an admin client, an anonymous client and a tenant factory."""

    ref: RunningReference
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.ref.base_url, timeout=TIMEOUT)
        self.admin = self.client({"Authorization": f"Bearer {self.ref.admin_token}"})
        self.anon = self.client({})

    @property
    def config(self) -> ReferenceConfig:
        return self.ref.config

    def client(self, headers: dict[str, str]) -> IdentityClient:
        """A client with fixed headers (sharing this target's connection pool)."""
        return IdentityClient(self.http, headers)

    def tenant(self, label: str = "t") -> Tenant:
        """Provision a fresh tenant through the admin API."""
        tenant_id = f"{label}-{uuid.uuid4().hex[:10]}"
        response = self.admin.post(
            "/admin/tenants", json={"tenant_id": tenant_id, "name": f"Tenant {tenant_id}"}
        )
        assert response.status_code == 201, response.text
        api_key = response.json()["api_key"]
        identity = (
            {"Authorization": f"Bearer {api_key}"}
            if self.config.auth == "token"
            else {"X-Tenant-ID": tenant_id}
        )
        return Tenant(tenant_id=tenant_id, api_key=api_key, client=self.client(identity), identity=identity)

    def sql(self, query: str, params: tuple[Any, ...] = (), db: str = "d1.sqlite") -> list[tuple[Any, ...]]:
        """Rows read straight from a storage file, as an inspector would (read-only)."""
        uri = f"file:{self.ref.data_dir / db}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            return conn.execute(query, params).fetchall()

    def kv_keys(self, namespace: str, prefix: str = "") -> list[str]:
        """Keys of a KV namespace starting with prefix."""
        rows = self.sql(
            "SELECT key FROM kv_entries WHERE namespace = ? AND substr(key, 1, ?) = ? ORDER BY key",
            (namespace, len(prefix), prefix),
            db="kv.sqlite",
        )
        return [row[0] for row in rows]

    def burst(self, calls: list[tuple[Tenant, str]]) -> list[httpx.Response]:
        """GET every (tenant, path) at once, concurrently; the responses in the same order."""
        return burst(self.ref.base_url, [(tenant.client, path) for tenant, path in calls])

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def targets() -> Iterator[Callable[..., Target]]:
    """Factory: targets(**ReferenceConfig fields) -> a Target shared by every test asking for that config."""
    yield from started_once(lambda **options: running_reference(ReferenceConfig(**options)), Target)


@pytest.fixture
def fresh_target() -> Iterator[Callable[..., Target]]:
    """Factory for a target of this test alone (for tests that change the whole database, like restore)."""
    with ExitStack() as stack:

        def make(**options: Any) -> Target:
            target = Target(stack.enter_context(running_reference(ReferenceConfig(**options))))
            stack.callback(target.close)
            return target

        yield make


def error_code(response: httpx.Response) -> str:
    """The contract error code of a response (asserting the error shape)."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return str(body["error"]["code"])


@pytest.fixture
def code() -> Callable[[httpx.Response], str]:
    """error_code as a fixture (conftest helpers cannot be imported by test modules)."""
    return error_code
