"""``build_inspector``: the backend an environment's ``[inspector]`` section names, opened and ready."""

from __future__ import annotations

from pathlib import Path

from tenantcheck.config.environment import Inspector
from tenantcheck.inspectors.base import InspectorError, StorageInspector


def build_inspector(section: Inspector, *, data_dir: str | Path | None = None) -> StorageInspector:
    """Open the inspector of ``section``; ``data_dir`` is the embedded target's (for ``sqlite`` without
    paths). Raises ``InspectorError`` with what to fix when storage cannot be reached."""
    if section.kind == "sqlite":
        from tenantcheck.inspectors.sqlite import sqlite_inspector

        d1_path = section.d1_path or data_dir
        if d1_path is None:
            raise InspectorError('[inspector] kind = "sqlite" needs d1_path (and kv_path) unless the target is '
                                 "embedded, whose data directory it reads by default")
        embedded_dir = data_dir if data_dir is not None and Path(data_dir).is_dir() else None
        return sqlite_inspector(d1_path=d1_path, kv_path=section.kv_path or (None if section.d1_path else embedded_dir),
                                database=section.database, files_namespace=section.files_namespace,
                                cache_namespace=section.cache_namespace)
    if section.kind == "wrangler":
        from tenantcheck.inspectors.wrangler import wrangler_inspector

        return wrangler_inspector(section)
    from tenantcheck.inspectors.cloudflare import cloudflare_inspector

    return cloudflare_inspector(section)


def locks_local_runtime(section: Inspector) -> bool:
    """Whether reads through ``section`` open the database files of a local Workers runtime (``wrangler
    --local``, or ``sqlite`` on wrangler's state): workerd then fails its own queries that meet a read
    ("database is locked"), so checks that read storage must run with nothing else in flight."""
    if section.kind == "wrangler":
        return not section.remote
    if section.kind == "sqlite":
        from tenantcheck.inspectors.sqlite import state_root

        return any(state_root(Path(path)) is not None for path in (section.d1_path, section.kv_path) if path)
    return False
