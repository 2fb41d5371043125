"""The OpenAPI 3 description of the prediction routes (:mod:`._predict_routes`).

The serving plugin's ``service_openapi`` reference: ``datacheck serve`` merges :data:`OPENAPI`
into its ``/openapi.json`` (and adds the 401 its token guard may give). Plain data, so the
service reads it without importing torch or the model server. Every answer a route gives is
listed: refusals are ``{"error": {"code", "message", ...}}`` like the core's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPENAPI"]

_JSON = "application/json"
_ARROW = "application/vnd.apache.arrow.stream"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _answer(_ref("PredictionError"), description)


def _retry(description: str) -> dict[str, Any]:
    answer = _error(description)
    answer["headers"] = {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
    }
    return answer


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


_NAME = _path("name", "a model name: letters, digits, '_', '.', '-' (422 otherwise)")
_BAD_NAME = _error("an invalid model name (or version, folder)")
_UNKNOWN = _error("no such model (or version, request id, window, training profile)")
_BODY = {
    "400": _error("a body that is not JSON (or not an Arrow IPC stream)"),
    "413": _error("the body is over the service's max_body_bytes"),
}
_WINDOW = {
    "type": "object",
    "required": ["start", "end", "start_epoch", "seconds", "num_rows"],
    "properties": {
        "start": {"type": "string"},
        "end": {"type": "string"},
        "start_epoch": {"type": "integer"},
        "seconds": {"type": "integer"},
        "num_rows": {"type": "integer"},
    },
}

#: the part of the service's OpenAPI document the prediction routes add
OPENAPI: dict[str, Any] = {
    "paths": {
        "/models": {
            "get": {
                "summary": "the deployed models",
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "required": ["models"],
                            "properties": {
                                "models": {"type": "array", "items": {"type": "string"}}
                            },
                        },
                        "the models' names, sorted",
                    )
                },
            }
        },
        "/models/{name}": {
            "parameters": [_NAME],
            "get": {
                "summary": "a model's versions, their bandit weights and batch sizes, the cache",
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "required": ["name", "versions", "cache"],
                            "properties": {
                                "name": {"type": "string"},
                                "versions": {"type": "array", "items": {"type": "object"}},
                                "cache": {"type": "object"},
                            },
                        },
                        "the model",
                    ),
                    "404": _UNKNOWN,
                    "422": _BAD_NAME,
                },
            },
        },
        "/models/{name}/versions": {
            "parameters": [_NAME],
            "post": {
                "summary": "deploy a version from a training folder under <store>/models",
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["version", "folder"],
                                "properties": {
                                    "version": {"type": "string"},
                                    "folder": {"type": "string"},
                                    "schema": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _answer(
                        {
                            "type": "object",
                            "required": ["model", "version", "deployed"],
                            "properties": {
                                "model": {"type": "string"},
                                "version": {"type": "string"},
                                "deployed": {"type": "boolean"},
                            },
                        },
                        "deployed",
                    ),
                    **_BODY,
                    "404": _error("no store, or no such model folder in it"),
                    "422": _error("a bad document, name or folder, or a model that cannot load"),
                },
            },
        },
        "/models/{name}/feedback": {
            "parameters": [_NAME],
            "post": {
                "summary": "a request's reward in [0, 1], or its true labels",
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["request_id"],
                                "properties": {
                                    "request_id": {"type": "string"},
                                    "reward": {"type": "number", "minimum": 0, "maximum": 1},
                                    "labels": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "required": ["model", "version", "reward"],
                            "properties": {
                                "model": {"type": "string"},
                                "version": {"type": "string"},
                                "reward": {"type": "number"},
                            },
                        },
                        "learned",
                    ),
                    **_BODY,
                    "404": _UNKNOWN,
                    "422": _error("a bad feedback document or model name"),
                },
            },
        },
        "/models/{name}/skew": {
            "parameters": [_NAME],
            "get": {
                "summary": "the latest serving window against the training profile",
                "parameters": [{"name": "version", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "required": ["model", "version", "window", "report"],
                            "properties": {
                                "model": {"type": "string"},
                                "version": {"type": "string"},
                                "window": _WINDOW,
                                "report": {"type": "object"},
                            },
                        },
                        "the skew report (schemas/report.v1.json)",
                    ),
                    "404": _UNKNOWN,
                    "422": _BAD_NAME,
                },
            },
        },
        "/models/{ref}/predict": {
            "parameters": [_path("ref", "NAME (the bandit chooses the version) or NAME@VERSION")],
            "post": {
                "summary": "validate the rows and predict the valid ones",
                "parameters": [
                    {
                        "name": "mode",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["reject-all", "predict-valid"]},
                        "description": "reject-all: 422 if any row is invalid",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
                        _ARROW: {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "responses": {
                    "200": _answer(
                        {
                            "type": "object",
                            "required": [
                                "model",
                                "version",
                                "request_id",
                                "classes",
                                "predictions",
                                "invalid",
                            ],
                            "properties": {
                                "model": {"type": "string"},
                                "version": {"type": "string"},
                                "request_id": {"type": "string"},
                                "classes": {"type": "array", "items": {"type": "string"}},
                                "predictions": {"type": "array", "items": {"type": "object"}},
                                "invalid": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                        "the predictions of the valid rows, and the invalid rows' reasons",
                    ),
                    "400": _error("a bad mode, JSON or Arrow stream"),
                    "404": _UNKNOWN,
                    "413": _BODY["413"],
                    "415": _error("another Content-Type"),
                    "422": _error("wrong feature types, invalid rows (reject-all), a bad name"),
                    "503": _retry("the model raised or gave no answer in time; retry later"),
                },
            },
        },
    },
    "components": {
        "schemas": {
            "PredictionError": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        }
    },
}
