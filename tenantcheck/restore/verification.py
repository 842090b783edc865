"""What ``tenantcheck verify`` checks against: the seeded tenants of a manifest, with clients again.

Seeded tenants act under their own labels (``seeded-tenant-a``) and their markers are registered with
the run's canary scanner, so data of a seeded tenant showing up anywhere else is a leak like any other.
"""

from __future__ import annotations

import os

from tenantcheck.engine.http import Actor, CredentialAuth
from tenantcheck.engine.world import World
from tenantcheck.errors import Inconclusive
from tenantcheck.restore.manifest import Manifest, SeededTenant


class Restored:
    def __init__(self, world: World, manifest: Manifest) -> None:
        self.world = world
        self.manifest = manifest
        self._actors: dict[str, Actor] = {}
        self._missing: dict[str, str] = {}
        for tenant in manifest.tenants:
            for marker in tenant.markers:
                world.scanner.register(marker, self.owner(tenant.label))
            self._connect(tenant)

    @staticmethod
    def owner(label: str) -> str:
        return f"seeded-{label}"

    def tenant(self, label: str) -> SeededTenant:
        return self.manifest.tenant(label)

    def actor(self, label: str) -> Actor:
        if label in self._missing:
            raise Inconclusive(self._missing[label])
        return self._actors[label]

    def remove(self) -> list[str]:
        """Remove the seeded tenants (admin API) or their objects (static and header tenants)."""
        problems: list[str] = []
        provisioner = self.world.provisioner
        for tenant in self.manifest.tenants:
            try:
                if provisioner is not None and provisioner.removes_data:
                    provisioner.remove(tenant.tenant_id)
                    continue
                for obj in reversed(tenant.objects):  # children before parents
                    delete = self.world.settings.profile.operation(f"{obj.resource}.delete")
                    if delete is not None:
                        self.actor(tenant.label).call(delete, {"tenant_id": tenant.tenant_id, **obj.address})
            except Exception as error:  # go on with the other tenants and report every failure
                problems.append(f"seeded tenant {tenant.tenant_id}: {error}")
        return problems

    def _connect(self, tenant: SeededTenant) -> None:
        world = self.world
        assert world.http is not None
        identity = world.settings.profile.identity
        if world.settings.mode == "header":
            auth = CredentialAuth(identity.tenant_headers[0], tenant.tenant_id)
        else:
            key = os.environ.get(tenant.key_variable)
            if not key:
                self._missing[tenant.label] = (f"no key for seeded {tenant.label}: set {tenant.key_variable} "
                                               "(source the keys file `tenantcheck seed` wrote)")
                return
            world.redactor.add(key, tenant.key_variable)
            scheme = identity.scheme
            auth = (CredentialAuth("Authorization", f"Bearer {key}") if scheme == "bearer"
                    else CredentialAuth("Cookie", f"{identity.cookie_name}={key}") if scheme == "cookie"
                    else CredentialAuth(identity.credential_header, key))
        self._actors[tenant.label] = world.http.actor(self.owner(tenant.label), auth)
