"""The prediction routes ``datacheck serve`` gets from the serving plugin.

:func:`routes` is the plugin's ``service_routes`` reference. The routes share one
:class:`~datacheck_serving._models.ModelServer` per application (:func:`model_server`),
made on first use; its serving-statistics windows live under
``<store>/.service/models/<name>/windows`` (the core's :class:`datacheck.service.ServingWindows`).

* ``GET /models``: the deployed models.
* ``POST /models/{name}/versions``: deploy a version from a training folder under
  ``<store>/models/`` (``{"version": "2", "folder": "penguins-v2"}``; the folder is a name, not
  a path; the schema is the one its record names, or ``"schema": "name[@version]"``, read
  from the store). A write: the token
  is needed when the service has one.
* ``GET /models/{name}``: versions, bandit weights, batch sizes, cache counts.
* ``POST /models/{name}[@version]/predict[?mode=reject-all|predict-valid]``: a JSON array of
  objects or an Arrow IPC stream; answers predictions (each with the request id) and the
  invalid rows with their reasons.
* ``POST /models/{name}/feedback``: ``{"request_id": ..., "reward": 0.8}`` or ``{"request_id":
  ..., "labels": ["Adelie", ...]}``.
* ``GET /models/{name}/skew``: the latest serving window against the training profile.

Refusals are ``{"error": {"code", "message", ...}}`` like the core's: 404 unknown model, 422
wrong feature types or invalid rows (``reject-all``), 503 with ``Retry-After`` when the model
raised or timed out (the other models are served on).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import pyarrow as pa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from datacheck.errors import DatacheckError
from datacheck.schema import SchemaStore
from datacheck.service import ServingWindows
from datacheck_serving._models import (
    MODES,
    ModelServer,
    PredictionError,
    check_model_name,
    load_version,
)
from datacheck_serving._serve_options import model_server_options

__all__ = ["model_server", "routes"]

_ARROW = "application/vnd.apache.arrow.stream"
_LOCK = threading.Lock()
#: the body limit when the service's own cannot be read
_DEFAULT_MAX_BODY = 64 * 1024 * 1024


def _config(app: Any) -> Any:
    """The service's configuration (``create_app`` publishes it), None outside the service."""
    return getattr(app.state, "config", None)


def model_server(app: Any, **options: Any) -> ModelServer:
    """The application's :class:`ModelServer`, made on first use (``options`` then apply)."""
    with _LOCK:
        server = getattr(app.state, "datacheck_models", None)
        if server is None:
            config = _config(app)
            store = getattr(config, "store", None)
            root = (
                Path(store) / ".service" / "models"
                if store is not None
                else Path(tempfile.mkdtemp(prefix="datacheck-models-"))
            )
            windows = ServingWindows(
                root,
                window_seconds=int(getattr(config, "window_seconds", 3600)),
                flush_seconds=float(getattr(config, "flush_seconds", 0.5)),
            )
            windows.start()
            given = model_server_options(getattr(config, "plugin_options", None) or {})
            server = ModelServer(windows=windows, **{**given, **options})
            app.state.datacheck_models = server
        return server


def _error(exc: PredictionError) -> JSONResponse:
    body: dict[str, Any] = {"code": exc.code, "message": str(exc), **exc.details}
    headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return JSONResponse({"error": body}, status_code=exc.status, headers=headers)


async def _body(request: Request) -> bytes:
    limit = int(getattr(_config(request.app), "max_body_bytes", _DEFAULT_MAX_BODY))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PredictionError(
                413,
                "body_too_large",
                f"the body is over {limit} bytes",
                details={"limit": "max_body_bytes"},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PredictionError(400, "invalid_json", f"the body is not JSON: {exc}") from None


def _records(request: Request, body: bytes) -> pa.Table:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind == _ARROW:
        try:
            return pa.ipc.open_stream(body).read_all()
        except (pa.ArrowException, OSError) as exc:
            raise PredictionError(400, "invalid_arrow", f"not an Arrow IPC stream: {exc}") from None
    if kind != "application/json":
        raise PredictionError(
            415, "unsupported_media_type", f"send application/json or {_ARROW}, not {kind!r}"
        )
    records = _json(body)
    if (
        not isinstance(records, list)
        or not records
        or not all(isinstance(r, dict) for r in records)
    ):
        raise PredictionError(
            422, "not_records", "the body must be a non-empty JSON array of objects, one per row"
        )
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowException, OverflowError) as exc:
        raise PredictionError(
            422,
            "wrong_types",
            "features of the wrong type",
            details={"reasons": [{"column": None, "reason": " ".join(str(exc).split())}]},
        ) from None


