"""The pytest plugin: wires options, markers, fixtures and hooks to the engine.

It is active only when ``--env`` is given (``tenantcheck run`` always gives it), so installing
tenantcheck never changes an unrelated pytest run. The controller (the only process without xdist)
starts the embedded target, collects every check's result from the reports, writes the report and sets
the exit code: 0 isolated, 1 findings, 2 inconclusive, 3 configuration error.
"""

from __future__ import annotations

import random
import re
import secrets
import signal
import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tenantcheck.catalog import CASES_BY_ID
from tenantcheck.checks import Check, Subject
from tenantcheck.collector import Collector
from tenantcheck.environment import Environment, load_environment
from tenantcheck.errors import CheckStop, ConfigError, NotApplicable
from tenantcheck.fanout import FanOut
from tenantcheck.findings import CheckResult, Finding
from tenantcheck.inspectors.factory import locks_local_runtime
from tenantcheck.inspectors.fixtures import inspector  # noqa: F401  (registers the session fixture)
from tenantcheck.interrupts import GracefulStop, interrupts_ignored
from tenantcheck.manifest import Manifest, load_manifest
from tenantcheck.memory import Trimmer, limit_malloc_arenas
from tenantcheck.profile import Profile, load_profile
from tenantcheck.recording import CheckContext, Recorder
from tenantcheck.report.allure_labels import label_check
from tenantcheck.report.gating import Waiver, load_report, load_waivers
from tenantcheck.tenants import tenant_labels
from tenantcheck.verdict import EXIT_CONFIG
from tenantcheck.verification import Restored
from tenantcheck.world import Settings, World

ENV_KEY = pytest.StashKey[Environment]()
PROFILE_KEY = pytest.StashKey[Profile]()
RUN_KEY = pytest.StashKey[dict[str, Any]]()
RECORDER_KEY = pytest.StashKey[Recorder]()
CONTEXT_KEY = pytest.StashKey[CheckContext]()
SUBJECT_KEY = pytest.StashKey[Subject]()
WORLD_KEY = pytest.StashKey[World]()
BASELINE_KEY = pytest.StashKey[dict[str, Any] | None]()
WAIVERS_KEY = pytest.StashKey[list[Waiver]]()
MANIFEST_KEY = pytest.StashKey[Manifest | None]()
TENANTS_SENT_KEY = pytest.StashKey[int]()
FANOUT_KEY = pytest.StashKey[FanOut | None]()
TRIMMER_KEY = pytest.StashKey[Trimmer]()


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
    try:
        baseline, waivers = config.getoption("tenantcheck_baseline"), config.getoption("tenantcheck_waivers")
        config.stash[BASELINE_KEY] = load_report(Path(baseline)) if baseline else None
        config.stash[WAIVERS_KEY] = load_waivers(Path(waivers)) if waivers else []
        manifest = config.getoption("tenantcheck_manifest")
        config.stash[MANIFEST_KEY] = load_manifest(Path(manifest)) if manifest else None
    except ConfigError as error:
        pytest.exit(f"tenantcheck: {error}", returncode=EXIT_CONFIG)
    config.stash[RECORDER_KEY] = Recorder()
    config.stash[TRIMMER_KEY] = Trimmer()
    limit_malloc_arenas()  # before the run starts its threads (tenantcheck.memory)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.stash[RUN_KEY] = dict(workerinput["tenantcheck"])
        return
    run_id = config.getoption("tenantcheck_run_id") or secrets.token_hex(4)
    config.stash[RUN_KEY] = {"run_id": run_id, "base_url": env.target.base_url, "admin_token": None,
                             "started": datetime.now(UTC).isoformat(timespec="seconds")}
    collector = Collector(config)
    config.pluginmanager.register(collector, "tenantcheck-collector")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(collector), "tenantcheck-xdist")
    signal.signal(signal.SIGTERM, _interrupt)


