"""One worker's view of the target: settings, actors, provisioned tenants and their seeded objects.

Built once per session (per xdist worker) by the plugin's ``world`` fixture. Everything it creates is
registered for removal, and a run record in ``.tenantcheck/runs/`` names it (without secrets) until
teardown has removed it, so ``tenantcheck cleanup`` can finish the job after a crash.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from faker import Faker

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import FieldSpec, Operation, Profile, Resource
from tenantcheck.engine.canaries import CanaryScanner, new_marker
from tenantcheck.engine.http import Actor, CredentialAuth, Http, Reply
from tenantcheck.engine.redaction import Redactor
from tenantcheck.engine.tenants import (
    AdminApiProvisioner,
    FixedProvisioner,
    Provisioner,
    SignupProvisioner,
    Tenant,
    planned_ids,
    secret_variable,
    tenant_labels,
)
from tenantcheck.errors import Inconclusive, NotApplicable, TargetError
from tenantcheck.run.concurrency import Pending
from tenantcheck.run.recording import Recorder

RUNS_DIR = Path(".tenantcheck") / "runs"
ANONYMOUS = "anonymous"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a worker needs to know about the run, handed from controller to workers."""

    env: Environment
    profile: Profile
    run_id: str
    base_url: str
    worker: str = ""
    workers: int = 1
    tenants: int = 2
    admin_token: str | None = None
    allow_production_writes: bool = False
    id_prefix: str = "tc"  # seeded tenants use "tcseed", so that cleanup of crashed runs never takes them
    reached: bool = False  # the run's preflight had the target's health answer: the world does not ask again

    @property
    def mode(self) -> str:
        return self.env.target.mode or self.profile.identity.mode

    @property
    def deny_statuses(self) -> list[int]:
        return self.env.policy.deny_statuses or self.profile.defaults.deny_statuses

    def write_refusal(self, tenant_ids: list[str]) -> str | None:
        """Why writes are refused on this environment for a run as ``tenant_ids``, or ``None``.

        On production, writes need both the run's --allow-production-writes and every tenant of the run
        listed in [safety] test_tenants (so a run never writes as a tenant it made up or a real customer).
        """
        safety = self.env.safety
        if safety.production:
            if not (self.allow_production_writes and safety.test_tenants):
                return (f"environment {self.env.name!r} is production: writes need --allow-production-writes "
                        "and dedicated test tenants in [safety] test_tenants")
            strangers = sorted(set(tenant_ids) - set(safety.test_tenants))
            if strangers:
                return (f"environment {self.env.name!r} is production: writes need --allow-production-writes and "
                        f"every tenant of the run in [safety] test_tenants; not listed: {', '.join(strangers)}")
            return None
        if not safety.allow_writes:
            return f"environment {self.env.name!r} does not allow writes ([safety] allow_writes = false)"
        return None


@dataclass(frozen=True, kw_only=True)
class Obj:
    """An object the run created: its resource, id, owner, the values it was made from, and ``address``,
    the placeholders that reach it (its id, its parents' ids)."""

    resource: str
    id: str
    owner: str
    values: dict[str, Any]
    address: dict[str, Any]
    parent: Obj | None = None

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    def describe(self) -> str:
        return f"{self.resource} {self.id}"


@dataclass(kw_only=True)
class Seed:
    """What a tenant owns from the start (one object per resource); checks that change things make fresh
    objects instead."""

    objects: dict[str, Obj] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # resource -> why it has no seeded object
    refused_creates: set[str] = field(default_factory=set)  # resources whose create got a 4xx: not applied
    refused: bool = False  # seeding was refused (writes not allowed here): the checks are not-applicable


