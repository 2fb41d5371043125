"""The OpenAPI document: every route is in it, every operation documents its answers."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from datacheck.service._openapi import merge_part, openapi_document


def test_the_document_is_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert document == openapi_document()


def test_every_route_is_documented(client: TestClient) -> None:
    paths = openapi_document()["paths"]
    for route in client.app.routes:  # type: ignore[attr-defined]
        assert isinstance(route, Route)
        assert route.path in paths, route.path
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in paths[route.path], (route.path, method)


def test_every_operation_documents_a_success_and_its_errors() -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert any(re.fullmatch(r"2\d\d", c) for c in codes), (path, method)
            if path not in ("/healthz", "/readyz"):
                assert "401" in codes, (path, method)


def test_a_part_that_documents_no_response_or_claims_a_path_is_refused() -> None:
    document = openapi_document()
    with pytest.raises(ValueError, match="documents no response"):
        merge_part(document, {"paths": {"/x": {"get": {"responses": {}}}}})
    with pytest.raises(ValueError, match="/schemas"):
        merge_part(document, {"paths": {"/schemas": {}}})
    with pytest.raises(ValueError, match="Error"):
        merge_part(document, {"paths": {}, "components": {"schemas": {"Error": {}}}})
    with pytest.raises(ValueError, match="mapping"):
        merge_part(document, {"routes": []})
    assert document == openapi_document()  # nothing merged half-way
