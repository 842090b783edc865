"""Test tenants: who they are, how they come into being on the target, and how they go away.

Labels (``tenant-a``) are stable and appear in check ids and fingerprints; tenant ids carry the run id
(``tc-<run>-a``) so that everything a run creates can be found and removed later.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import Profile
from tenantcheck.engine.http import Actor, Reply
from tenantcheck.engine.redaction import Redactor
from tenantcheck.errors import Inconclusive

RUN_TENANT = re.compile(r"^tc-[a-z0-9][a-z0-9-]*-[a-z]+$")  # what planned_ids makes: tc-<run>[-w<N>]-<letters>


def of_run(tenant_id: str, run_id: str) -> bool:
    """Whether ``planned_ids`` made ``tenant_id`` for ``run_id`` (on any worker). Run ids may hold '-', so
    a prefix test is not enough: run ``rel``'s tenants are not run ``rel-2``'s."""
    return re.fullmatch(rf"tc-{re.escape(run_id)}(-w[0-9]+)?-[a-z]+", tenant_id) is not None


def tenant_labels(count: int) -> list[str]:
    """``tenant-a``, ``tenant-b``, ... then ``tenant-aa``: stable, ``pytest -k`` friendly labels."""
    letters = string.ascii_lowercase
    labels = []
    for index in range(count):
        suffix = letters[index % 26] if index < 26 else letters[index // 26 - 1] + letters[index % 26]
        labels.append(f"tenant-{suffix}")
    return labels


def secret_variable(label: str) -> str:
    """The shell variable a tenant's key is shown as in evidence: ``tenant-a`` -> ``TENANT_A_KEY``."""
    return label.upper().replace("-", "_") + "_KEY"


@dataclass(frozen=True, kw_only=True)
class Account:
    """What provisioning a tenant gave: its id on the target (when the target chose it), its secret, and
    a way to get a fresh secret when the old one expires."""

    tenant_id: str | None = None
    secret: str | None = None
    renew: Callable[[], str] | None = None


@dataclass(kw_only=True)
class Tenant:
    label: str
    tenant_id: str
    name: str
    marker: str
    secret: str | None = None
    renew: Callable[[], str] | None = field(default=None, repr=False)
    actor: Actor | None = field(default=None, repr=False)

    @property
    def client(self) -> Actor:
        if self.actor is None:
            raise Inconclusive(f"{self.label} has no client (provisioning did not finish)")
        return self.actor


class Provisioner(Protocol):
    """Creates tenants on the target and removes them again."""

    removes_data: bool  # whether ``remove`` also deletes everything the tenant owns
    creates: str  # what it makes that outlives the run when it cannot remove it ("" for nothing)

    def create(self, tenant_id: str, name: str) -> Account: ...

    def remove(self, tenant_id: str) -> None: ...


class AdminApiProvisioner:
    """``POST``/``DELETE`` on the profile's admin API, with the admin token."""

    removes_data = True
    creates = "tenants"

    def __init__(self, profile: Profile, admin: Actor) -> None:
        if profile.provisioning.admin is None:
            raise Inconclusive("the environment provisions through an admin API, but the profile has none")
        self.api = profile.provisioning.admin
        self.admin = admin

    def create(self, tenant_id: str, name: str) -> Account:
        reply = self.admin.call(self.api.create, {"tenant_id": tenant_id, "tenant_name": name})
        if reply.status not in (200, 201):
            raise Inconclusive(f"provisioning {tenant_id} failed: {reply.status} {reply.text[:200]}")
        key = reply.pick(self.api.key_field)
        if not isinstance(key, str) or not key:
            raise Inconclusive(f"provisioning {tenant_id}: no '{self.api.key_field}' in the answer")
        return Account(secret=key)

    def remove(self, tenant_id: str) -> None:
        reply = self.admin.call(self.api.delete, {"tenant_id": tenant_id})
        if reply.status not in (200, 202, 204, 404):
            raise Inconclusive(f"removing {tenant_id} failed: {reply.status}")

    def existing(self) -> list[str]:
        """Ids of every tenant the admin API lists (for cleanup of earlier runs)."""
        if self.api.list is None:
            return []
        items = self.admin.call(self.api.list, {}).items(self.api.list) or []
        return [str(item.get(self.api.tenant_id_field)) for item in items if isinstance(item, dict)]


