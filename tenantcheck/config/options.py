"""The options of a run (``tenantcheck run`` and ``pytest --env``), defined once in ``OPTIONS``.

The plugin registers them with pytest (``tenantcheck.plugin.options``: the group "tenant isolation
checks"); ``tenantcheck run --help`` renders the same specs with argparse before pytest's own help
(``tenantcheck.commands.cli``), so an option, its metavar and its default are written in one place. This
module imports neither pytest nor the plugin. Metavars are explicit (pytest would derive
``TENANTCHECK_TENANTS`` from the dest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tenantcheck.config.runid import run_id_argument

GROUP = ("tenantcheck", "tenant isolation checks")


@dataclass(frozen=True, kw_only=True)
class Option:
    """One option of the plugin: what pytest's ``addoption`` and argparse's ``add_argument`` are given."""

    flag: str
    dest: str
    help: str
    metavar: str | None = None
    default: Any = None
    type: Callable[[str], Any] | None = None
    action: str | None = None
    shown_default: str | None = None  # how the default reads in the help; None: not shown
    run_default: str | None = None  # the default `tenantcheck run` gives instead (shown in its help)
    lists_flaws: bool = False  # its help in `tenantcheck run --help` lists the reference flaws

    def help_text(self, *, run: bool = False, flaws: Sequence[str] = ()) -> str:
        text = self.help
        if self.lists_flaws and flaws:
            text += f"; one of: {', '.join(flaws)}"
        default = (self.run_default if run else None) or self.shown_default
        return text + (f" (default: {default})" if default else "")

    def kwargs(self, *, run: bool = False, flaws: Sequence[str] = ()) -> dict[str, Any]:
        """Keyword arguments of ``addoption`` / ``add_argument`` (pytest's parser takes argparse's)."""
        given: dict[str, Any] = {"dest": self.dest, "default": self.default,
                                 "help": self.help_text(run=run, flaws=flaws).replace("%", "%%")}
        if self.action is not None:
            given["action"] = self.action
        if self.metavar is not None:
            given["metavar"] = self.metavar
        if self.type is not None:
            given["type"] = self.type
        return given


OPTIONS: tuple[Option, ...] = (
    Option(flag="--env", dest="tenantcheck_env", metavar="NAME",
           help="environment: a name (environments/NAME.toml) or the path of a TOML file; activates tenantcheck",
           shown_default="none: the plugin stays off", run_default="local"),
    Option(flag="--profile", dest="tenantcheck_profile", metavar="NAME",
           help="profile name (profiles/NAME.toml) or path", shown_default="the environment's"),
    Option(flag="--base-url", dest="tenantcheck_base_url", metavar="URL",
           help="test this URL instead of the environment's [target] base_url (not for an embedded target)",
           shown_default="the environment's"),
    Option(flag="--tenants", dest="tenantcheck_tenants", metavar="N", type=int, default=2,
           help="number of test tenants to provision", shown_default="2"),
    Option(flag="--pairs", dest="tenantcheck_pairs", metavar="MODE",
           help="attacker/victim pairs: all | ring | random:K", shown_default="all up to 5 tenants, ring above"),
    Option(flag="--concurrency", dest="tenantcheck_concurrency", metavar="K", type=int,
           help="checks in flight at once in one process (1: one at a time; under -n each worker runs one at "
           "a time)", shown_default="[safety] max_concurrency"),
    Option(flag="--run-id", dest="tenantcheck_run_id", metavar="ID", type=run_id_argument,
           help="run id, part of every tenant id and of the report folder: 3 to 32 lowercase letters, "
           "digits and '-'", shown_default="8 random hex digits"),
    Option(flag="--report-dir", dest="tenantcheck_report_dir", metavar="PATH", default="reports",
           help="where the report folder PATH/<run-id>/ is written", shown_default="reports"),
    Option(flag="--baseline", dest="tenantcheck_baseline", metavar="PATH",
           help="an earlier isolation-report.json: only findings not in it fail the gate"),
    Option(flag="--waivers", dest="tenantcheck_waivers", metavar="PATH",
           help="waivers.toml: accepted findings with owner and expiry (docs/ci.md)"),
    Option(flag="--allow-production-writes", dest="tenantcheck_allow_production_writes", action="store_true",
           default=False,
           help="allow writes on an environment marked production (with dedicated test tenants)"),
    Option(flag="--manifest", dest="tenantcheck_manifest", metavar="PATH",
           help="verify a restore: the manifest `tenantcheck seed` wrote before the backup (RV cases)"),
    Option(flag="--keep", dest="tenantcheck_keep", action="store_true", default=False,
           help="keep the run's tenants and data on the target, their keys in .tenantcheck/runs/<run-id>.keys.env "
                "(mode 0600), so every curl line of the report replays; remove them with tenantcheck cleanup "
                "--run-id (with --manifest: also keep the seeded tenants)"),
    Option(flag="--flaw", dest="tenantcheck_flaws", metavar="NAME", action="append", default=[],
           help="embedded target only: switch on a reference flaw (repeatable or comma-separated)",
           lists_flaws=True),
)
