"""Provisioning flows other than the admin API: sign-up then login; ids planned from the run id."""

from __future__ import annotations

import json

import httpx
import pytest

from tenantcheck.config.environment import load_environment
from tenantcheck.config.profile import Profile
from tenantcheck.engine.canaries import CanaryScanner
from tenantcheck.engine.http import Http
from tenantcheck.engine.redaction import Redactor
from tenantcheck.engine.tenants import RUN_TENANT, SignupProvisioner, of_run, planned_ids, tenant_labels

SIGNUP_PROFILE = {
    "name": "signup-app",
    "provisioning": {"signup": {
        "signup": {"method": "POST", "path": "/auth/signup",
                   "body": {"org": "{tenant_id}", "email": "{email}", "password": "{password}"}},
        "login": {"method": "POST", "path": "/auth/login", "body": {"email": "{email}", "password": "{password}"}},
        "token_field": "session.token",
        "tenant_id_field": "org",
    }},
}


def test_signup_then_login_yields_the_token_the_chosen_id_and_a_renewal() -> None:
    accounts: dict[str, str] = {}
    logins: list[str] = []

    def app(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path == "/auth/signup":
            accounts[body["email"]] = body["password"]
            return httpx.Response(201, json={"org": body["org"]})
        if accounts.get(body["email"]) == body["password"]:
            logins.append(body["email"])
            return httpx.Response(200, json={"session": {"token": f"tok-{body['email']}-{len(logins)}"}})
        return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no"}})

    profile = Profile.model_validate(SIGNUP_PROFILE)
    redactor = Redactor()
    with Http("http://127.0.0.1:9", rate=100, concurrency=2, timeout=5, retries=0, scanner=CanaryScanner(),
              redactor=redactor, on_leak=lambda *a: None, transport=httpx.MockTransport(app)) as http:
        account = SignupProvisioner(profile, http.actor("anonymous"), redactor).create("tc-12345678-a", "Acme")
        assert account.secret == "tok-tc-12345678-a@example.test-1"
        assert account.tenant_id == "tc-12345678-a"  # the sign-up answer's "org"
        assert account.renew is not None and account.renew() == "tok-tc-12345678-a@example.test-2"
    password = accounts["tc-12345678-a@example.test"]
    assert password not in redactor.text(f"password={password}")  # never in an artifact


def test_planned_ids_carry_the_run_and_nest() -> None:
    env = load_environment("local")
    ids = planned_ids(env, "12345678", "", tenant_labels(3))
    assert ids == ["tc-12345678-a", "tc-12345678-ab", "tc-12345678-ac"]
    assert all(RUN_TENANT.match(i) and of_run(i, "12345678") for i in ids)
    assert planned_ids(env, "12345678", "w1", tenant_labels(2)) == ["tc-12345678-w1-a", "tc-12345678-w1-ab"]


def test_labels_stay_valid_beyond_26() -> None:
    labels = tenant_labels(30)
    assert labels[:2] == ["tenant-a", "tenant-b"] and labels[26:28] == ["tenant-aa", "tenant-ab"]
    assert len(set(labels)) == 30


@pytest.mark.parametrize(("tenant_id", "run_id", "belongs"), [
    ("tc-release-1-ab", "release-1", True),
    ("tc-rel-w1-a", "rel", True),       # worker w1 of run rel
    ("tc-rel-2-a", "rel", False),       # run rel-2, not rel
    ("tc-rel-2-a", "rel-2", True),
    ("tcseed-rel-a", "rel", False),     # seeded tenants are never a run's
    ("tc-rel-a", "re", False),
])
def test_tenants_are_told_apart_by_run_id(tenant_id: str, run_id: str, belongs: bool) -> None:
    assert of_run(tenant_id, run_id) is belongs
