"""Parametrization: each check over operations, variants and (attacker, victim) tenant pairs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from tenantcheck.engine.checks import Subject
from tenantcheck.engine.tenants import pair_sampling, tenant_labels
from tenantcheck.plugin.stash import MANIFEST_KEY, PROFILE_KEY, RUN_KEY


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "subject" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("over")
    options = dict(marker.kwargs) if marker else {}
    labels = tenant_labels(metafunc.config.getoption("tenantcheck_tenants"))
    if options.get("pairs") == "seeded":
        manifest = metafunc.config.stash.get(MANIFEST_KEY, None)
        labels = [tenant.label for tenant in manifest.tenants] if manifest else []
    sampling = pair_sampling(metafunc.config.getoption("tenantcheck_pairs"), len(labels))
    seed = metafunc.config.stash[RUN_KEY]["run_id"] if RUN_KEY in metafunc.config.stash else ""
    people = cross_pairs(labels, sampling, seed)
    family = options.get("operations")
    if not callable(family):
        subjects = list(expand(labels, options, people))
        metafunc.parametrize("subject", subjects, ids=[subject.id for subject in subjects])
        return
    targets = family(metafunc.config.stash[PROFILE_KEY])
    params = [pytest.param(subject, id=subject.id, marks=[pytest.mark.case(target.case)] if target.case else [])
              for target in targets
              for subject in expand(labels, {**options, "operations": [target.operation] if target.operation else None,
                                             "variants": [target.variant] if target.variant else
                                             options.get("variants")}, people)]
    reported = {target.case for target in targets}
    for case in options.get("cases") or (None,):
        if not targets or (case is not None and case not in reported):
            # Nothing of this family in the profile: one check says so (not-applicable), so that the case
            # is reported as not applying instead of vanishing from the report.
            why = f"absent:the profile declares nothing this case attacks ({family.__doc__ or family.__name__})"
            marks = [pytest.mark.needs(why), *([pytest.mark.case(case)] if case else [])]
            params.append(pytest.param(Subject(variant="not-declared"), id="not-declared", marks=marks))
    metafunc.parametrize("subject", params)


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
