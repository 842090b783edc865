"""The pytest plugin (entry point ``tenantcheck``): wires options, markers and hooks to the engine.

It is active only when ``--env`` is given (``tenantcheck run`` always gives it), so installing
tenantcheck never changes an unrelated pytest run: only then does it register the fixtures the suites
use (``tenantcheck.fixtures``, the repository's top-level ``fixtures/``). The controller (the only
process without xdist) starts the embedded target, collects every check's result from the reports,
writes the report and sets the exit code: 0 isolated, 1 findings, 2 inconclusive, 3 configuration error.

Its parts: ``options`` (command line, loading the configuration), ``parametrize`` (checks over
operations and tenant pairs), ``verdicts`` (per-check hooks), ``ahead`` (checks in flight at once),
``collector`` (the controller's results, report and summary), ``teardown``, ``stash`` (shared keys).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tenantcheck.config.environment import Environment, load_environment, with_base_url
from tenantcheck.config.profile import Profile, load_profile
from tenantcheck.errors import ConfigError
from tenantcheck.plugin.collector import Collector
from tenantcheck.plugin.stash import (
    BASELINE_KEY,
    ENV_KEY,
    MANIFEST_KEY,
    PROFILE_KEY,
    RECORDER_KEY,
    RUN_KEY,
    TRIMMER_KEY,
    WAIVERS_KEY,
    active,
)
from tenantcheck.plugin.teardown import halt_requests, tear_down
from tenantcheck.report.gating import load_report, load_waivers
from tenantcheck.restore.manifest import Manifest, load_manifest
from tenantcheck.run.interrupts import GracefulStop
from tenantcheck.run.memory import Trimmer, limit_malloc_arenas
from tenantcheck.run.recording import Recorder
from tenantcheck.verdict import EXIT_CONFIG

pytest_plugins = ["tenantcheck.plugin.options", "tenantcheck.plugin.parametrize", "tenantcheck.plugin.verdicts",
                  "tenantcheck.plugin.ahead"]
FIXTURES = "tenantcheck.fixtures"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "case(id): the catalog case a check belongs to (TC-01 ... RV-04)")
    config.addinivalue_line(
        "markers", "over(operations=(), pairs='cross|each|anonymous|none', variants=()): what a check runs over")
    config.addinivalue_line(
        "markers", "needs(*what): operations ('projects.update') or 'inspector' a check needs; else not-applicable")
    config.addinivalue_line(
        "markers", "serial: run this check alone (it reads state that checks running beside it would change)")
    if not config.getoption("tenantcheck_env"):
        return
    try:
        env, profile = load_configuration(config)
    except ConfigError as error:
        pytest.exit(f"tenantcheck: {error}", returncode=EXIT_CONFIG)
    config.stash[ENV_KEY] = env
    config.stash[PROFILE_KEY] = profile
    config.pluginmanager.import_plugin(FIXTURES)
    try:
        baseline, waivers = config.getoption("tenantcheck_baseline"), config.getoption("tenantcheck_waivers")
        config.stash[BASELINE_KEY] = load_report(Path(baseline)) if baseline else None
        config.stash[WAIVERS_KEY] = load_waivers(Path(waivers)) if waivers else []
        manifest = config.getoption("tenantcheck_manifest")
        config.stash[MANIFEST_KEY] = load_manifest(Path(manifest)) if manifest else None
        if manifest:
            check_seed_keys(config.stash[MANIFEST_KEY], env.target.mode or profile.identity.mode, Path(manifest))
    except ConfigError as error:
        pytest.exit(f"tenantcheck: {error}", returncode=EXIT_CONFIG)
    config.stash[RECORDER_KEY] = Recorder()
    config.stash[TRIMMER_KEY] = Trimmer()
    limit_malloc_arenas()  # before the run starts its threads (tenantcheck.run.memory)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.stash[RUN_KEY] = dict(workerinput["tenantcheck"])
        return
    run_id = config.getoption("tenantcheck_run_id") or secrets.token_hex(4)
    config.stash[RUN_KEY] = {"run_id": run_id, "base_url": env.target.base_url, "admin_token": None,
                             "started": datetime.now(UTC).isoformat(timespec="milliseconds")}
    collector = Collector(config)
    config.pluginmanager.register(collector, "tenantcheck-collector")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(collector), "tenantcheck-xdist")
    signal.signal(signal.SIGTERM, _interrupt)


def load_configuration(config: pytest.Config) -> tuple[Environment, Profile]:
    """The environment (with ``--base-url`` and ``--flaw`` applied) and the profile; checks the options that
    argparse cannot (``--run-id`` is checked while parsing, before any plugin is configured)."""
    env = load_environment(config.getoption("tenantcheck_env"))
    # tenantcheck's --base-url, or pytest-base-url's where that plugin owns the option (plugin/options.py)
    base_url = config.getoption("tenantcheck_base_url", None) or config.getoption("base_url", None)
    if base_url is not None:
        env = with_base_url(env, base_url)
    flaws = [flaw for item in config.getoption("tenantcheck_flaws") for flaw in item.split(",") if flaw]
    if flaws:
        if not env.target.embedded:
            raise ConfigError("--flaw switches flaws of the embedded reference target; this environment has none")
        env = env.model_copy(update={"target": env.target.model_copy(update={"flaws": [*env.target.flaws, *flaws]})})
    if env.target.embedded:
        from tenantcheck.run.embedded import check_flaws

        check_flaws(env.target.flaws, env.target.app)
    profile = load_profile(config.getoption("tenantcheck_profile") or env.profile)
    sampling = config.getoption("tenantcheck_pairs")
    if sampling is not None and not re.fullmatch(r"all|ring|random:[1-9][0-9]*", sampling):
        raise ConfigError(f"--pairs {sampling!r}: use all, ring or random:K (K a positive number)")
    concurrency = config.getoption("tenantcheck_concurrency")
    if concurrency is not None and concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if config.getoption("tenantcheck_tenants") < 2:
        raise ConfigError("--tenants must be at least 2: isolation needs an attacker and a victim")
    return env, profile


def check_seed_keys(manifest: Manifest | None, mode: str, path: Path) -> None:
    """Verify in token identity acts as each seeded tenant with the key seed wrote for it: every
    ``TENANTCHECK_SEED_KEY_<LABEL>`` must be set before anything runs (else the RV checks could only be
    inconclusive, after the whole catalog ran)."""
    if manifest is None or mode == "header":
        return
    missing = [tenant.key_variable for tenant in manifest.tenants if not os.environ.get(tenant.key_variable)]
    if missing:
        raise ConfigError(f"the seeded tenants' keys are not set: {', '.join(missing)} (`source` the keys file "
                          f"`tenantcheck seed` wrote, by default {path.with_suffix('.keys.env')})")


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C (until checks run here: ``tenantcheck.run.interrupts``)."""
    raise KeyboardInterrupt


