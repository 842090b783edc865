"""The drafter maps a bulk write (``POST <collection>/import|sync|bulk|batch|upsert``) to the collection's
upsert, so TX-08 attacks it, and says why when it cannot."""

from __future__ import annotations

from typing import Any

from tenantcheck.config.openapi import draft_profile


def document(item: dict[str, Any]) -> dict[str, Any]:
    book = {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}
    return {"openapi": "3.1.0", "info": {"title": "books", "version": "1"}, "paths": {
        "/books": {"get": {"responses": {"200": {"description": "", "content": {"application/json": {
            "schema": {"type": "array", "items": book}}}}}}},
        "/books/bulk": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "array", "items": item}}}}, "responses": {"200": {"description": ""}}}},
    }}


def test_a_bare_array_of_objects_with_ids_is_an_upsert_with_the_owner_in_place() -> None:
    item = {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                             "tenant_id": {"type": "string"}}}
    draft = draft_profile(document(item), "books")
    upsert = draft.profile["resources"]["books"]["upsert"]
    assert upsert == {"method": "POST", "path": "/books/bulk",
                      "body": [{"id": "{id}", "title": "{title}", "tenant_id": "{tenant_id}"}]}
    assert any(todo.startswith("[resources.books] upsert:") for todo in draft.todos)


def test_a_bulk_write_without_ids_is_skipped_with_the_reason() -> None:
    draft = draft_profile(document({"type": "object", "properties": {"title": {"type": "string"}}}), "books")
    assert "upsert" not in draft.profile["resources"]["books"]
    assert any(line.startswith("POST /books/bulk: a bulk write") for line in draft.skipped)
