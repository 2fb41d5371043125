"""The OpenAPI 3 document of the service, every response of every route described.

Written by hand rather than generated from the handlers, so that it states what clients may
rely on; ``tests/unit/service`` checks each route against it and schemathesis fuzzes the
service with it. Plugins describe the routes they add the same way
(:attr:`datacheck.plugin.Plugin.service_openapi`): :func:`merge_part` adds their paths and
component schemas to the document, and the 401 the service's token guard may give to each of
their operations.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from datacheck import __version__

__all__ = ["merge_part", "openapi_document"]

_JSON = "application/json"
_ARROW = "application/vnd.apache.arrow.stream"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _limited(description: str) -> dict[str, Any]:
    answer = _error(description)
    answer["headers"] = {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
    }
    return answer


_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "schema name: letters, digits, '.', '_', '-'",
    "schema": {"type": "string"},
}

#: answers every route may give
_COMMON = {
    "400": _error("a malformed request (bad parameter, bad JSON, invalid name)"),
    "401": _error("the bearer token is missing or wrong"),
}
_READ = {**_COMMON, "404": _error("no such schema, version, baseline or window")}
_WRITE = {
    **_READ,
    "413": _error("the body is over max_body_bytes"),
    "415": _error("an unsupported Content-Type"),
    "422": _error("a document or data that cannot be used"),
    "503": _limited("an enforced limit (request_timeout, max_inflight); retry later"),
}


def _components() -> dict[str, Any]:
    anything: dict[str, Any] = {}
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "limit": {"type": "string"},
                            "parameter": {"type": "string"},
                        },
                    }
                },
            },
            "VersionMetadata": {
                "type": "object",
                "required": ["name", "version", "created", "message", "parent", "content_hash"],
                "properties": {
                    "name": {"type": "string"},
                    "version": {"type": "integer", "minimum": 1},
                    "created": {"type": "string"},
                    "message": {"type": "string"},
                    "parent": {"type": ["integer", "null"]},
                    "content_hash": {"type": "string"},
                },
            },
            "SchemaDocument": {
                "type": "object",
                "description": "a schema document (schemas/schema.v1.json)",
            },
            "ProfileDocument": {
                "type": "object",
                "description": "a statistics document (schemas/statistics.v1.json)",
            },
            "Report": {
                "type": "object",
                "description": "a validation report (schemas/report.v1.json)",
                "required": ["format_version", "verdict", "summary", "anomalies", "measurements"],
                "properties": {
                    "verdict": {"type": "string", "enum": ["pass", "fail"]},
                    "anomalies": {"type": "array", "items": anything},
                    "measurements": {"type": "array", "items": anything},
                },
            },
            "Change": {
                "type": "object",
                "required": ["kind", "feature", "field", "backward_compatible"],
                "properties": {
                    "kind": {"type": "string"},
                    "feature": {"type": ["string", "null"]},
                    "field": {"type": "string"},
                    "backward_compatible": {"type": "boolean"},
                    "forward_compatible": {"type": "boolean"},
                },
            },
            "Window": {
                "type": "object",
                "required": ["start", "end", "start_epoch", "seconds", "num_rows"],
                "properties": {
                    "start": {"type": "string"},
                    "end": {"type": "string"},
                    "start_epoch": {"type": "integer"},
                    "seconds": {"type": "integer"},
                    "num_rows": {"type": "integer"},
                },
            },
            "Compatibility": {
                "type": "object",
                "required": ["compatibility"],
                "properties": {
                    "compatibility": {
                        "type": "string",
                        "enum": ["BACKWARD", "FORWARD", "FULL", "NONE"],
                    }
                },
            },
        },
    }


def _paths() -> dict[str, Any]:
    version_query = {
        "in": "query",
        "schema": {"type": "integer", "minimum": 1},
        "description": "a version number",
    }
    return {
        "/healthz": {
            "get": {
                "summary": "liveness: the process answers",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "alive")},
            }
        },
        "/readyz": {
            "get": {
                "summary": "readiness: the store is reachable and the statistics worker runs",
                "security": [],
                "responses": {
                    "200": _json({"type": "object"}, "ready"),
                    "503": _json({"type": "object"}, "not ready (starting or stopping)"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format 0.0.4)",
                "responses": {
                    "200": {
                        "description": "the metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _COMMON["401"],
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "this document",
                "responses": {
                    "200": _json({"type": "object"}, "the OpenAPI document"),
                    "401": _COMMON["401"],
                },
            }
        },
        "/schemas": {
            "get": {
                "summary": "list the schemas",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["schemas"],
                            "properties": {
                                "schemas": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["name", "latest_version"],
                                        "properties": {
                                            "name": {"type": "string"},
                                            "latest_version": {"type": "integer"},
                                        },
                                    },
                                }
                            },
                        },
                        "the schema names and their latest versions",
                    ),
                    **_COMMON,
                },
            }
        },
        "/schemas/{name}/versions": {
            "parameters": [_NAME],
            "get": {
                "summary": "a schema's versions (metadata) and compatibility mode",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "compatibility", "versions"],
                            "properties": {
                                "name": {"type": "string"},
                                "compatibility": {"type": "string"},
                                "versions": {"type": "array", "items": _ref("VersionMetadata")},
                            },
                        },
                        "the versions, oldest first",
                    ),
                    **_READ,
                },
            },
            "post": {
                "summary": "register a new version, checked by the schema's compatibility mode",
                "parameters": [
                    {
                        "name": "message",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 1000},
                        "description": "why this version exists",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _ref("SchemaDocument")}},
                },
                "responses": {
                    "201": _json(_ref("VersionMetadata"), "registered"),
                    "409": {
                        "description": "refused: the change breaks the compatibility mode",
                        "content": {
                            _JSON: {
                                "schema": {
                                    "allOf": [
                                        _ref("Error"),
                                        {
                                            "type": "object",
                                            "properties": {
                                                "error": {
                                                    "type": "object",
                                                    "properties": {
                                                        "breaking_changes": {
                                                            "type": "array",
                                                            "items": _ref("Change"),
                                                        }
                                                    },
                                                }
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    **_WRITE,
                },
            },
        },
        "/schemas/{name}/versions/{version}": {
            "parameters": [
                _NAME,
                {
                    "name": "version",
                    "in": "path",
                    "required": True,
                    "description": "a version number, or latest",
                    "schema": {"type": "string", "pattern": "^(latest|[1-9][0-9]{0,17})$"},
                },
            ],
            "get": {
                "summary": "one version's schema document",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "version", "metadata", "schema"],
                            "properties": {
                                "name": {"type": "string"},
                                "version": {"type": "integer"},
                                "metadata": _ref("VersionMetadata"),
                                "schema": _ref("SchemaDocument"),
                            },
                        },
                        "the version",
                    ),
                    **_READ,
                },
            },
        },
        "/schemas/{name}/diff": {
            "parameters": [_NAME],
            "get": {
                "summary": "the changes between two versions (default: the latest)",
                "parameters": [
                    {"name": "from", **version_query},
                    {"name": "to", **version_query},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "from", "to", "changes"],
                            "properties": {
                                "from": {"type": "integer"},
                                "to": {"type": "integer"},
                                "changes": {"type": "array", "items": _ref("Change")},
                            },
                        },
                        "the changes",
                    ),
                    **_READ,
                },
            },
        },
        "/schemas/{name}/config": {
            "parameters": [_NAME],
            "get": {
                "summary": "the schema's compatibility mode",
                "responses": {"200": _json(_ref("Compatibility"), "the mode"), **_COMMON},
            },
            "put": {
                "summary": "set the schema's compatibility mode",
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _ref("Compatibility")}},
                },
                "responses": {"200": _json(_ref("Compatibility"), "the mode set"), **_WRITE},
            },
        },
        "/schemas/{name}/baseline": {
            "parameters": [_NAME],
            "get": {
                "summary": "the registered baseline (training) profile",
                "responses": {"200": _json(_ref("ProfileDocument"), "the profile"), **_READ},
            },
            "put": {
                "summary": "register a baseline (training) profile for skew",
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _ref("ProfileDocument")}},
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "num_rows"],
                            "properties": {"num_rows": {"type": "integer"}},
                        },
                        "registered",
                    ),
                    **_WRITE,
                },
            },
        },
        "/schemas/{name}/windows": {
            "parameters": [_NAME],
            "get": {
                "summary": "the serving-statistics windows, oldest first",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "window_seconds", "windows"],
                            "properties": {
                                "window_seconds": {"type": "integer"},
                                "windows": {"type": "array", "items": _ref("Window")},
                            },
                        },
                        "the windows",
                    ),
                    **_READ,
                },
            },
        },
        "/schemas/{name}/skew": {
            "parameters": [_NAME],
            "get": {
                "summary": "the latest window (or ?window=) against the baseline: skew",
                "parameters": [
                    {
                        "name": "window",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "the window's start_epoch",
                    },
                    {"name": "version", **version_query},
                    {"name": "environment", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["name", "schema_version", "window", "report"],
                            "properties": {
                                "schema_version": {"type": "integer"},
                                "window": _ref("Window"),
                                "report": _ref("Report"),
                            },
                        },
                        "the skew report",
                    ),
                    **_WRITE,
                },
            },
        },
        "/validate/{ref}": {
            "parameters": [
                {
                    "name": "ref",
                    "in": "path",
                    "required": True,
                    "description": "NAME (the latest version) or NAME@VERSION",
                    "schema": {"type": "string"},
                }
            ],
            "post": {
                "summary": "validate rows: a JSON array of objects, or an Arrow IPC stream",
                "parameters": [
                    {
                        "name": "quarantine",
                        "in": "query",
                        "schema": {"type": "boolean"},
                        "description": "also answer the rows that fail, with their reasons",
                    },
                    {"name": "environment", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
                        _ARROW: {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["schema", "version", "report"],
                            "properties": {
                                "schema": {"type": "string"},
                                "version": {"type": "integer"},
                                "report": _ref("Report"),
                                "quarantine": {
                                    "type": "object",
                                    "required": ["count", "truncated", "rows"],
                                    "properties": {
                                        "count": {"type": "integer"},
                                        "truncated": {"type": "boolean"},
                                        "rows": {"type": "array", "items": {"type": "object"}},
                                    },
                                },
                            },
                        },
                        "the report (the verdict is in the body, whatever it is)",
                    ),
                    **_WRITE,
                },
            },
        },
    }


def openapi_document(parts: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The service's OpenAPI 3.1 document, with the plugins' ``parts`` merged in."""
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "datacheck service",
            "version": __version__,
            "description": "Schema registry, validation and serving statistics over HTTP.",
        },
        "security": [{"bearer": []}, {}],
        "paths": _paths(),
        "components": _components(),
    }
    for part in parts:
        merge_part(document, part)
    return document


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def merge_part(document: dict[str, Any], part: Mapping[str, Any]) -> None:
    """Add a plugin's ``part`` (``{"paths": ..., "components": {"schemas": ...}}``) to
    ``document``; every operation gets the guard's 401 if it does not list it.

    Raises:
        ValueError: ``part`` is not such a mapping, an operation documents no response, or a
            path or component schema is already in the document (two owners of one route).
    """
    if not isinstance(part, Mapping) or not isinstance(part.get("paths"), Mapping):
        raise ValueError('an OpenAPI part is a mapping {"paths": {...}, "components": {...}}')
    paths = copy.deepcopy(dict(part["paths"]))
    schemas = part.get("components", {}).get("schemas", {})
    taken = [p for p in paths if p in document["paths"]]
    taken += [
        f"#/components/schemas/{n}" for n in schemas if n in document["components"]["schemas"]
    ]
    if taken:
        raise ValueError(f"already described by the service or another plugin: {', '.join(taken)}")
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.get("responses")
            if not isinstance(responses, dict) or not responses:
                raise ValueError(f"{method.upper()} {path} documents no response")
            responses.setdefault("401", _COMMON["401"])
    document["paths"].update(paths)
    document["components"]["schemas"].update(copy.deepcopy(dict(schemas)))
