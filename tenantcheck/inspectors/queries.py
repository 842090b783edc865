"""The storage reads the suites make, written once: which rows and keys the run's objects have.

The suites decide what is right (the creator's tenant id, the prefixed key); these functions only fetch,
in chunks small enough for D1's limit of 100 bound parameters per query.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from tenantcheck.inspectors.base import InspectorError, Row, StorageInspector

T = TypeVar("T")

DATA_TABLES = ("projects", "deployments", "file_metadata", "search_index")
"""The contract's tables whose every row carries its owner's tenant_id."""

COLUMNS = {
    "projects": ("id", "id, tenant_id"),
    "deployments": ("project_id", "id, project_id, tenant_id"),
    "file_metadata": ("project_id", "project_id, file_path, tenant_id"),
    "search_index": ("project_id", "project_id, file_path, tenant_id"),
}
"""table -> (the column naming the project, the columns read)."""

CHUNK = 90


def rows_of_projects(inspector: StorageInspector, table: str, project_ids: Sequence[str]) -> list[Row]:
    """Rows of ``table`` that belong to the given projects (the project rows themselves for ``projects``)."""
    if table not in COLUMNS:
        raise InspectorError(f"{table} is not one of the contract's data tables {', '.join(DATA_TABLES)}")
    key, columns = COLUMNS[table]
    rows: list[Row] = []
    ids = sorted(set(project_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows += inspector.query(f"SELECT {columns} FROM {table} WHERE {key} IN ({marks})", chunk)
    return rows


def failed_accesses(inspector: StorageInspector, tenant_id: str, resource_id: str) -> list[Row]:
    """Access-log rows of ``tenant_id`` about ``resource_id`` recorded as failures (success = 0)."""
    return inspector.query(
        "SELECT id, tenant_id, resource_id, resource_type, action, success FROM tenant_access_logs "
        "WHERE tenant_id = ? AND resource_id = ? AND success = 0", [tenant_id, resource_id])


def poll(fetch: Callable[[], T], done: Callable[[T], bool], *, window: float, interval: float) -> T:
    """Repeat ``fetch`` until ``done`` or ``window`` seconds have passed (storage behind an eventually
    consistent edge, or a log written just after the answer)."""
    deadline = time.monotonic() + window
    while True:
        value = fetch()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