def load_configuration(config: pytest.Config) -> tuple[Environment, Profile]:
    env = load_environment(config.getoption("tenantcheck_env"))
    flaws = [flaw for item in config.getoption("tenantcheck_flaws") for flaw in item.split(",") if flaw]
    if flaws:
        if not env.target.embedded:
            raise ConfigError("--flaw switches flaws of the embedded reference target; this environment has none")
        env = env.model_copy(update={"target": env.target.model_copy(update={"flaws": [*env.target.flaws, *flaws]})})
    if env.target.embedded:
        from tenantcheck.embedded import check_flaws

        check_flaws(env.target.flaws)
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


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C (until checks run here: ``tenantcheck.interrupts``)."""
    raise KeyboardInterrupt


class XdistHooks:
    """Hands the run (id, target URL, admin token) to each worker; learns the number of checks."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tenantcheck"] = node.config.stash[RUN_KEY]

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collector.total = max(self.collector.total, len(ids))


def active(config: pytest.Config) -> bool:
    return ENV_KEY in config.stash


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
        from tenantcheck.embedded import start_embedded

        try:
            process = start_embedded(env, env.target.mode or config.stash[PROFILE_KEY].identity.mode)
        except Exception as error:
            pytest.exit(f"tenantcheck: the embedded reference target did not start: {error}", returncode=2)
        config.add_cleanup(process.stop)
        config.stash[RUN_KEY].update(base_url=process.base_url, admin_token=process.admin_token,
                                     data_dir=str(process.data_dir))


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not active(config):
        return []
    env, run = config.stash[ENV_KEY], config.stash[RUN_KEY]
    target = run.get("base_url") or "(embedded, starting)"
    flaws = f", flaws: {', '.join(env.target.flaws)}" if env.target.flaws else ""
    return [f"tenantcheck: environment {env.name} -> {target}{flaws}",
            f"tenantcheck: profile {config.stash[PROFILE_KEY].name}, run id {run['run_id']}, "
            f"tenants {config.getoption('tenantcheck_tenants')}"]


# --------------------------------------------------------------------------- parametrization
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "subject" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("over")
    options = dict(marker.kwargs) if marker else {}
    labels = tenant_labels(metafunc.config.getoption("tenantcheck_tenants"))
    if options.get("pairs") == "seeded":
        manifest = metafunc.config.stash.get(MANIFEST_KEY, None)
        labels = [tenant.label for tenant in manifest.tenants] if manifest else []
    sampling = metafunc.config.getoption("tenantcheck_pairs") or ("all" if len(labels) <= 5 else "ring")
    seed = metafunc.config.stash[RUN_KEY]["run_id"] if RUN_KEY in metafunc.config.stash else ""
    subjects = list(expand(labels, options, cross_pairs(labels, sampling, seed)))
    metafunc.parametrize("subject", subjects, ids=[subject.id for subject in subjects])


def cross_pairs(labels: list[str], sampling: str, seed: str) -> list[tuple[str, str]]:
    """(attacker, victim) pairs: ``all`` ordered pairs (N*(N-1)); ``ring``: each tenant attacks the next
    and the previous one (2N, every tenant both attacker and victim); ``random:K``: K pairs drawn with the
    run id as seed, so every xdist worker collects the same ones."""
    every = [(a, v) for v in labels for a in labels if a != v]
    if sampling == "all":
        return every
    if sampling == "ring":
        count = len(labels)
        ring = {(labels[i], labels[(i + 1) % count]) for i in range(count)}
        ring |= {(victim, attacker) for attacker, victim in ring}
        return [pair for pair in every if pair in ring]
    chosen = set(random.Random(seed).sample(every, min(int(sampling.removeprefix("random:")), len(every))))
    return [pair for pair in every if pair in chosen]


