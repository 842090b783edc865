"""What the Ledger's tests share: orgs that speak through one client, a running Ledger with read-only SQL
and concurrent bursts, markers and the error shape."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx

from tenantcheck.ledger import RunningLedger
from tests.servers import IdentityClient, burst, marker

TIMEOUT = httpx.Timeout(10.0)
PASSWORD = "correct horse battery"


@dataclass
class Org:
    """A signed-up user and its org, with a client that speaks as it."""

    org_id: str
    user_id: str
    email: str
    token: str
    client: IdentityClient

    @property
    def invoices(self) -> str:
        """The path of this org's invoice collection."""
        return f"/orgs/{self.org_id}/invoices"

    def invoice(self, secret: str | None = None, *, title: str = "Invoice", amount: float = 100, **extra: Any) -> str:
        """Create an invoice (secret: a fresh marker); returns its id, from Location. Asserts 201, an empty
        body, and that the owner can read it back (the positive control of every scenario)."""
        response = self.client.post(self.invoices, json={"title": title, "secret": secret or marker(), "amount": amount,
                                                         **extra})
        assert response.status_code == 201 and response.content == b"", response.text
        location = response.headers["location"]
        assert location.startswith(f"{self.invoices}/"), location
        assert self.client.get(location).status_code == 200
        return location.rsplit("/", 1)[1]

    def attach(self, invoice_id: str, name: str, content: str) -> None:
        """Store an attachment (asserting 201 and that the owner reads it back)."""
        path = f"{self.invoices}/{invoice_id}/attachments/{name}"
        response = self.client.put(path, content=content.encode(), headers={"Content-Type": "text/plain"})
        assert response.status_code == 201 and response.content == b"", response.text
        assert self.client.get(path).text == content

    def note(self, body: str, subject: str = "Note") -> str:
        """Create a note with a form body; returns its id (asserting the owner reads it back)."""
        response = self.client.post("/notes", data={"subject": subject, "body": body})
        assert response.status_code == 201, response.text
        note_id = str(response.json()["note_id"])
        assert self.client.get(f"/notes/{note_id}").status_code == 200
        return note_id

    def events(self) -> list[dict[str, Any]]:
        """The audit events this org can read."""
        response = self.client.get("/audit")
        assert response.status_code == 200, response.text
        return list(response.json()["events"])


class Target:
    """A running Ledger: an anonymous client, an org factory and read-only SQL on its database."""

    def __init__(self, running: RunningLedger) -> None:
        self.running = running
        self.config = running.config
        self.http = httpx.Client(base_url=running.base_url, timeout=TIMEOUT)
        self.anon = IdentityClient(self.http, {})

    def signup(self, email: str, password: str = PASSWORD, org_name: str = "Org") -> httpx.Response:
        return self.anon.post("/auth/signup", json={"email": email, "password": password, "org_name": org_name})

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.anon.post("/auth/login", json={"email": email, "password": password})

    def org(self, label: str = "o") -> Org:
        """Sign up a fresh user (and with it an org), then log in."""
        email = f"{label}-{uuid.uuid4().hex[:10]}@example.test"
        signup = self.signup(email, org_name=f"Org {label}")
        assert signup.status_code == 201, signup.text
        user = signup.json()["user"]
        login = self.login(email)
        assert login.status_code == 200, login.text
        token = login.json()["session"]["token"]
        client = IdentityClient(self.http, {"Authorization": f"Bearer {token}"})
        return Org(org_id=user["org_id"], user_id=user["id"], email=email, token=token, client=client)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows read straight from the SQLite file, as an inspector would (read-only)."""
        with closing(sqlite3.connect(f"file:{self.running.database}?mode=ro", uri=True)) as conn:
            return conn.execute(query, params).fetchall()

    def burst(self, calls: list[tuple[Org, str]]) -> list[httpx.Response]:
        """GET every (org, path) at once, concurrently; the responses in the same order."""
        return burst(self.running.base_url, [(org.client, path) for org, path in calls])

    def close(self) -> None:
        self.http.close()


def error_of(response: httpx.Response) -> str:
    """The error code of a response, asserting the Ledger's error shape."""
    body = response.json()
    assert set(body) == {"error", "detail"} and isinstance(body["detail"], str), body
    return str(body["error"])