class SignupProvisioner:
    """Sign up, then log in and take the token out of the login answer; log in again to renew it.

    The target may choose the tenant's id (an organisation id in the sign-up answer): then that id, not
    the planned one, names the tenant in paths and evidence. Accounts made this way cannot be removed by
    the run; their objects are, one by one."""

    removes_data = False
    creates = "sign-up accounts"

    def __init__(self, profile: Profile, anonymous: Actor, redactor: Redactor) -> None:
        if profile.provisioning.signup is None:
            raise Inconclusive("the environment provisions by sign-up, but the profile has no "
                               "[provisioning.signup]")
        self.flow = profile.provisioning.signup
        self.anonymous = anonymous
        self.redactor = redactor

    def create(self, tenant_id: str, name: str) -> Account:
        values = {"tenant_id": tenant_id, "tenant_name": name, "email": f"{tenant_id}@example.test",
                  "password": f"pw-{tenant_id}-{secrets.token_hex(8)}"}
        self.redactor.add(values["password"], "PASSWORD")
        signup = self.anonymous.call(self.flow.signup, values)
        if signup.status not in (200, 201):
            raise Inconclusive(f"sign-up of {tenant_id} failed: {signup.status} {signup.text[:200]}")
        token, login = self.login(values)
        chosen: Any = None
        if self.flow.tenant_id_field:
            chosen = signup.pick(self.flow.tenant_id_field) or login.pick(self.flow.tenant_id_field)
            if not isinstance(chosen, str | int) or chosen == "":
                raise Inconclusive(f"sign-up of {tenant_id}: no '{self.flow.tenant_id_field}' in the sign-up or "
                                   "login answer (set [provisioning.signup] tenant_id_field, or \"\" when the "
                                   "planned id is the tenant id)")
        return Account(tenant_id=str(chosen) if chosen is not None else None, secret=token,
                       renew=lambda: self.login(values)[0])

    def login(self, values: dict[str, Any]) -> tuple[str, Reply]:
        login = self.anonymous.call(self.flow.login, values)
        token = login.pick(self.flow.token_field)
        if login.status not in (200, 201) or not isinstance(token, str) or not token:
            raise Inconclusive(f"login of {values['tenant_id']} gave no '{self.flow.token_field}' ({login.status})")
        return token, login

    def remove(self, tenant_id: str) -> None:
        """Sign-up flows rarely offer deletion; the run removes the tenant's objects instead."""


class FixedProvisioner:
    """Tenants that exist already (``static``) or need no creation (``header``: self-asserted ids)."""

    removes_data = False
    creates = ""

    def __init__(self, keys: dict[str, str | None]) -> None:
        self.keys = keys

    def create(self, tenant_id: str, name: str) -> Account:
        return Account(secret=self.keys.get(tenant_id))

    def remove(self, tenant_id: str) -> None:
        """Nothing to remove: the tenant outlives the run; its objects are deleted one by one."""


def pair_sampling(chosen: str | None, tenants: int) -> str:
    """The attacker/victim pairs a run tries: ``--pairs`` if given, else every pair up to five tenants and
    a ring above (pairs grow with N squared)."""
    return chosen or ("all" if tenants <= 5 else "ring")


def planned_ids(env: Environment, run_id: str, worker: str, labels: list[str], prefix: str = "tc") -> list[str]:
    """The tenant ids a run will use: the environment's static tenants, or ids made from the run id."""
    if env.provisioning.method == "static":
        static = [tenant.id for tenant in env.provisioning.tenants]
        if len(static) < len(labels):
            raise Inconclusive(f"{len(labels)} tenants asked for, but the environment lists only {len(static)}")
        return static[: len(labels)]
    # tenant-a's id is a prefix of every other id (tc-<run>-a, tc-<run>-ab, ...), so a key check that
    # forgets the separator (startswith(tenant_id) instead of tenant_id + ":") is caught by TX-03.
    infix = f"-{worker}" if worker else ""
    first = labels[0].removeprefix("tenant-")
    suffixes = [first] + [first + label.removeprefix("tenant-") for label in labels[1:]]
    return [f"{prefix}-{run_id}{infix}-{suffix}" for suffix in suffixes]