def expand(labels: list[str], options: dict[str, Any], pairs_of_tenants: list[tuple[str, str]]) -> Iterator[Subject]:
    """Subjects for a check: operations x variants x (attacker, victim) pairs, in a stable order."""
    pairs = options.get("pairs", "cross")
    if pairs == "cross":
        people: list[tuple[str | None, str | None]] = list(pairs_of_tenants)
    elif pairs in ("each", "seeded"):
        people = [(label, None) for label in labels]
    elif pairs == "anonymous":
        people = [("anonymous", label) for label in labels]
    else:
        people = [(None, None)]
    for operation in options.get("operations") or (None,):
        for variant in options.get("variants") or (None,):
            for attacker, victim in people:
                yield Subject(operation=operation, variant=variant, attacker=attacker, victim=victim)


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


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def world(pytestconfig: pytest.Config) -> Iterator[World]:
    """The target with this worker's provisioned, seeded tenants; torn down after the session."""
    run = pytestconfig.stash[RUN_KEY]
    workerinput = getattr(pytestconfig, "workerinput", {})
    settings = Settings(
        env=pytestconfig.stash[ENV_KEY],
        profile=pytestconfig.stash[PROFILE_KEY],
        run_id=run["run_id"],
        base_url=run["base_url"],
        worker=workerinput.get("workerid", "").replace("gw", "w"),
        workers=int(workerinput.get("workercount", 1)),
        tenants=pytestconfig.getoption("tenantcheck_tenants"),
        admin_token=run.get("admin_token"),
        allow_production_writes=pytestconfig.getoption("tenantcheck_allow_production_writes"),
    )
    built = World(settings=settings, recorder=pytestconfig.stash[RECORDER_KEY])
    pytestconfig.stash[WORLD_KEY] = built
    try:
        built.start()
        yield built
    finally:
        tear_down(pytestconfig)


def halt_requests(config: pytest.Config) -> None:
    world = config.stash.get(WORLD_KEY, None)
    if world is not None and world.http is not None:
        world.http.halt()


def tear_down(config: pytest.Config) -> None:
    """Stop what runs ahead, then remove what the run created; once, with Ctrl-C and SIGTERM ignored."""
    world = config.stash.get(WORLD_KEY, None)
    if world is None or world.closed:
        return
    with interrupts_ignored():
        fanout = config.stash.get(FANOUT_KEY, None)
        if fanout is not None and world.http is not None:
            fanout.close(world.http.halted_meanwhile)  # what runs ahead ends before teardown removes what it made
        problems = world.close()
    if problems:
        config.stash[RUN_KEY].setdefault("cleanup_problems", []).extend(problems)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """An interrupt that lands in pytest's own teardown (between two finalizers) skips the ones after it,
    the world's among them: then the world is torn down here, after every fixture that uses it."""
    tear_down(session.config)


@pytest.fixture(scope="session")
def restored(pytestconfig: pytest.Config, world: World) -> Iterator[Restored]:
    """The tenants and objects `tenantcheck seed` left before the backup, with clients to check them."""
    manifest = pytestconfig.stash[MANIFEST_KEY]
    assert manifest is not None, "restore checks are deselected without --manifest"
    seeded = Restored(world, manifest)
    try:
        yield seeded
    finally:
        if not pytestconfig.getoption("tenantcheck_keep"):
            problems = seeded.remove()
            if problems:
                pytestconfig.stash[RUN_KEY].setdefault("cleanup_problems", []).extend(problems)


@pytest.fixture
def subject(request: pytest.FixtureRequest) -> Subject:
    """What this check is about (operation, variant, attacker, victim); parametrized by the plugin."""
    value: Subject = request.param
    return value


@pytest.fixture
def check(request: pytest.FixtureRequest, subject: Subject) -> Check:
    """Records this check's findings (with evidence) and ends it with a verdict."""
    return Check(request.node.stash[CONTEXT_KEY], subject)


# --------------------------------------------------------------------------- per-check verdicts
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if check_context(item) is None:
        return
    missing = first_missing_need(item)
    if missing:
        raise NotApplicable(missing)


