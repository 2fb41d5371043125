"""Plugins add routes through ``Plugin.service_routes``; one that fails is named by /readyz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.testclient import TestClient

import datacheck.service._app as app_module
from datacheck.plugin import Plugin, PluginFailure
from datacheck.service import ServiceConfig, create_app


async def _hello(request: Request) -> Response:
    return PlainTextResponse("hello")


def _routes() -> list[BaseRoute]:
    return [Route("/hello", _hello)]


def _broken() -> list[BaseRoute]:
    raise RuntimeError("no model file")


_HELLO_DOC = {
    "paths": {
        "/hello": {"get": {"responses": {"200": {"description": "hello"}}}},
    }
}
#: claims a path the service owns: the plugin is left out whole
_CLASH_DOC = {"paths": {"/healthz": {"get": {"responses": {"200": {"description": "x"}}}}}}


def _clash_routes() -> list[BaseRoute]:
    return [Route("/clash", _hello)]


_REFERENCES: dict[str, Any] = {
    "a:routes": _routes,
    "a:OPENAPI": _HELLO_DOC,
    "b:routes": _broken,
    "c:routes": _clash_routes,
    "c:OPENAPI": _CLASH_DOC,
}


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    plugins = (
        Plugin(
            name="hello",
            api_version=1,
            service_routes=("a:routes",),
            service_openapi=("a:OPENAPI",),
        ),
        Plugin(name="broken", api_version=1, service_routes=("b:routes",)),
        Plugin(
            name="clash",
            api_version=1,
            service_routes=("c:routes",),
            service_openapi=("c:OPENAPI",),
        ),
    )
    failures = (PluginFailure(name="gone", reference="c:PLUGIN", reason="cannot import c"),)
    monkeypatch.setattr(app_module, "discover_plugins", lambda: (plugins, failures))
    monkeypatch.setattr(app_module, "load_reference", _REFERENCES.__getitem__)
    with TestClient(create_app(ServiceConfig(store=tmp_path, profile_in_process=False))) as client:
        yield client


def test_a_plugins_routes_are_served(plugged: TestClient) -> None:
    assert plugged.get("/hello").text == "hello"


def test_plugins_that_failed_are_named_by_readyz(plugged: TestClient) -> None:
    body = plugged.get("/readyz").json()
    assert body["status"] == "ready"
    assert set(body["plugin_failures"]) == {"broken", "clash", "gone"}


def test_a_plugins_routes_are_described_in_the_document(plugged: TestClient) -> None:
    paths = plugged.get("/openapi.json").json()["paths"]
    # the plugin's own answers, and the 401 the service's token guard may give
    assert set(paths["/hello"]["get"]["responses"]) == {"200", "401"}
    assert "/clash" not in paths
    assert plugged.get("/clash").status_code == 404  # its routes left out with its document
