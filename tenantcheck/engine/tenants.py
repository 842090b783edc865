"""Test tenants: who they are, how they come into being on the target, and how they go away.

Labels (``tenant-a``) are stable and appear in check ids and fingerprints; tenant ids carry the run id
(``tc-<run>-a``) so that everything a run creates can be found and removed later.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Protocol

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import Profile
from tenantcheck.engine.http import Actor
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


@dataclass(kw_only=True)
class Tenant:
    label: str
    tenant_id: str
    name: str
    marker: str
    secret: str | None = None
    actor: Actor | None = field(default=None, repr=False)

    @property
    def client(self) -> Actor:
        if self.actor is None:
            raise Inconclusive(f"{self.label} has no client (provisioning did not finish)")
        return self.actor


class Provisioner(Protocol):
    """Creates tenants on the target and removes them again."""

    removes_data: bool  # whether ``remove`` also deletes everything the tenant owns

    def create(self, tenant_id: str, name: str) -> str | None: ...

    def remove(self, tenant_id: str) -> None: ...


class AdminApiProvisioner:
    """``POST``/``DELETE`` on the profile's admin API, with the admin token."""

    removes_data = True

    def __init__(self, profile: Profile, admin: Actor) -> None:
        if profile.provisioning.admin is None:
            raise Inconclusive("the environment provisions through an admin API, but the profile has none")
        self.api = profile.provisioning.admin
        self.admin = admin

    def create(self, tenant_id: str, name: str) -> str:
        reply = self.admin.call(self.api.create, {"tenant_id": tenant_id, "tenant_name": name})
        if reply.status not in (200, 201):
            raise Inconclusive(f"provisioning {tenant_id} failed: {reply.status} {reply.text[:200]}")
        key = reply.pick(self.api.key_field)
        if not isinstance(key, str) or not key:
            raise Inconclusive(f"provisioning {tenant_id}: no '{self.api.key_field}' in the answer")
        return key

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
    """Sign up, then log in and take the token out of the login answer."""

    removes_data = False

    def __init__(self, profile: Profile, anonymous: Actor) -> None:
        if profile.provisioning.signup is None:
            raise Inconclusive("the profile has no sign-up flow")
        self.flow = profile.provisioning.signup
        self.anonymous = anonymous

    def create(self, tenant_id: str, name: str) -> str:
        values = {"tenant_id": tenant_id, "tenant_name": name, "email": f"{tenant_id}@example.test",
                  "password": f"pw-{tenant_id}-tenantcheck"}
        signup = self.anonymous.call(self.flow.signup, values)
        if signup.status not in (200, 201):
            raise Inconclusive(f"sign-up of {tenant_id} failed: {signup.status} {signup.text[:200]}")
        login = self.anonymous.call(self.flow.login, values)
        token = login.pick(self.flow.token_field)
        if login.status != 200 or not isinstance(token, str) or not token:
            raise Inconclusive(f"login of {tenant_id} gave no '{self.flow.token_field}' ({login.status})")
        return token

    def remove(self, tenant_id: str) -> None:
        """Sign-up flows rarely offer deletion; the run removes the tenant's objects instead."""


class FixedProvisioner:
    """Tenants that exist already (``static``) or need no creation (``header``: self-asserted ids)."""

    removes_data = False

    def __init__(self, keys: dict[str, str | None]) -> None:
        self.keys = keys

    def create(self, tenant_id: str, name: str) -> str | None:
        return self.keys.get(tenant_id)

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