def check_context(item: pytest.Item) -> CheckContext | None:
    """The context a check records into (made once: a check that ran ahead already has it), or ``None``
    for a test that is no check."""
    marker = item.get_closest_marker("case")
    if marker is None or not active(item.config):
        return None
    if CONTEXT_KEY in item.stash:
        return item.stash[CONTEXT_KEY]
    case = marker.args[0]
    if case not in CASES_BY_ID:
        raise pytest.UsageError(f"unknown case id {case!r} on {item.nodeid}")
    callspec = getattr(item, "callspec", None)
    subject = callspec.params.get("subject", Subject()) if callspec else Subject()
    item.stash[SUBJECT_KEY] = subject
    context = CheckContext(check=f"{case}[{subject.id}]", case=case, operation=subject.operation,
                           attacker=subject.attacker, victim=subject.victim)
    item.stash[CONTEXT_KEY] = context
    return context


def first_missing_need(item: pytest.Item) -> str | None:
    for needs in item.iter_markers("needs"):
        for what in needs.args:
            missing = missing_need(item.config, what)
            if missing:
                return missing
    return None


def missing_need(config: pytest.Config, what: str) -> str | None:
    """Why a check cannot apply here: the profile lacks an operation or the environment an inspector."""
    if what == "inspector":
        if config.stash[ENV_KEY].inspector is None:
            return "needs an inspector to read storage ([inspector] in the environment)"
        return None
    if config.stash[PROFILE_KEY].operation(what) is None:
        return f"the profile {config.stash[PROFILE_KEY].name!r} has no operation {what}"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None:
        return (yield)
    recorder = item.config.stash[RECORDER_KEY]
    try:
        with recorder.running(context):
            result = yield
    finally:
        if item.config.getoption("allure_report_dir", None):
            label_check(context)
    if context.findings:  # the canary hook found a leak in a check whose own oracles passed
        raise AssertionError("; ".join(f"[{f.severity}] {f.title}" for f in context.findings))
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Once a check is over (every plugin done with it, this wrapper being the outermost), what pytest and
    the plugins stashed on its item goes: its context, the tmpdir and skipping plugins' per-item notes,
    about 500 bytes that 22k checks would keep to the end. And now and then, freed memory goes back to
    the system (``tenantcheck.memory``)."""
    try:
        return (yield)
    finally:
        if CONTEXT_KEY in item.stash:
            item.stash = pytest.Stash()
            item.config.stash[TRIMMER_KEY].check_done()


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_stopped(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A check stopped as not-applicable or inconclusive is a skip with its reason: made here, because
    pytest's own report would first render the exception's traceback (parsing the suite's source: about
    13 ms a check) for nothing."""
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None or call.excinfo is None or not isinstance(call.excinfo.value, CheckStop) or context.findings:
        return None
    assert call.when != "collect"
    stop = call.excinfo.value
    return pytest.TestReport(item.nodeid, item.location, keywords={}, outcome="skipped",
                             longrepr=(str(item.path), item.location[1] or 0, f"{stop.verdict}: {stop}"),
                             when=call.when, duration=call.duration, start=call.start, stop=call.stop,
                             user_properties=item.user_properties)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    context = item.stash.get(CONTEXT_KEY, None)
    if context is None:
        return report
    if call.when == "teardown":  # session fixtures end with the last check: hand their problems over
        problems = item.config.stash[RUN_KEY].pop("cleanup_problems", None)
        if problems:
            report.tenantcheck_cleanup = problems
        return report
    recorder = item.config.stash[RECORDER_KEY]
    orphans = recorder.take_orphans()
    if orphans:
        report.tenantcheck_orphans = [finding.to_dict() for finding in orphans]
    world: World | None = item.config.stash.get(WORLD_KEY, None)
    if world is not None and call.when == "call":
        if item.config.stash.get(TENANTS_SENT_KEY, 0) != len(world.tenants):  # once, not on every report
            report.tenantcheck_tenants = {label: tenant.tenant_id for label, tenant in world.tenants.items()}
            item.config.stash[TENANTS_SENT_KEY] = len(world.tenants)
        report.tenantcheck_stats = world.stats()
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        report.tenantcheck = verdict_of(item, context, call).to_dict()
    return report


