"""Backup and restore verification: the seed manifest, ``tenantcheck seed``, and what ``verify`` checks."""