def _guarded(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The handler, its :class:`PredictionError` answered as a JSON error."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except PredictionError as exc:
            return _error(exc)

    run.__name__ = handler.__name__
    return run


async def list_models(request: Request) -> Response:
    """The deployed models."""
    return JSONResponse({"models": model_server(request.app).names()})


async def describe(request: Request) -> Response:
    """A model's versions and their weights."""
    name = check_model_name(request.path_params["name"])
    return JSONResponse(model_server(request.app).describe(name))


async def predict(request: Request) -> Response:
    """Validate and predict the rows of the body."""
    ref = request.path_params["ref"]
    name, _, version = ref.partition("@")
    check_model_name(name)
    if version:
        check_model_name(version, "version")
    mode = request.query_params.get("mode", "predict-valid")
    if mode not in MODES:
        raise PredictionError(400, "invalid_option", f"mode {mode!r}: one of {', '.join(MODES)}")
    server = model_server(request.app)
    server.describe(name)  # 404 before reading the body
    table = _records(request, await _body(request))
    answer = await server.predict(name, table, version=version or None, mode=mode)
    return JSONResponse(answer)


async def feedback(request: Request) -> Response:
    """A request's reward (or true labels), for the model selection."""
    name = check_model_name(request.path_params["name"])
    document = _json(await _body(request))
    if not isinstance(document, dict) or not isinstance(document.get("request_id"), str):
        raise PredictionError(422, "bad_feedback", 'send {"request_id": ..., "reward": ...}')
    reward = document.get("reward")
    labels = document.get("labels")
    if reward is not None and (isinstance(reward, bool) or not isinstance(reward, int | float)):
        raise PredictionError(422, "bad_feedback", "reward: a number in [0, 1]")
    if labels is not None and (
        not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)
    ):
        raise PredictionError(422, "bad_feedback", "labels: a list of class names")
    answer = model_server(request.app).feedback(
        name,
        document["request_id"],
        reward=None if reward is None else float(reward),
        labels=labels,
    )
    return JSONResponse(answer)


async def skew(request: Request) -> Response:
    """The latest serving window against the training profile."""
    name = check_model_name(request.path_params["name"])
    version = request.query_params.get("version")
    server = model_server(request.app)
    answer = await anyio.to_thread.run_sync(lambda: server.skew(name, version))
    return JSONResponse(answer)


async def deploy(request: Request) -> Response:
    """Deploy a version from a training folder under ``<store>/models``."""
    name = check_model_name(request.path_params["name"])
    document = _json(await _body(request))
    if not isinstance(document, dict):
        raise PredictionError(422, "bad_deploy", 'send {"version": ..., "folder": ...}')
    version = check_model_name(str(document.get("version", "")), "version")
    folder_name = check_model_name(str(document.get("folder", "")), "folder")
    store = getattr(_config(request.app), "store", None)
    if store is None:
        raise PredictionError(404, "no_store", "this service has no store to deploy from")
    given = document.get("schema")
    if given is not None and not isinstance(given, str):
        raise PredictionError(422, "bad_deploy", "schema: a name in the store, or name@version")
    folder = Path(store) / "models" / folder_name
    if not folder.is_dir():
        raise PredictionError(
            404, "no_model_folder", f"no model folder {folder_name!r} in the store"
        )

    def load() -> dict[str, Any]:
        from datacheck_training import read_record

        try:
            record = read_record(folder)
            ref = record.get("schema") or {}
            schema_name, schema_version = str(ref.get("name")), ref.get("version")
            if given is not None:  # "name" or "name@version", a store name: never a path
                schema_name, _, number = given.partition("@")
                schema_version = int(number) if number.isdigit() else None
            schema = SchemaStore(store).get(schema_name, schema_version)
            served = load_version(name, version, folder, schema=schema)
        except DatacheckError as exc:
            raise PredictionError(422, "cannot_deploy", " ".join(str(exc).split())) from None
        model_server(request.app).deploy(served)
        return {"model": name, "version": version, "deployed": True}

    return JSONResponse(await anyio.to_thread.run_sync(load), status_code=201)


def routes() -> list[BaseRoute]:
    """The prediction routes (the serving plugin's ``service_routes``)."""
    return [
        Route("/models", _guarded(list_models), methods=["GET"]),
        Route("/models/{name}", _guarded(describe), methods=["GET"]),
        Route("/models/{name}/versions", _guarded(deploy), methods=["POST"]),
        Route("/models/{name}/feedback", _guarded(feedback), methods=["POST"]),
        Route("/models/{name}/skew", _guarded(skew), methods=["GET"]),
        Route("/models/{ref}/predict", _guarded(predict), methods=["POST"]),
    ]