def verdict_of(item: pytest.Item, context: CheckContext, call: pytest.CallInfo[None]) -> CheckResult:
    """Fail closed: only a check that ran to its end with no finding has passed."""
    error = call.excinfo.value if call.excinfo is not None else None
    findings: tuple[Finding, ...] = tuple(context.findings)
    if findings:
        verdict, reason = "failed", f"{len(findings)} finding(s)"
    elif error is None:
        verdict, reason = "passed", ""
    elif isinstance(error, CheckStop):
        verdict, reason = error.verdict, str(error)
    else:
        verdict, reason = "inconclusive", f"{type(error).__name__}: {error}"[:500]
    return CheckResult(check=context.check, case=context.case, nodeid=item.nodeid, verdict=verdict,  # type: ignore[arg-type]
                       reason=reason, operation=context.operation, attacker=context.attacker,
                       victim=context.victim, findings=findings,
                       duration=round(call.duration if context.seconds is None else context.seconds, 3))


# --------------------------------------------------------------------------- checks in flight at once
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A check whose body ran ahead (``tenantcheck.fanout``) ends here; others run as pytest calls them."""
    fanout = fanout_of(pyfuncitem)
    return True if fanout is not None and fanout.call(pyfuncitem) else None


def fanout_of(item: pytest.Item) -> FanOut | None:
    """The process's fan-out, made at its first check; none under xdist (each worker runs one at a time:
    it does not know which checks it gets next) or with a width of 1."""
    config = item.config
    if FANOUT_KEY not in config.stash:
        config.stash[FANOUT_KEY] = None
        if active(config) and not hasattr(config, "workerinput"):
            width = config.getoption("tenantcheck_concurrency") or config.stash[ENV_KEY].safety.max_concurrency
            if width > 1:
                section = config.stash[ENV_KEY].inspector
                alone = partial(runs_alone, storage_locks=section is not None and locks_local_runtime(section))
                config.stash[FANOUT_KEY] = FanOut(item.session.items, width, body_ahead, alone)
    return config.stash[FANOUT_KEY]


def runs_alone(item: pytest.Item, *, storage_locks: bool) -> bool:
    """Marked ``serial``; or it reads storage whose reads make a local Workers runtime fail its own queries
    when they meet (``storage_locks``: the files of ``wrangler dev``, "database is locked")."""
    if item.get_closest_marker("serial") is not None:
        return True
    return storage_locks and any("inspector" in needs.args for needs in item.iter_markers("needs"))


def body_ahead(item: pytest.Item, shared: dict[str, Any]) -> Callable[[], None] | None:
    """The check's body with the arguments its fixtures would give it, or ``None`` when it cannot run
    ahead: it is no check, it takes a fixture not set up yet, or pytest would not call it as it is."""
    try:
        if not isinstance(item, pytest.Function) or check_context(item) is None:
            return None
    except pytest.UsageError:
        return None  # its own setup says so
    if any(item.get_closest_marker(name) for name in ("skip", "skipif", "xfail", "usefixtures")):
        return None
    if not set(item.fixturenames) - {"request", "check", "subject"} <= shared.keys() or first_missing_need(item):
        return None
    context, subject = item.stash[CONTEXT_KEY], item.stash[SUBJECT_KEY]
    made = {"check": Check(context, subject), "subject": subject}
    arguments = {name: made[name] if name in made else shared[name] for name in item._fixtureinfo.argnames}
    recorder = item.config.stash[RECORDER_KEY]

    def body() -> None:
        started = time.perf_counter()
        try:
            with recorder.running(context):
                item.obj(**arguments)
        finally:
            context.seconds = time.perf_counter() - started

    return body


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """Show undecided checks as INCONCLUSIVE / N/A, never as a plain skip or pass."""
    result = getattr(report, "tenantcheck", None)
    if result is None:
        return None
    if result["verdict"] == "inconclusive" and report.outcome == "skipped":
        return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
    if result["verdict"] == "not-applicable":
        return "not applicable", "n", ("N/A", {"cyan": True})
    return None


def report_dir(config: pytest.Config) -> Path:
    return Path(str(config.getoption("tenantcheck_report_dir"))) / str(config.stash[RUN_KEY]["run_id"])

