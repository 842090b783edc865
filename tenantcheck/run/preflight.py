"""Before any check: is the target there, and does it take the run's admin credentials?

A run against a target where nothing listens, or with an admin token the target refuses, would otherwise
collect every check and make each one inconclusive with the same cause (and its teardown would report
tenants "left on the target" that were never created). The preflight asks once, and the run stops with
exit code 2 and the one cause.
"""

from __future__ import annotations

from tenantcheck.engine.tenants import AdminApiProvisioner
from tenantcheck.engine.world import Settings, World
from tenantcheck.errors import TargetError, TenantcheckError
from tenantcheck.run.recording import Recorder


def preflight(settings: Settings) -> None:
    """Reach the target (its health check) and, with admin-api provisioning, have the admin token accepted;
    a ``TargetError`` says what failed. Sends no write."""
    world = World(settings=settings, recorder=Recorder())
    try:
        world.connect()
        provisioner = world.provisioner
        if isinstance(provisioner, AdminApiProvisioner) and provisioner.api.list is not None:
            assert world.admin is not None
            reply = world.admin.call(provisioner.api.list, {})
            if reply.status in (401, 403):
                raise TargetError(f"the admin token was refused ({reply.status} to {provisioner.api.list.method} "
                                  f"{provisioner.api.list.path}): no tenant could be provisioned")
    except TargetError:
        raise
    except TenantcheckError as error:
        raise TargetError(str(error)) from None
    finally:
        if world.http is not None:
            world.http.close()
