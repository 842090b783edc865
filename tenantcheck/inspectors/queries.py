"""The storage reads the suites make, written once: which rows and keys the run's objects have.

What to read comes from the profile's storage mappings (``[resources.<name>.storage]``: tables with an
id and an owner column, a key pattern in a KV namespace or a key-value table; ``audit_storage``). The
suites decide what is right (the creator's tenant id, the key with the tenant's place); these functions
only fetch, in chunks small enough for D1's limit of 100 bound parameters per query.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tenantcheck.config.profile import SQL_NAME, AuditTable, KeyValue, Table
from tenantcheck.inspectors.base import CACHE, FILES, InspectorError, Row, StorageInspector

T = TypeVar("T")

CHUNK = 90


def rows_of(inspector: StorageInspector, table: Table, ids: Sequence[str]) -> list[Row]:
    """Rows of ``table`` about the given object ids, as ``{"id", "owner"}`` (names are validated SQL
    identifiers of the profile)."""
    rows: list[Row] = []
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start:start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows += inspector.query(f"SELECT {table.id_column} AS id, {table.owner_column} AS owner FROM {table.table} "
                                f"WHERE {table.id_column} IN ({marks})", chunk)
    return rows


def stored_keys(inspector: StorageInspector, kv: KeyValue) -> list[str]:
    """Every key of the store ``kv`` names: a KV namespace, or a key-value table of the SQL database."""
    if kv.namespace is not None:
        return inspector.kv_keys(kv.namespace)
    rows = inspector.query(f"SELECT {kv.key_column} AS key FROM {kv.table}")
    return [str(row["key"]) for row in rows]


def failed_accesses(inspector: StorageInspector, audit: AuditTable, tenant_id: str, resource_id: str) -> list[Row]:
    """Audit rows of ``tenant_id`` about ``resource_id`` recorded as failures."""
    return inspector.query(
        f"SELECT {audit.tenant_column} AS tenant, {audit.resource_column} AS resource, {audit.success_column} "
        f"AS success FROM {audit.table} WHERE {audit.tenant_column} = ? AND {audit.resource_column} = ? AND "
        f"{audit.success_column} IN (0, '0', 'false')", [tenant_id, resource_id])


def poll(fetch: Callable[[], T], done: Callable[[T], bool], *, window: float, interval: float) -> T:
    """Repeat ``fetch`` until ``done`` or ``window`` seconds have passed (storage behind an eventually
    consistent edge, or a log written just after the answer)."""
    deadline = time.monotonic() + window
    while True:
        value = fetch()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


@dataclass(frozen=True)
class Snapshot:
    """What storage holds, cheaply: each table's largest rowid (an insert raises it), each KV namespace's keys."""

    tables: dict[str, int]
    keys: dict[str, frozenset[str]]


def snapshot(inspector: StorageInspector) -> Snapshot:
    """Storage before (or after) a request, for spotting a write without reading every row: a store the
    inspector cannot read is left out, so a diff never blames it."""
    # Virtual tables (full-text indexes) are left out: their rows are those of their shadow tables.
    names = inspector.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' "
                            "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' AND coalesce(sql, '') NOT LIKE "
                            "'%WITHOUT ROWID%'")
    tables = {}
    for row in names:
        name = str(row["name"])
        if SQL_NAME.match(name):
            [top] = inspector.query(f'SELECT coalesce(max(rowid), 0) AS top FROM "{name}"')
            tables[name] = int(top["top"])
    keys = {}
    for namespace in (FILES, CACHE):
        try:
            keys[namespace] = frozenset(inspector.kv_keys(namespace))
        except InspectorError:
            continue
    return Snapshot(tables, keys)


def written(inspector: StorageInspector, before: Snapshot, after: Snapshot, *,
            ignore: Collection[str] = ()) -> list[str]:
    """Rows and keys added between two snapshots, one line per store, leaving out those that hold any of
    ``ignore`` (the run's tenant ids, object ids and run id: what its own checks wrote, also on another
    xdist worker). Only additions count: another worker's cleanup may remove rows at any time."""
    changes = []
    for table in sorted(before.tables.keys() & after.tables.keys()):
        if after.tables[table] <= before.tables[table]:
            continue
        rows = inspector.query(f'SELECT * FROM "{table}" WHERE rowid > ?', [before.tables[table]])
        added = [row for row in rows if not any(token in json.dumps(row, default=str) for token in ignore)]
        if added:
            changes.append(f"table {table}: {len(added)} row(s) added")
    for namespace in sorted(before.keys.keys() & after.keys.keys()):
        added_keys = [key for key in after.keys[namespace] - before.keys[namespace]
                      if not any(token in key for token in ignore)]
        if added_keys:
            changes.append(f"KV {namespace}: {len(added_keys)} key(s) added")
    return changes
