"""The commands behind the ``tenantcheck`` console script (run, seed, verify, cleanup, init, report, catalog)."""
