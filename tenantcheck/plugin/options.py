"""Command-line options of a run (``tenantcheck run --help`` lists them first)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tenantcheck", "tenant isolation checks")
    group.addoption("--env", dest="tenantcheck_env", default=None,
                    help="environment name (environments/NAME.toml) or path to a TOML file; activates tenantcheck")
    group.addoption("--profile", dest="tenantcheck_profile", default=None,
                    help="profile name or path (default: the environment's)")
    group.addoption("--tenants", dest="tenantcheck_tenants", type=int, default=2,
                    help="number of test tenants to provision (default 2)")
    group.addoption("--run-id", dest="tenantcheck_run_id", default=None,
                    help="run id (8 hex digits; default: random)")
    group.addoption("--report-dir", dest="tenantcheck_report_dir", default="reports",
                    help="where reports/<run-id>/ is written")
    group.addoption("--allow-production-writes", dest="tenantcheck_allow_production_writes", action="store_true",
                    help="allow writes on an environment marked production (with dedicated test tenants)")
    group.addoption("--baseline", dest="tenantcheck_baseline", default=None, metavar="PATH.json",
                    help="an earlier isolation-report.json: only findings not in it fail the gate")
    group.addoption("--waivers", dest="tenantcheck_waivers", default=None, metavar="TOML",
                    help="waivers.toml: accepted findings with owner and expiry (docs/ci.md)")
    group.addoption("--manifest", dest="tenantcheck_manifest", default=None, metavar="PATH.json",
                    help="verify a restore: the manifest `tenantcheck seed` wrote before the backup (RV cases)")
    group.addoption("--keep", dest="tenantcheck_keep", action="store_true",
                    help="with --manifest: keep the seeded tenants after verifying")
    group.addoption("--pairs", dest="tenantcheck_pairs", default=None,
                    help="attacker/victim pairs: all | ring | random:K (default: all up to 5 tenants, ring above)")
    group.addoption("--concurrency", dest="tenantcheck_concurrency", type=int, default=None, metavar="K",
                    help="checks in flight at once in one process (default: [safety] max_concurrency; "
                    "1: one at a time; under -n each worker runs one at a time)")
    group.addoption("--flaw", dest="tenantcheck_flaws", action="append", default=[],
                    help="embedded target only: switch on a reference flaw (repeatable)")