@dataclass(kw_only=True)
class World:
    settings: Settings
    recorder: Recorder
    scanner: CanaryScanner = field(default_factory=CanaryScanner)
    redactor: Redactor = field(default_factory=Redactor)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    seeds: dict[str, Seed] = field(default_factory=dict)
    default_seed: Seed | None = None  # the default tenant's, in a lenient environment
    planted: dict[str, str] = field(default_factory=dict)  # label -> marker the operator put in its data
    created: list[Obj] = field(default_factory=list)
    markers: dict[str, str] = field(default_factory=dict)
    path_markers: dict[str, str] = field(default_factory=dict)
    search_markers: dict[str, str] = field(default_factory=dict)
    http: Http | None = None
    anonymous: Actor | None = None
    admin: Actor | None = None
    provisioner: Provisioner | None = None
    search_word: str = ""
    planned: list[str] = field(default_factory=list)  # tenant ids this run provisions (or tries to)
    faker: Faker = field(default_factory=Faker)
    closed: bool = False  # torn down: a second teardown (plugin.tear_down's fallback) does nothing
    creates: Pending = field(default_factory=Pending)  # per tenant: creates under way, till registered
    _serial: itertools.count[int] = field(default_factory=itertools.count, repr=False)  # public values
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # checks run on several threads

    # ----------------------------------------------------------------- set up and tear down
    def start(self) -> None:
        """Reach the target, provision the tenants and seed them; any failure is ``Inconclusive``."""
        self.connect()
        self._write_record()
        assert self.http is not None
        labels = tenant_labels(self.settings.tenants)
        # Tenants are independent: provisioned, then seeded, all at once (within the environment's limits).
        self.http.gather([partial(self._provision, label, tenant_id)
                          for label, tenant_id in zip(labels, self.planned, strict=True)])
        self.tenants = {label: self.tenants[label] for label in labels}  # in label order, whoever came first
        self._write_record()
        # In a lenient environment the default tenant (requests without identity) owns marked data too,
        # before any list check: a tenant's list that also shows the default tenant's objects is a leak.
        owners = labels if self.settings.env.target.strict else [*labels, ANONYMOUS]
        seeds = {owner: Seed() for owner in owners}
        for level in self.settings.profile.levels():  # parents first; a level's creates, every owner's, at once
            self.http.gather([partial(self._seed, owner, seeds[owner], [resource])
                              for owner in owners for resource in level])
        # A create that failed beside the others is tried once more alone: a target that mixes up
        # concurrent callers must still get seeded, so that the case meant for that flaw (TX-06) sees it.
        # Only a create the target refused (4xx) is tried again: one that failed otherwise may have been
        # applied, and is never sent twice.
        for owner, seed in seeds.items():
            if seed.refused_creates and not seed.refused:
                self._seed(owner, seed)
        self.default_seed = seeds.pop(ANONYMOUS, None)
        self.seeds = seeds

    def connect(self) -> None:
        """Clients, limits and the provisioner, and a first request that proves the target answers."""
        settings = self.settings
        safety = settings.env.safety
        share = max(settings.workers, 1)
        labels = tenant_labels(settings.tenants)
        self.planned = planned_ids(settings.env, settings.run_id, settings.worker, labels, settings.id_prefix)
        self.http = Http(
            settings.base_url,
            rate=safety.requests_per_second / share,
            concurrency=max(1, safety.max_concurrency // share),
            timeout=safety.timeout,
            retries=safety.retries,
            scanner=self.scanner,
            redactor=self.redactor,
            on_leak=self.recorder.leak,
            write_refusal=settings.write_refusal(self.planned),
        )
        self.redactor.add_header(settings.profile.identity.credential_header)
        self.faker.seed_instance(zlib.crc32(f"{settings.run_id}{settings.worker}".encode()))
        self.search_word = f"quasar{settings.run_id}"
        self.anonymous = self.http.actor(ANONYMOUS)
        self._mark(ANONYMOUS)
        if settings.admin_token:
            self.redactor.add(settings.admin_token, "ADMIN_TOKEN")
            self.admin = self.http.actor("admin", CredentialAuth("Authorization", f"Bearer {settings.admin_token}"),
                                         scan=False)
        if not settings.reached:
            self._check_reachable()
        self.provisioner = self._provisioner()

    def close(self) -> list[str]:
        """Remove everything the run created (once): objects through the profile's deletes, children before
        parents, then the tenants. Returns what is left on the target, each object named once."""
        self.closed = True
        if self.http is None:
            return []
        self.http.drain()  # an interrupt may have left requests of a gather going: they end first
        tenants_go = self.provisioner is not None and self.provisioner.removes_data
        left: list[str] = []
        # Objects of tenants removed with their data go with them; the default tenant's always stay.
        left += self.remove_objects([obj for obj in self.created if not tenants_go or obj.owner == ANONYMOUS])
        if self.provisioner is not None and self.provisioner.removes_data:
            # Every planned id, not only the provisioned ones: a create whose answer an interrupt cut off
            # may have made the tenant all the same (removing an absent tenant is fine).
            known = [tenant.tenant_id for tenant in self.tenants.values()]
            left += self._attempt_all([(f"tenant {tenant_id}", partial(self.provisioner.remove, tenant_id))
                                       for tenant_id in [*known, *(p for p in self.planned if p not in known)]])
        elif self.provisioner is not None and self.provisioner.creates:
            left += [f"tenant {tenant.label} ({tenant.tenant_id}): {self.provisioner.creates} cannot be removed "
                     "through the API" for tenant in self.tenants.values()]
        if not left:
            self._record_path().unlink(missing_ok=True)
        self.http.close()
        return left

    def remove_objects(self, objects: list[Obj]) -> list[str]:
        """Delete ``objects`` deepest first, each as its owner; an object without a delete goes with a
        deleted parent only if a re-read says it is gone. Returns what stays, once per object."""
        assert self.http is not None
        profile = self.settings.profile
        left: list[str] = []
        deleted: set[tuple[str, str]] = set()
        undeletable: list[Obj] = []
        for depth in sorted({obj.depth for obj in objects}, reverse=True):
            level = [obj for obj in objects if obj.depth == depth]
            deletable = [obj for obj in level if profile.operation(f"{obj.resource}.delete") is not None]
            undeletable += [obj for obj in level if profile.operation(f"{obj.resource}.delete") is None]
            outcomes = self.http.gather([partial(self._attempt, f"{obj.describe()} of {obj.owner}",
                                                 partial(self._delete, obj)) for obj in deletable])
            for obj, problems in zip(deletable, outcomes, strict=True):
                left += problems
                if not problems:
                    deleted.add((obj.resource, obj.id))
        gone = self.http.gather([partial(self._gone_with_parent, obj, deleted) for obj in undeletable])
        staying: dict[tuple[str, str], list[str]] = {}
        for obj, went in zip(undeletable, gone, strict=True):
            if not went:
                staying.setdefault((obj.resource, obj.owner), []).append(obj.id)
        # One line per resource and owner: an API without deletes leaves many objects of each.
        left += [f"{resource} {', '.join(ids)} of {owner}: the profile has no {resource}.delete"
                 for (resource, owner), ids in staying.items()]
        return left

    def keep(self) -> list[str]:
        """Leave everything the run created in place (``--keep``), with its record, and write the tenants'
        keys as shell exports of the names evidence uses (``TENANT_A_KEY``) to a file only its owner reads:
        ``source`` it and every curl line of the report replays. Returns the line that says so."""
        self.closed = True
        if self.http is None:
            return []
        self.http.drain()
        self._write_record()
        keys = self._record_path().with_suffix(".keys.env")
        lines = [f"export {secret_variable(label)}={tenant.secret}" for label, tenant in self.tenants.items()
                 if tenant.secret]
        descriptor = os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("".join(f"{line}\n" for line in lines))
        self.http.close()
        return [f"kept (--keep): {len(self.tenants)} tenant(s) and {len(self.created)} object(s); keys in {keys} "
                f"(source it to replay the curl lines); remove them with tenantcheck cleanup --env "
                f"{self.settings.env.name} --run-id {self.settings.run_id}"]

    def stats(self) -> dict[str, Any]:
        """Counters for the report: requests sent and retried by this worker."""
        http = self.http
        return {"worker": self.settings.worker or "main", "requests": http.sent if http else 0,
                "retried": http.retried if http else 0}

    def detach(self) -> None:
        """Leave everything the run created in place (``tenantcheck seed``): no teardown, no record."""
        self._record_path().unlink(missing_ok=True)
        if self.http is not None:
            self.http.close()

    def download_key(self, obj: Obj) -> str:
        """The key ``[api] download`` reaches ``obj`` by (``download_key`` filled from its address)."""
        return self.stored_key(obj, self.settings.profile.api.download_key)

    def stored_key(self, obj: Obj, pattern: str) -> str:
        """A key pattern filled from ``obj``'s address and its owner's tenant id."""
        return pattern.format(**{**obj.address, "tenant_id": self.tenant_id(obj.owner)})

    def downloadable(self, label: str) -> Obj:
        """``label``'s seeded object of ``[api] download_resource`` (not-applicable without one)."""
        resource = self.settings.profile.api.download_resource
        if resource is None:
            raise NotApplicable("the profile names no [api] download_resource")
        return self.seeded(label, resource)

    # ----------------------------------------------------------------- what suites use
    def actor(self, label: str) -> Actor:
        if label == ANONYMOUS:
            assert self.anonymous is not None
            return self.anonymous
        return self.tenants[label].client

    def operation(self, name: str) -> Operation:
        """The profile's operation, or ``NotApplicable`` when the profile lacks it."""
        operation = self.settings.profile.operation(name)
        if operation is None:
            raise NotApplicable(f"the profile {self.settings.profile.name!r} has no operation {name}")
        return operation

    def spec(self, resource: str) -> Resource:
        spec = self.settings.profile.resource(resource)
        if spec is None:
            raise NotApplicable(f"the profile {self.settings.profile.name!r} has no resource {resource}")
        return spec

    @property
    def main(self) -> str:
        """The resource tenant-wide cases use (``Profile.main``); not-applicable when there is none."""
        main = self.settings.profile.main
        if main is None:
            raise NotApplicable(f"the profile {self.settings.profile.name!r} has no resource that can be created")
        return main

    def seed(self, label: str) -> Seed:
        found = self.default_seed if label == ANONYMOUS else self.seeds.get(label)
        return found or Seed()

    def seeded(self, label: str, resource: str) -> Obj:
        """``label``'s seeded object of ``resource``; not-applicable if the profile cannot create one (or
        writes are refused here), inconclusive if seeding failed."""
        seed = self.seed(label)
        found = seed.objects.get(resource)
        if found is None:
            spec = self.spec(resource)
            if spec.creator is None:
                raise NotApplicable(f"the profile cannot create {resource} (no {resource}.create)")
            reason = f"{label} has no seeded {resource}: {seed.problems.get(resource) or 'seeding did not get there'}"
            raise NotApplicable(reason) if seed.refused else Inconclusive(reason)
        return found

    def tenant_id(self, label: str) -> str:
        return self.settings.env.target.default_tenant if label == ANONYMOUS else self.tenants[label].tenant_id

    def values(self, owner: str, resource: str, *, attack: bool = False) -> dict[str, Any]:
        """Fresh realistic values for a new object of ``owner``: sensitive fields carry its markers, public
        ones are unique and marker-free, and ``tenant_id`` is its own. ``attack``: what an attempt on
        another tenant's data writes, marker-free, so that a write that went through is judged by the
        state and denial oracles of its own check and does not turn every later read of the victim's
        data into a canary finding of another case."""
        spec = self.spec(resource)
        in_paths = {name for op in spec.operations().values() for name in op.path_fields()}
        values: dict[str, Any] = {"tenant_id": self.tenant_id(owner)}
        with self._lock:  # one Faker for all threads
            for name, field_spec in spec.field_specs.items():
                path = name in in_paths or name == spec.id_key
                if attack and field_spec.kind == "sensitive":
                    values[name] = f"written-by-{owner}-{next(self._serial)}" if path else f"written by {owner}"
                else:
                    values[name] = self._value(owner, field_spec, path=path)
        return values

    def _value(self, owner: str, spec: FieldSpec, *, path: bool) -> Any:
        if spec.kind == "constant":
            return spec.value
        if spec.kind == "faker":
            return jsonable(getattr(self.faker, str(spec.faker))())
        # With a max_length, what must survive comes first: the serial, the marker, the search terms.
        if spec.kind == "public":
            value = f"{next(self._serial)}-{self.settings.run_id}-{self.faker.slug()}"
        elif path:  # a marker the requester sends in a URL is one it knows: a path gets its own
            value = f"{self.path_markers[owner]}-{self.settings.run_id}-{self.faker.slug()}"
        else:
            value = (f"{self.markers[owner]} {self.search_word} {self.search_markers[owner]} "
                     f"{self.faker.sentence(nb_words=6).rstrip('.')}")
        return value[:spec.max_length] if spec.max_length else value

    def new(self, owner: str, resource: str, parent: Obj | None = None) -> Obj:
        """A fresh object of ``resource`` for ``owner`` (under ``parent``, else under its seeded parent),
        registered for removal."""
        return self.create(owner, resource, self.values(owner, resource), parent=parent)[1]

    def spare(self, owner: str, resource: str, parent: Obj | None = None) -> Obj:
        """An object an attempt may spoil: a fresh one, or where the target refuses to make another (a
        create that cannot run twice), the seeded one: a write attack never depends on a second create."""
        try:
            return self.new(owner, resource, parent)
        except CreateRefused:
            seeded = self.seeded(owner, resource)
            if parent is not None and seeded.parent != parent:
                raise
            return seeded

    def create(self, owner: str, resource: str, values: dict[str, Any], *, parent: Obj | None = None,
               body: Any = None) -> tuple[Reply, Obj]:
        """``owner`` creates an object from ``values`` (``body`` replaces the profile's body): the answer
        and the object, registered for removal before any comparison of ``owner``'s lists goes on."""
        spec = self.spec(resource)
        if spec.parent is not None and parent is None:
            parent = self.seeded(owner, spec.parent)
        operation = self.operation(f"{resource}.{spec.creator or 'create'}")
        context = {**values, **(parent_address(spec, parent))}
        with self.creates.under_way(owner):
            reply = self.actor(owner).call(operation, context, body=body)
            obj = self.adopt(owner, resource, reply, context, parent)
        return reply, obj

    def adopt(self, owner: str, resource: str, reply: Reply, values: dict[str, Any], parent: Obj | None) -> Obj:
        """An object a create answered (``reply``), registered for removal; inconclusive when the answer
        shows nothing was created."""
        return self.register(owner, resource, self._created_id(reply, resource, values), values, parent)

    def register(self, owner: str, resource: str, identifier: str, values: dict[str, Any],
                 parent: Obj | None = None) -> Obj:
        """An object the run made (by a create, or one an upsert wrote under an id of its own choosing),
        registered for removal by ``owner``."""
        spec = self.spec(resource)
        address = {**parent_address(spec, parent), spec.id_key: identifier, "id": identifier}
        obj = Obj(resource=resource, id=identifier, owner=owner, values=values, address=address, parent=parent)
        with self._lock:
            self.created.append(obj)
            if self._outlives_tenants(owner):
                self._write_record()
        return obj

    def created_by(self, owner: str, resource: str | None = None) -> set[str]:
        """Ids of objects the run created as ``owner`` (of ``resource``, or of any), once every create of
        ``owner``'s already under way has ended (``creates``): a listing taken before this call holds no
        object of theirs that this lacks."""
        self.creates.settled(owner)
        with self._lock:
            return {obj.id for obj in self.created if obj.owner == owner and resource in (None, obj.resource)}

    def expected(self, obj: Obj) -> str:
        """What the owner's own read of ``obj`` shows: its marker when the resource has a sensitive field,
        else its id."""
        spec = self.spec(obj.resource)
        if any(field_spec.kind == "sensitive" for field_spec in spec.field_specs.values()):
            return self.markers[obj.owner]
        return obj.id

    def read(self, owner: str, name: str, values: dict[str, Any]) -> Reply:
        """An owner's read, polled within the consistency window until it succeeds; a target that cannot
        answer it (5xx, 429) makes the check inconclusive, never a finding."""
        reply = self.poll(lambda: self.actor(owner).call(self.operation(name), {**self.values_base(owner), **values}),
                          lambda reply: 200 <= reply.status < 300)
        if reply.unavailable:
            raise Inconclusive(f"{owner}'s own {name} failed: the target answered {reply.status}")
        return reply

    def values_base(self, owner: str) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id(owner)}

    def item_ids(self, reply: Reply, resource: str, operation: Operation) -> set[str] | None:
        """Ids of a list answer's items (``None`` when the answer does not have the list's shape)."""
        items = reply.items(operation)
        if items is None:
            return None
        id_field = self.spec(resource).id_field
        return {str(item.get(id_field)) for item in items if isinstance(item, dict)}

    def poll(self, attempt: Callable[[], Reply], done: Callable[[Reply], bool]) -> Reply:
        """Repeat ``attempt`` until ``done(reply)`` or the environment's consistency window has passed."""
        policy = self.settings.env.policy
        deadline = time.monotonic() + policy.consistency_window
        while True:
            reply: Reply = attempt()
            if done(reply) or time.monotonic() >= deadline:
                return reply
            time.sleep(policy.poll_interval)

    # ----------------------------------------------------------------- internals
    def _check_reachable(self) -> None:
        health = self.settings.profile.operation("api.health")
        assert self.anonymous is not None
        try:
            reply = self.anonymous.call(health, {}) if health else self.anonymous.request("GET", "/")
        except TargetError as error:
            raise TargetError(f"target {self.settings.base_url} is unreachable: {error}") from None
        if reply.unavailable:
            raise TargetError(f"target {self.settings.base_url} answers {reply.status} to its health check")

    def _provisioner(self) -> Provisioner:
        env = self.settings.env
        method = env.provisioning.method
        if method == "admin-api":
            if self.admin is None:
                if env.provisioning.admin_token is None:
                    raise Inconclusive("admin-api provisioning needs [provisioning] admin_token")
                token = env.provisioning.admin_token.get()
                self.redactor.add(token, env.provisioning.admin_token.var)
                self.admin = self.http.actor(  # type: ignore[union-attr]
                    "admin", CredentialAuth("Authorization", f"Bearer {token}"), scan=False)
            return AdminApiProvisioner(self.settings.profile, self.admin)
        if method == "signup":
            assert self.anonymous is not None
            return SignupProvisioner(self.settings.profile, self.anonymous, self.redactor)
        if method == "static":
            keys = {t.id: (t.key.get() if t.key else None) for t in env.provisioning.tenants}
            for tenant in env.provisioning.tenants:
                if tenant.key is not None:
                    self.redactor.add(tenant.key.get(), tenant.key.var)
            return FixedProvisioner(keys)
        return FixedProvisioner({})

    def provision(self, label: str, tenant_id: str) -> Tenant:
        """Provision one more tenant (with its markers and client) and return it."""
        self._provision(label, tenant_id)
        return self.tenants[label]

    def _provision(self, label: str, tenant_id: str) -> None:
        assert self.provisioner is not None and self.http is not None
        marker = new_marker()
        with self._lock:
            name = f"{self.faker.company()} {marker}"
        account = self.provisioner.create(tenant_id, name)
        tenant = Tenant(label=label, tenant_id=account.tenant_id or tenant_id, name=name, marker=marker,
                        secret=account.secret, renew=account.renew)
        self.tenants[label] = tenant
        self._mark(label, marker)
        if account.secret:
            self.redactor.add(account.secret, secret_variable(label))
        tenant.actor = self.http.actor(label, self.auth(tenant))
        planted = next((static.marker for static in self.settings.env.provisioning.tenants
                        if static.id == tenant_id and static.marker), None)
        if planted:  # pre-existing data the operator marked: a leak of it is a canary finding too
            self.planted[label] = planted
            self.scanner.register(planted, label)

    def _mark(self, owner: str, marker: str | None = None) -> None:
        """Give ``owner`` its markers: for names and contents, for values sent in paths, and for search
        terms (see ``tenantcheck.engine.canaries``: a requester that sends a marker knows it from then on)."""
        self.markers[owner] = marker or new_marker()
        self.path_markers[owner] = new_marker()
        self.search_markers[owner] = new_marker()
        for kind in (self.markers, self.path_markers, self.search_markers):
            self.scanner.register(kind[owner], owner)

    def auth(self, tenant: Tenant) -> CredentialAuth:
        identity = self.settings.profile.identity
        if self.settings.mode == "header":
            return CredentialAuth(identity.tenant_headers[0], tenant.tenant_id)
        if not tenant.secret:
            raise Inconclusive(f"{tenant.label} ({tenant.tenant_id}) has no credential for token identity")
        renewer = None
        if tenant.renew is not None:
            renew = tenant.renew

            def renewer() -> str:
                secret = renew()
                self.redactor.add(secret, secret_variable(tenant.label))
                return secret

        if identity.scheme == "bearer":
            return CredentialAuth("Authorization", tenant.secret, format="Bearer {}", renewer=renewer)
        if identity.scheme == "cookie":
            return CredentialAuth("Cookie", tenant.secret, format=f"{identity.cookie_name}={{}}", renewer=renewer)
        return CredentialAuth(identity.credential_header, tenant.secret, renewer=renewer)

    def _seed(self, label: str, seed: Seed, resources: list[str] | None = None) -> None:
        """Complete ``seed`` with an object of each of ``resources`` (default: every resource, parents first)
        that ``label`` can create; a resource whose create is missing or fails is left out (its checks say
        why)."""
        profile = self.settings.profile
        for resource in profile.in_order() if resources is None else resources:
            spec = profile.resources[resource]
            if spec.creator is None or resource in seed.objects or (seed.problems.get(resource) and
                                                                     resource not in seed.refused_creates):
                continue
            seed.problems.pop(resource, None)
            seed.refused_creates.discard(resource)
            parent = seed.objects.get(spec.parent) if spec.parent else None
            if spec.parent and parent is None:
                seed.problems[resource] = f"its parent {spec.parent} was not seeded ({seed.problems.get(spec.parent)})"
                continue
            try:
                seed.objects[resource] = self.new(label, resource, parent)
            except (NotApplicable, Inconclusive) as error:
                seed.problems[resource] = str(error)  # checks that need it say so, with this reason
                seed.refused = seed.refused or isinstance(error, NotApplicable)
                if isinstance(error, CreateRefused):
                    seed.refused_creates.add(resource)

    def _created_id(self, reply: Reply, resource: str, values: dict[str, Any]) -> str:
        spec = self.spec(resource)
        if reply.status not in (200, 201, 204):
            refused = 400 <= reply.status < 500 and reply.status != 429
            raise (CreateRefused if refused else Inconclusive)(
                f"create of {resource} did not succeed: {reply.status} {reply.text[:200]}")
        if spec.id_from == "request":
            return str(values[spec.id_key])
        if spec.id_from == "location":
            identifier: Any = reply.location_id()
        else:
            body = reply.object(self.operation(f"{resource}.{spec.creator}"))
            identifier = body.get(spec.id_field) if body else None
        if not isinstance(identifier, str | int) or identifier == "":
            where = "a Location header" if spec.id_from == "location" else f"'{spec.id_field}' in the answer"
            raise Inconclusive(f"create of {resource} answered {reply.status} without {where}: {reply.text[:200]}")
        return str(identifier)

    def _delete(self, obj: Obj) -> None:
        operation = self.operation(f"{obj.resource}.delete")
        reply = self.actor(obj.owner).call(operation, {**self.values_base(obj.owner), **obj.address})
        if reply.status not in (200, 202, 204, 404, 410):
            raise Inconclusive(f"{reply.status}")

    def _gone_with_parent(self, obj: Obj, deleted: set[tuple[str, str]]) -> bool:
        """Whether an object without a delete went with a deleted ancestor: its owner's re-read says so."""
        ancestor, gone = obj.parent, False
        while ancestor is not None and not gone:
            gone, ancestor = (ancestor.resource, ancestor.id) in deleted, ancestor.parent
        getter = self.spec(obj.resource).getter
        if not gone or getter is None:
            return False
        try:
            reply = self.actor(obj.owner).call(self.operation(f"{obj.resource}.{getter}"),
                                               {**self.values_base(obj.owner), **obj.address})
        except Exception:  # cleanup goes on; the object is then named as left
            return False
        return reply.status in (404, 410)

    def _attempt_all(self, attempts: Sequence[tuple[str, Callable[[], object]]]) -> list[str]:
        """Cleanup actions at once, each past the others' failures; what could not be done."""
        assert self.http is not None
        outcomes = self.http.gather([partial(self._attempt, what, action) for what, action in attempts])
        return [problem for problems in outcomes for problem in problems]

    @staticmethod
    def _attempt(what: str, action: Callable[[], object]) -> list[str]:
        try:
            action()
        except Exception as error:  # cleanup goes on past a failure (a Ctrl-C: plugin.interrupts_ignored)
            return [f"{what}: {type(error).__name__} {error}"]
        return []

    def _outlives_tenants(self, owner: str) -> bool:
        """Whether an object of ``owner`` survives the removal of the run's tenants (so the record names it)."""
        return owner == ANONYMOUS or not (self.provisioner is not None and self.provisioner.removes_data)

    def _record_path(self) -> Path:
        suffix = f"-{self.settings.worker}" if self.settings.worker else ""
        return RUNS_DIR / f"{self.settings.run_id}{suffix}.json"

    def _write_record(self) -> None:
        """A secret-free note of what this run creates, for ``tenantcheck cleanup`` after a crash."""
        path = self._record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"run_id": self.settings.run_id, "environment": self.settings.env.name,
                  "base_url": self.settings.base_url, "pid": os.getpid(),
                  "provisioning": self.settings.env.provisioning.method,
                  "tenants": [tenant.tenant_id for tenant in self.tenants.values()],
                  "labels": {tenant.tenant_id: label for label, tenant in self.tenants.items()},
                  "objects": [{"resource": obj.resource, "tenant_id": self.tenant_id(obj.owner), "id": obj.id,
                               "address": obj.address,
                               "parent": [obj.parent.resource, obj.parent.id] if obj.parent else None}
                              for obj in self.created if self._outlives_tenants(obj.owner)]}
        path.write_text(json.dumps(record, indent=2))


class CreateRefused(Inconclusive):
    """A create the target refused (4xx): nothing was made, so it may be tried again."""


def parent_address(spec: Resource, parent: Obj | None) -> dict[str, Any]:
    """The placeholders a child is reached by through its parent: the parent's own, and its id."""
    if parent is None or spec.parent is None:
        return {}
    inherited = {key: value for key, value in parent.address.items() if key != "id"}
    return {**inherited, spec.parent_id: parent.id}


def jsonable(value: Any) -> Any:
    """A Faker value as JSON can carry it (decimals as numbers, dates as ISO text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