class XdistHooks:
    """Hands the run (id, target URL, admin token) to each worker; learns the number of checks."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tenantcheck"] = node.config.stash[RUN_KEY]

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collector.total = max(self.collector.total, len(ids))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the embedded reference target once, in the controller, before xdist starts workers. Where
    checks run (not in an xdist controller), Ctrl-C and SIGTERM stop the run between checks."""
    config = session.config
    if not active(config):
        return
    if not config.pluginmanager.has_plugin("dsession"):
        GracefulStop(session, partial(halt_requests, config)).install()
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    env = config.stash[ENV_KEY]
    if env.target.embedded:
        from tenantcheck.run.embedded import start_embedded

        try:
            process = start_embedded(env, env.target.mode or config.stash[PROFILE_KEY].identity.mode)
        except Exception as error:
            pytest.exit(f"tenantcheck: the embedded reference target did not start: {error}", returncode=2)
        config.add_cleanup(process.stop)
        # data_dir: where a sqlite inspector reads (the reference's data directory, the Ledger's database)
        config.stash[RUN_KEY].update(base_url=process.base_url, admin_token=getattr(process, "admin_token", None),
                                     data_dir=str(getattr(process, "database", process.data_dir)))
    from tenantcheck.engine.world import Settings  # late: the plugin loads in every pytest run
    from tenantcheck.errors import TargetError
    from tenantcheck.run.preflight import preflight

    run = config.stash[RUN_KEY]
    settings = Settings(env=env, profile=config.stash[PROFILE_KEY], run_id=run["run_id"], base_url=run["base_url"],
                        admin_token=run.get("admin_token"))
    try:
        preflight(settings)
    except TargetError as error:
        pytest.exit(f"tenantcheck: {error}; no check ran and nothing was created on the target", returncode=2)
    run["reached"] = True


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not active(config):
        return []
    env, run = config.stash[ENV_KEY], config.stash[RUN_KEY]
    target = run.get("base_url") or "(embedded, starting)"
    flaws = f", flaws: {', '.join(env.target.flaws)}" if env.target.flaws else ""
    return [f"tenantcheck: environment {env.name} -> {target}{flaws}",
            f"tenantcheck: profile {config.stash[PROFILE_KEY].name}, run id {run['run_id']}, "
            f"tenants {config.getoption('tenantcheck_tenants')}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Let ``-k TC-04`` select a case: the case id becomes a keyword of its checks."""
    restore_checks = [item for item in items if (m := item.get_closest_marker("case")) and m.args[0][:3] == "RV-"]
    if restore_checks and not (active(config) and config.stash[MANIFEST_KEY]):
        config.hook.pytest_deselected(items=restore_checks)  # restore checks run only in `tenantcheck verify`
        items[:] = [item for item in items if item not in restore_checks]
    for item in items:
        marker = item.get_closest_marker("case")
        if marker:
            item.extra_keyword_matches.add(marker.args[0])
    if items and not active(config) and any(item.get_closest_marker("case") for item in items):
        pytest.exit("tenantcheck: suites need an environment: add --env local (or use `tenantcheck run`)",
                    returncode=EXIT_CONFIG)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """An interrupt that lands in pytest's own teardown (between two finalizers) skips the ones after it,
    the world's among them: then the world is torn down here, after every fixture that uses it."""
    tear_down(session.config)
