"""One worker's view of the target: settings, actors, provisioned tenants and their seeded objects.

Built once per session (per xdist worker) by the plugin's ``world`` fixture. Everything it creates is
registered for removal, and a run record in ``.tenantcheck/runs/`` names it (without secrets) until
teardown has removed it, so ``tenantcheck cleanup`` can finish the job after a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from faker import Faker

from tenantcheck.config.environment import Environment
from tenantcheck.config.profile import Operation, Profile
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
from tenantcheck.run.concurrency import Gate
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
class Project:
    id: str
    owner: str
    name: str
    description: str


@dataclass(frozen=True, kw_only=True)
class Deployment:
    id: str
    project_id: str
    owner: str


@dataclass(frozen=True, kw_only=True)
class File:
    project_id: str
    path: str
    content: str
    owner: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(kw_only=True)
class Seed:
    """What a tenant owns from the start; checks that change things make fresh objects instead."""

    project: Project | None = None
    deployment: Deployment | None = None
    file: File | None = None
    problem: str = ""
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
    created: list[tuple[str, str]] = field(default_factory=list)
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
    gate: Gate = field(default_factory=Gate)  # per tenant: creates shared, comparisons with them exclusive
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
        seeds = dict(zip(owners, self.http.gather([partial(self._seed, owner) for owner in owners]), strict=True))
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
        self._check_reachable()
        self.provisioner = self._provisioner()

    def close(self) -> list[str]:
        """Remove everything the run created (once); returns what could not be removed."""
        problems: list[str] = []
        self.closed = True
        if self.http is None:
            return problems
        self.http.drain()  # an interrupt may have left requests of a gather going: they end first
        # Removals are independent: all at once (within the environment's limits).
        problems += self._attempt_all([(f"delete project {project_id}", partial(self._delete, owner, project_id))
                                       for owner, project_id in self.created if self._outlives_tenants(owner)])
        if self.provisioner is not None and self.provisioner.removes_data:
            # Every planned id, not only the provisioned ones: a create whose answer an interrupt cut off
            # may have made the tenant all the same (removing an absent tenant is fine).
            known = [tenant.tenant_id for tenant in self.tenants.values()]
            problems += self._attempt_all([(f"remove tenant {tenant_id}", partial(self.provisioner.remove, tenant_id))
                                           for tenant_id in [*known, *(p for p in self.planned if p not in known)]])
        if not problems:
            self._record_path().unlink(missing_ok=True)
        self.http.close()
        return problems

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

    def download_key(self, owner: str, project_id: str, file_path: str) -> str:
        template = self.settings.profile.api.download_key
        return template.format(tenant_id=self.tenant_id(owner), project_id=project_id, file_path=file_path)

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

    def seed(self, label: str) -> Seed:
        found = self.default_seed if label == ANONYMOUS else self.seeds.get(label)
        return found or Seed()

    def seeded_project(self, label: str) -> Project:
        project: Project = self._seeded(label, "project", "projects.create")
        return project

    def seeded_deployment(self, label: str) -> Deployment:
        deployment: Deployment = self._seeded(label, "deployment", "deployments.create")
        return deployment

    def seeded_file(self, label: str) -> File:
        file: File = self._seeded(label, "file", "files.write")
        return file

    def _seeded(self, label: str, part: str, creator: str) -> Any:
        """A seeded object; not-applicable if the profile cannot create it, inconclusive if seeding failed."""
        seed = self.seed(label)
        found = getattr(seed, part)
        if found is None:
            self.operation(creator)
            reason = f"{label} has no seeded {part}: {seed.problem or 'seeding did not get there'}"
            raise NotApplicable(reason) if seed.refused else Inconclusive(reason)
        return found

    def tenant_id(self, label: str) -> str:
        return self.settings.env.target.default_tenant if label == ANONYMOUS else self.tenants[label].tenant_id

    def values(self, owner: str) -> dict[str, Any]:
        """Fresh realistic values for a new object of ``owner``; sensitive ones carry its marker."""
        marker = self.markers[owner]
        stamp = self.settings.run_id
        with self._lock:  # one Faker for all threads
            return {
                "tenant_id": self.tenant_id(owner),
                "name": f"{self.faker.catch_phrase()} {marker}",
                "description": f"{self.faker.sentence(nb_words=8)} {self.search_word} {self.search_markers[owner]} "
                f"{marker}",
                "file_path": f"docs/{self.faker.slug()}-{stamp}-{self.path_markers[owner]}.md",
                "content": f"# {self.faker.bs()}\n{self.faker.paragraph()} {self.search_word} {marker}\n",
                "provider": "cloudflare-pages",
            }

    def new_project(self, owner: str) -> Project:
        """Create a project for ``owner`` (a tenant label or ``anonymous``) and register it for removal."""
        values = self.values(owner)
        _, identifier, _ = self.create_project(owner, values)
        return Project(id=identifier, owner=owner, name=values["name"], description=values["description"])

    def create_project(
        self, owner: str, values: dict[str, Any], *, body: Any = None
    ) -> tuple[Reply, str, dict[str, Any]]:
        """``owner`` creates a project from ``values`` (``body`` replaces the profile's body): the answer,
        the new id and object, registered for removal before any comparison of ``owner``'s lists goes on."""
        with self.gate.shared(owner):
            reply = self.actor(owner).call(self.operation("projects.create"), values, body=body)
            identifier, created = self.adopt(owner, reply)
        return reply, identifier, created

    def created_by(self, owner: str) -> set[str]:
        """Projects the run created as ``owner``, once every create of ``owner``'s already under way is
        registered (``gate``): a listing taken before this call holds no project of theirs that this lacks."""
        with self.gate.exclusive(owner), self._lock:
            return {project for creator, project in self.created if creator == owner}

    def adopt(self, owner: str, reply: Reply) -> tuple[str, dict[str, Any]]:
        """A ``projects.create`` answer of ``owner``: the new project's id and body, registered for removal
        (inconclusive when nothing was created)."""
        operation = self.operation("projects.create")
        resource = self.settings.profile.resource("projects")
        assert resource is not None
        identifier = self._created_id(reply, resource.id_field, operation)
        with self._lock:
            self.created.append((owner, identifier))
            if self._outlives_tenants(owner):
                self._write_record()
        return identifier, reply.object(operation) or {}

    def new_deployment(self, owner: str, project: Project) -> Deployment:
        operation = self.operation("deployments.create")
        resource = self.settings.profile.resource("deployments")
        assert resource is not None
        reply = self.actor(owner).call(operation, {**self.values(owner), "project_id": project.id})
        return Deployment(id=self._created_id(reply, resource.id_field, operation), project_id=project.id,
                          owner=owner)

    def new_file(self, owner: str, project: Project) -> File:
        operation = self.operation("files.write")
        values = {**self.values(owner), "project_id": project.id}
        reply = self.actor(owner).call(operation, values)
        if reply.status not in (200, 201):
            raise Inconclusive(f"{owner} could not store a file: {reply.status} {reply.text[:200]}")
        return File(project_id=project.id, path=values["file_path"], content=values["content"], owner=owner)

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
            if self.settings.profile.provisioning.admin is None and self.settings.profile.provisioning.signup:
                assert self.anonymous is not None
                return SignupProvisioner(self.settings.profile, self.anonymous)
            return AdminApiProvisioner(self.settings.profile, self.admin)
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
        secret = self.provisioner.create(tenant_id, name)
        tenant = Tenant(label=label, tenant_id=tenant_id, name=name, marker=marker, secret=secret)
        self.tenants[label] = tenant
        self._mark(label, marker)
        if secret:
            self.redactor.add(secret, secret_variable(label))
        tenant.actor = self.http.actor(label, self.auth(tenant))
        planted = next((static.marker for static in self.settings.env.provisioning.tenants
                        if static.id == tenant_id and static.marker), None)
        if planted:  # pre-existing data the operator marked: a leak of it is a canary finding too
            self.planted[label] = planted
            self.scanner.register(planted, label)

    def _mark(self, owner: str, marker: str | None = None) -> None:
        """Give ``owner`` its markers: for names and contents, for file paths, and for search terms (see
        ``tenantcheck.engine.canaries``: a requester that sends a marker knows it from then on)."""
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
        if identity.scheme == "bearer":
            return CredentialAuth("Authorization", f"Bearer {tenant.secret}")
        if identity.scheme == "cookie":
            return CredentialAuth("Cookie", f"{identity.cookie_name}={tenant.secret}")
        return CredentialAuth(identity.credential_header, tenant.secret)

    def _seed(self, label: str) -> Seed:
        """Seed one tenant; a missing operation leaves that part out (its checks are then n/a)."""
        seed = Seed()
        profile = self.settings.profile
        try:
            if profile.operation("projects.create"):
                seed.project = self.new_project(label)
            if seed.project and profile.operation("deployments.create"):
                seed.deployment = self.new_deployment(label, seed.project)
            if seed.project and profile.operation("files.write"):
                seed.file = self.new_file(label, seed.project)
        except (NotApplicable, Inconclusive) as error:
            seed.problem = str(error)  # checks that need the missing part say so, with this reason
            seed.refused = isinstance(error, NotApplicable)
        return seed

    def _created_id(self, reply: Reply, id_field: str, operation: Operation) -> str:
        body = reply.object(operation)
        identifier = body.get(id_field) if body else None
        if reply.status not in (200, 201) or not isinstance(identifier, str | int):
            raise Inconclusive(f"create did not succeed: {reply.status} {reply.text[:200]}")
        return str(identifier)

    def _delete(self, owner: str, project_id: str) -> None:
        operation = self.settings.profile.operation("projects.delete")
        if operation is None:
            raise Inconclusive("the profile has no projects.delete; remove the run's projects by hand")
        reply = self.actor(owner).call(operation, {**self.values_base(owner), "id": project_id})
        if reply.status not in (200, 202, 204, 404):
            raise Inconclusive(f"{reply.status}")

    def _attempt_all(self, attempts: list[tuple[str, Callable[[], object]]]) -> list[str]:
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
        """Whether a project of ``owner`` survives the removal of the run's tenants (so the record names it)."""
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
                  "projects": [[self.tenant_id(owner), project] for owner, project in self.created
                               if self._outlives_tenants(owner)]}
        path.write_text(json.dumps(record, indent=2))
