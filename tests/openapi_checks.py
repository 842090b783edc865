"""Checks shared by the reference apps' OpenAPI tests: which operations a document names, and whether an
answer is one the document declares (status, media type, required headers, JSON body by its schema)."""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
DOC_URI = "urn:tenantcheck:openapi-under-test"


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation of an OpenAPI document."""
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item.keys() & METHODS}


def check_answer(document: dict[str, Any], template: str, response: httpx.Response) -> None:
    """Assert that the document declares this answer: its status, media type, required headers, JSON body."""
    method, status = response.request.method.lower(), str(response.status_code)
    declared = document["paths"][template][method]["responses"][status]
    pointer = f"{DOC_URI}#/paths/{template.replace('/', '~1')}/{method}/responses/{status}"
    if "$ref" in declared:  # a shared error answer of components.responses
        pointer = DOC_URI + declared["$ref"]
        declared = document["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    for name, header in declared.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, (template, name)
    if "content" not in declared:
        assert response.content == b"", response.text
        return
    media_type = response.headers["content-type"].partition(";")[0]
    assert media_type in declared["content"], (template, media_type)
    if media_type == "application/json":
        registry = Registry().with_resource(DOC_URI, Resource.from_contents(document, DRAFT202012))
        schema = {"$ref": f"{pointer}/content/application~1json/schema"}
        Draft202012Validator(schema, registry=registry).validate(response.json())


def assert_valid_and_exactly(document: dict[str, Any], routes: set[tuple[str, str]]) -> None:
    """The document is valid OpenAPI 3.1 and names exactly ``routes`` (what keeps it true to the app)."""
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert documented(document) == routes
