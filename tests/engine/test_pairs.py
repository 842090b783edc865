"""Attacker/victim pair sampling for many tenants: what each mode covers."""

from __future__ import annotations

from tenantcheck.engine.tenants import tenant_labels
from tenantcheck.plugin.parametrize import cross_pairs


def test_all_is_every_ordered_pair() -> None:
    pairs = cross_pairs(tenant_labels(5), "all", "seed")
    assert len(pairs) == 20 and len(set(pairs)) == 20
    assert all(attacker != victim for attacker, victim in pairs)


def test_ring_makes_every_tenant_attacker_and_victim_of_both_neighbours() -> None:
    labels = tenant_labels(20)
    pairs = cross_pairs(labels, "ring", "seed")
    assert len(pairs) == 40
    assert {a for a, _ in pairs} == {v for _, v in pairs} == set(labels)
    assert ("tenant-t", "tenant-a") in pairs and ("tenant-a", "tenant-t") in pairs


def test_random_is_stable_for_a_run_and_differs_between_runs() -> None:
    labels = tenant_labels(10)
    first = cross_pairs(labels, "random:7", "run-1")
    assert first == cross_pairs(labels, "random:7", "run-1")  # every xdist worker collects the same
    assert len(first) == 7
    assert any(cross_pairs(labels, "random:7", f"run-{n}") != first for n in range(2, 6))


def test_random_beyond_all_pairs_is_all_pairs() -> None:
    labels = tenant_labels(3)
    assert sorted(cross_pairs(labels, "random:100", "x")) == sorted(cross_pairs(labels, "all", "x"))
