"""The conformance catalog: case ids, what each tries, how it decides, and its default severity.

The single source for `tenantcheck catalog`, the report's catalog table and the suites' markers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["critical", "high", "medium", "info"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "info": 3}


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    name: str
    tries: str
    oracles: str
    family: str


CASES: tuple[Case, ...] = (
    Case(id="TC-01", name="list isolation", family="lists",
         tries="each tenant lists every top-level resource (Pom Bolt: projects)",
         oracles="canary, list holds exactly own seeded items"),
    Case(id="TC-02", name="cross-tenant access", family="objects",
         tries="B reads, updates, deletes and acts on A's objects by id (Pom Bolt: projects)",
         oracles="control, denial, state, canary"),
    Case(id="TC-03", name="nested resource isolation", family="objects",
         tries="B lists, reads and creates children of A's objects (Pom Bolt: deployments)",
         oracles="control, denial, state, canary"),
    Case(id="TC-04", name="file storage isolation", family="objects",
         tries="B lists, reads and writes stored content of A's objects (Pom Bolt: files)",
         oracles="control, denial, state, canary"),
    Case(id="TC-05", name="search isolation", family="search",
         tries="same words in every tenant's objects; each searches them, and the other's marker",
         oracles="canary, results hold only own objects"),
    Case(id="TC-06", name="database verification", family="storage",
         tries="every row the run created carries its creator's tenant_id; denied attempts are logged",
         oracles="storage, audit"),
    Case(id="TC-07", name="KV prefixing", family="storage",
         tries="every FILES key the run created is {tenant_id}:{project_id}:{file_path}",
         oracles="storage"),
    Case(id="TC-08", name="default tenant", family="default_tenant",
         tries="no identity: lenient acts as the default tenant and sees no one else; strict refuses (401)",
         oracles="denial, canary, storage"),
    Case(id="TX-01", name="identity spoofing", family="spoofing",
         tries="A's credentials naming B by header (variants), query string or body; bare header in header mode",
         oracles="denial, canary"),
    Case(id="TX-02", name="mass assignment", family="mass_assignment",
         tries="create and update with body tenant_id = B", oracles="storage or owner's lists, canary"),
    Case(id="TX-03", name="KV key access", family="kv",
         tries="/api/download/{key} with B's keys, traversal and prefix tricks", oracles="denial, canary"),
    Case(id="TX-04", name="audit isolation", family="audit",
         tries="A reads access logs; B's entries never appear", oracles="canary"),
    Case(id="TX-05", name="cache isolation", family="cache",
         tries="the same URLs requested by A then B (warm cache)", oracles="canary"),
    Case(id="TX-06", name="concurrent isolation", family="concurrency",
         tries="every read kind of every tenant interleaved at once (lists, search, child lists, logs, by id)",
         oracles="each answer holds its own object; canary"),
    Case(id="TX-07", name="identifier probing", family="probing",
         tries="malformed and injected tenant ids (' OR '1'='1, %, *, unicode look-alikes)",
         oracles="denial, canary"),
    Case(id="TX-08", name="upsert and bulk writes", family="upsert",
         tries="sync/import/bulk writes naming another tenant's ids, its owner value, or both",
         oracles="state, ownership, canary"),
    Case(id="TX-09", name="surface sweep", family="surface",
         tries="debug, admin, health, metrics and backup paths (built-in and the profile's), anonymous and "
         "as a foreign tenant", oracles="canary, disclosure, writes on GET (inspector)"),
    Case(id="RV-01", name="restore: data kept", family="restore",
         tries="after backup and restore, every seeded object is present with the same hash", oracles="manifest"),
    Case(id="RV-02", name="restore: owner kept", family="restore",
         tries="after restore, every seeded object still belongs to its tenant", oracles="manifest, storage"),
    Case(id="RV-03", name="restore: isolation", family="restore",
         tries="the whole catalog still passes on the restored environment", oracles="all"),
    Case(id="RV-04", name="restore: consistency", family="restore",
         tries="D1 and KV agree after restore; a deleted tenant does not regain access",
         oracles="manifest, storage"),
)
CASES_BY_ID: dict[str, Case] = {case.id: case for case in CASES}
