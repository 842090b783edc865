"""The canary scanner: foreign markers anywhere in a response; never the requester's own or known ones."""

from __future__ import annotations

import json

import pytest

from tenantcheck.engine.canaries import CanaryScanner, new_marker


@pytest.fixture
def scanner() -> CanaryScanner:
    scanner = CanaryScanner()
    scanner.register("tcm" + "a" * 16, "tenant-a")
    scanner.register("tcm" + "b" * 16, "tenant-b")
    return scanner


A, B = "tcm" + "a" * 16, "tcm" + "b" * 16


def test_marker_in_nested_json_is_found(scanner: CanaryScanner) -> None:
    body = json.dumps({"projects": [{"meta": {"tags": ["x", f"name {A}"]}}]})
    [sighting] = scanner.scan("tenant-b", [("body", body)])
    assert (sighting.owner, sighting.where, sighting.marker) == ("tenant-a", "body", A)


def test_marker_in_a_header_is_found(scanner: CanaryScanner) -> None:
    sightings = scanner.scan("tenant-b", [("body", "{}"), ("header x-debug-project", f"owner {A}")])
    assert [(s.owner, s.where) for s in sightings] == [("tenant-a", "header x-debug-project")]


def test_marker_in_plain_text_is_found(scanner: CanaryScanner) -> None:
    assert scanner.scan("anonymous", [("body", f"error: project {B} is not yours")])[0].owner == "tenant-b"


def test_own_markers_are_not_leaks(scanner: CanaryScanner) -> None:
    assert scanner.scan("tenant-a", [("body", f"{A} {A}")]) == []


def test_a_marker_the_requester_sent_is_known_from_then_on(scanner: CanaryScanner) -> None:
    assert scanner.scan("tenant-b", [("body", f"no such key {A}")], request_text=f"/api/download/{A}") == []
    assert scanner.scan("tenant-b", [("body", f"log: {A}")]) == []  # its own log echoing the key later
    assert scanner.scan("tenant-c", [("body", f"log: {A}")])[0].owner == "tenant-a"  # others did not send it


def test_unknown_markers_are_ignored(scanner: CanaryScanner) -> None:
    assert scanner.scan("tenant-b", [("body", new_marker())]) == []


def test_each_place_is_reported_once(scanner: CanaryScanner) -> None:
    sightings = scanner.scan("tenant-b", [("body", f"{A} {A} {A}"), ("header x", A)])
    assert len(sightings) == 2


def test_registering_a_non_marker_is_refused(scanner: CanaryScanner) -> None:
    with pytest.raises(ValueError):
        scanner.register("not-a-marker", "tenant-a")
