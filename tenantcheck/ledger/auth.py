"""Sign-up, login and sessions, and resolving a request's caller from `Authorization: Bearer <token>`.

Tokens are random, stored only as their sha256, and expire after `token_ttl` seconds (401 `token_expired`).
The identity flaws live here: `anonymous-default-org`, `org-header-honored`, `request-state-shared`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import re
import secrets
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantcheck.ledger.bodies import read_json, text_field
from tenantcheck.ledger.errors import LedgerError, invalid_field, unauthorized
from tenantcheck.ledger.runtime import Call, Caller, Ledger
from tenantcheck.reference.d1 import new_id, now_iso

PBKDF2_ITERATIONS = 1_000
"""Low on purpose: a test target that provisions hundreds of users per run, not a vault (OWASP asks for
600 000). What matters to the harness is that the users table never holds a password."""

SHARED_STATE_WINDOW_S = 0.005
"""How long a `request-state-shared` request waits between storing and reading the shared caller."""

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_CHARS = 8
ORG_HEADER = "x-org-id"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`: what the users table stores."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether password matches a stored hash (constant-time comparison)."""
    _, iterations, salt, expected = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # checked for unknown emails, so timing says little


def token_hash(token: str) -> str:
    """sha256 hex of a session token: what the sessions table stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- who is calling ------------------------------------------------------------------------------------


async def identify(ledger: Ledger, request: Request) -> Caller:
    """The caller of a request, or a 401."""
    authorization = request.headers.getlist("authorization")
    caller = _session_caller(ledger, authorization) if authorization else _anonymous_caller(ledger)
    claimed = request.headers.get(ORG_HEADER)
    if claimed and ledger.config.has("org-header-honored"):
        caller = dataclasses.replace(caller, org_id=claimed)
    if ledger.config.has("request-state-shared"):
        ledger.current_caller = caller
        await asyncio.sleep(SHARED_STATE_WINDOW_S)  # any await would do; this one makes the window real
        assert ledger.current_caller is not None
        caller = ledger.current_caller
    return caller


def _session_caller(ledger: Ledger, authorization: list[str]) -> Caller:
    scheme, _, token = authorization[0].strip().partition(" ")
    token = token.strip()
    if len(authorization) > 1 or scheme.lower() != "bearer" or not token:
        raise unauthorized("expected one 'Authorization: Bearer <token>' header")
    session = ledger.db.row(
        "SELECT s.user_id, s.org_id, s.expires_at, u.email FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ?",
        (token_hash(token),),
    )
    if session is None:
        raise unauthorized("unknown session token")
    if session["expires_at"] <= time.time():
        raise unauthorized("the session token has expired; log in again", code="token_expired")
    return Caller(user_id=session["user_id"], email=session["email"], org_id=session["org_id"])


def _anonymous_caller(ledger: Ledger) -> Caller:
    if ledger.config.has("anonymous-default-org"):
        # The bug: "no user? use the first one" (a seed or demo fallback that shipped).
        first = ledger.db.row("SELECT id, email, org_id FROM users ORDER BY rowid LIMIT 1")
        if first is not None:
            return Caller(user_id=first["id"], email=first["email"], org_id=first["org_id"])
    raise unauthorized("this request needs 'Authorization: Bearer <token>'")


# --- endpoints -----------------------------------------------------------------------------------------


async def signup(request: Request, ledger: Ledger) -> Response:
    """POST /auth/signup {email, password, org_name}: a new user in a new org (201), 409 for a known email."""
    body = await read_json(request)
    email = _email(body)
    password = _password(body)
    org_name = text_field(body, "org_name", max_chars=200) or ""
    password_hash = await asyncio.to_thread(hash_password, password)
    user = {"id": new_id("usr"), "email": email, "org_id": new_id("org")}
    with ledger.db.transaction():
        if ledger.db.row("SELECT 1 FROM users WHERE email = ?", (email,)) is not None:
            raise LedgerError(409, "email_taken", "a user with this email exists")
        now = now_iso()
        ledger.db.execute("INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)", (user["org_id"], org_name, now))
        ledger.db.execute(
            "INSERT INTO users (id, org_id, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            (user["id"], user["org_id"], email, password_hash, now),
        )
    return JSONResponse({"user": user}, status_code=201)


async def login(request: Request, ledger: Ledger) -> Response:
    """POST /auth/login {email, password}: a session token valid for token_ttl seconds, or 401."""
    body = await read_json(request)
    email = _email(body)
    password = text_field(body, "password", max_chars=200, allow_blank=True) or ""
    user = ledger.db.row("SELECT id, org_id, password_hash FROM users WHERE email = ?", (email,))
    matches = await asyncio.to_thread(verify_password, password, user["password_hash"] if user else _DUMMY_HASH)
    if user is None or not matches:
        raise unauthorized("wrong email or password", code="invalid_credentials")
    token = f"lg_{secrets.token_urlsafe(32)}"
    ttl = ledger.config.token_ttl
    with ledger.db.transaction():
        ledger.db.execute(
            "INSERT INTO sessions (token_hash, user_id, org_id, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash(token), user["id"], user["org_id"], time.time() + ttl),
        )
    expires_in = int(ttl) if ttl == int(ttl) else ttl
    return JSONResponse({"session": {"token": token, "expires_in": expires_in}})


def me(call: Call) -> Response:
    """GET /me: the caller and its org."""
    org = call.db.row("SELECT id, name FROM orgs WHERE id = ?", (call.caller.org_id,))
    user = {"id": call.caller.user_id, "email": call.caller.email, "org_id": call.caller.org_id}
    return JSONResponse({"user": user, "org": org or {"id": call.caller.org_id, "name": None}})


def _email(body: dict[str, object]) -> str:
    email = (text_field(body, "email", max_chars=254) or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise invalid_field("'email' must look like name@domain")
    return email


def _password(body: dict[str, object]) -> str:
    password = text_field(body, "password", max_chars=200, allow_blank=True) or ""
    if len(password) < MIN_PASSWORD_CHARS:
        raise invalid_field(f"'password' must have at least {MIN_PASSWORD_CHARS} characters")
    return password
