"""Case families over a profile: which operations of which resources each kind of check attacks.

The suites name a family in their ``over`` marker; the plugin's parametrization asks it for the profile's
operations at collection time, so a check exists for every resource and operation the profile declares
(``TC-02[books.get:tenant-b:tenant-a]``), under the guide case that reports it. A family that finds
nothing to attack in a profile yields no operation: the plugin then collects one not-applicable check per
case it reports, so the case says why instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenantcheck.config.profile import PLACEHOLDER, Profile
from tenantcheck.surface import surface_paths

FOREIGN_PATH = "victim-path"  # the variant that names the victim's tenant id where a path names the caller's


@dataclass(frozen=True)
class Target:
    """One operation a family attacks, with its variant and the case that reports it."""

    operation: str | None
    variant: str | None = None
    case: str | None = None


Family = Callable[[Profile], "list[Target]"]


def names_tenant(profile: Profile, operation: str) -> bool:
    found = profile.operation(operation)
    return found is not None and "tenant_id" in found.path_fields()


def object_access(profile: Profile) -> list[Target]:
    """Foreign objects by id (read, update, delete, extra operations) and children under a foreign parent
    (list, create); where a path names the caller's tenant, also with the victim's tenant in it."""
    found: list[Target] = []
    for name in profile.in_order():
        spec = profile.resources[name]
        case = profile.case_of(name)
        kinds = [spec.getter, "update", "delete", *spec.actions]
        if spec.parent is not None or (spec.list is not None and names_tenant(profile, f"{name}.list")):
            kinds += ["list", spec.creator]  # children of a foreign parent, or in a foreign tenant's scope
        for kind in kinds:
            operation = f"{name}.{kind}"
            if kind is None or profile.operation(operation) is None:
                continue
            if spec.parent is not None or kind not in ("list", spec.creator):
                found.append(Target(operation, None, case))
            if names_tenant(profile, operation):
                found.append(Target(operation, FOREIGN_PATH, case))
    return found


def own_lists(profile: Profile) -> list[Target]:
    """Every top-level resource's list: what a tenant lists must be its own."""
    return [Target(f"{name}.list") for name, spec in profile.resources.items()
            if spec.parent is None and spec.list is not None]


def without_identity(profile: Profile) -> list[Target]:
    """Reads of every resource (lists of top-level ones, reads by id of all) and the main resource's
    create, sent without identity."""
    found = [Target(f"{name}.list") for name, spec in profile.resources.items()
             if spec.parent is None and spec.list is not None]
    found += [Target(f"{name}.{spec.getter}") for name, spec in profile.resources.items() if spec.getter]
    main = profile.main
    if main is not None and profile.resources[main].creator:
        found.append(Target(f"{main}.{profile.resources[main].creator}"))
    return found


def main_resource(*kinds: str) -> Family:
    """A family of the main resource's operations of ``kinds`` (``get``, ``list``, ``create``, ...)."""

    def family(profile: Profile) -> list[Target]:
        main = profile.main
        if main is None:
            return []
        spec = profile.resources[main]
        aliases = {"get": spec.getter or "get", "create": spec.creator or "create"}
        return [Target(f"{main}.{aliases.get(kind, kind)}") for kind in kinds]

    family.__doc__ = f"The main resource's {', '.join(kinds)}."
    return family


def main_read(profile: Profile) -> list[Target]:
    """How a tenant sees its own object of the main resource: its read by id, else its list."""
    main = profile.main
    if main is None:
        return []
    spec = profile.resources[main]
    kind = spec.getter or ("list" if spec.list is not None else None)
    return [Target(f"{main}.{kind}")] if kind else []


def stored_tables(profile: Profile) -> list[Target]:
    """Every table a storage mapping names (``storage.<table>``): its rows must carry their owner."""
    tables = {table.table: None for spec in profile.resources.values() if spec.storage for table in spec.storage.tables}
    return [Target(None, f"storage.{table}") for table in tables]


def holders(profile: Profile, table: str) -> list[str]:
    """The resources whose storage mapping names ``table``."""
    return [name for name, spec in profile.resources.items()
            if spec.storage and any(entry.table == table for entry in spec.storage.tables)]


def keyed_contents(profile: Profile) -> list[Target]:
    """Every resource whose content has a key pattern (``storage.<resource>``)."""
    return [Target(None, f"storage.{name}") for name, spec in profile.resources.items()
            if spec.storage and spec.storage.kv and spec.creator]


def stored_creates(profile: Profile) -> list[Target]:
    """The creates of every resource with a storage mapping (made without identity, TC-08)."""
    return [Target(f"{name}.{spec.creator}", "storage") for name, spec in profile.resources.items()
            if spec.storage and spec.storage.tables and spec.creator]


UPSERT_VARIANTS = ("overwrite", "overwrite-as-owner", "plant")


def upserts(profile: Profile) -> list[Target]:
    """Every resource's upsert (sync, import, bulk write): another tenant's ids (``overwrite``), with its
    owner value too (``overwrite-as-owner``), and a new id with another tenant's owner value (``plant``);
    the last two only where the body takes an owner value (``{tenant_id}``)."""
    found: list[Target] = []
    for name, spec in profile.resources.items():
        if spec.upsert is None or spec.parent is not None:
            continue
        owned = "tenant_id" in set(PLACEHOLDER.findall(repr(spec.upsert.body)))
        found += [Target(f"{name}.upsert", variant) for variant in UPSERT_VARIANTS
                  if owned or variant == "overwrite"]
    return found


def surface(profile: Profile) -> list[Target]:
    """Every path of the surface sweep: the profile's ``[surface]`` paths, then the built-in ones."""
    return [Target(None, path) for path in surface_paths(profile)]
