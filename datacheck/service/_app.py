"""The Starlette application: routes, their handlers, the token guard and the metrics.

Handlers parse the request, call the core's use cases (:func:`check_dataset`,
:class:`SchemaStore`, :func:`validate_statistics`) on a worker thread, and answer JSON. Every
refusal is a :class:`ServiceError` turned into a JSON error; a core :class:`DatacheckError` is
mapped to its 4xx (see :mod:`datacheck.service._errors`). The only 5xx given on purpose is the
503 of an enforced limit (time, validations in flight), with ``Retry-After``; ``/readyz`` says
503 while the service is not ready.
"""

from __future__ import annotations

import contextlib
import copy
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import pyarrow as pa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datacheck._json import float_to_json
from datacheck.errors import DatacheckError
from datacheck.plugin import discover_plugins, load_reference
from datacheck.schema import (
    Feature,
    FeatureType,
    IntDomain,
    Schema,
    SchemaStore,
    StringDomain,
    diff_schemas,
    parse_schema_ref,
)
from datacheck.service._body import (
    ARROW_STREAM,
    JSON,
    parse_arrow,
    parse_json_document,
    parse_json_records,
    read_body,
)
from datacheck.service._config import ServiceConfig
from datacheck.service._errors import ServiceError, error_response, from_datacheck_error
from datacheck.service._metrics import Metrics
from datacheck.service._openapi import merge_part, openapi_document
from datacheck.service._quick import ReportProfiler
from datacheck.service._registry import Registry, change_to_json, check_name
from datacheck.service._windows import ServingWindows
from datacheck.stats import DatasetProfile
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    CheckedBatch,
    check_dataset,
    validate_statistics,
)

__all__ = ["create_app"]

_LOG = logging.getLogger("datacheck.service")
T = TypeVar("T")

#: the quarantined rows one answer lists at most; the report counts them all
MAX_QUARANTINE_ROWS = 10_000
#: seconds a client is told to wait after a 503
_RETRY_AFTER = 1
#: the scope key of a request's deadline (anyio's clock), set when it arrives
_DEADLINE = "datacheck.deadline"

#: schemas kept parsed, by (name, version): a stored version never changes
_SCHEMA_CACHE = 256
#: request bodies up to this size are parsed on the event loop (a JSON array of a few hundred
#: rows; an Arrow stream of tens of thousands of values, read without a copy)
_INLINE_JSON_BYTES = 64 * 1024
_INLINE_ARROW_BYTES = 1024 * 1024
#: requests of up to this many values (rows times columns) are checked on the event loop,
#: in about a millisecond or two; larger ones on a worker thread, within the time limit
_INLINE_VALUES = 100_000


class _Quarantine:
    """Collects the quarantined rows of one request (the ``on_quarantine`` callback)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self._offset = 0

    def __call__(self, checked: CheckedBatch) -> None:
        room = self.limit - len(self.rows)
        if room > 0 and checked.quarantined.num_rows:
            kept = checked.quarantined.slice(0, room)
            positions = checked.quarantined_rows[:room].tolist()
            for position, row in zip(positions, kept.to_pylist(), strict=True):
                reasons = row.pop(REASONS_COLUMN)
                for name in SOURCE_COLUMNS:  # a request's rows have no file; "row" says where
                    del row[name]
                self.rows.append(
                    {"row": self._offset + position, "reasons": reasons, "values": _row_json(row)}
                )
        self.count += checked.quarantined.num_rows
        self._offset += checked.batch.num_rows


class _Slot:
    """One admitted validation: whether a thread started it, whether it has been uncounted."""

    __slots__ = ("released", "started")

    def __init__(self) -> None:
        self.started = False
        self.released = False


class _Service:
    """The state one application holds, and its handlers (bound methods are the endpoints)."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.registry = Registry(
            SchemaStore(config.store), default_compatibility=config.default_compatibility
        )
        self.windows = ServingWindows(
            self.registry.service_root,
            window_seconds=config.window_seconds,
            flush_seconds=config.flush_seconds,
            queue_batches=config.queue_batches,
            busy=lambda: self._inflight > 0,
            process=config.profile_in_process,
        )
        self.metrics = Metrics()
        self.plugin_failures: dict[str, str] = {}
        #: the OpenAPI document served, the plugins' parts merged in
        self.openapi_document = openapi_document()
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self._schemas: dict[tuple[str, int], Schema] = {}
        self._ready = False

    # -- the lifespan -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Start the serving-statistics worker; on shutdown, drain it and write every window."""
        self.registry.service_root.mkdir(parents=True, exist_ok=True)
        self.windows.start()
        # One validation before the first request, so that it does not pay for first calls
        # (lazy imports, Arrow's kernel registry, compiled patterns).
        await anyio.to_thread.run_sync(_warm_up)
        self._ready = True
        try:
            yield
        finally:
            self._ready = False
            await anyio.to_thread.run_sync(self.windows.close)

    # -- running work off the event loop, within the limits -----------------------------------

    async def _work(self, request: Request, function: Callable[[], T]) -> T:
        """Run ``function`` on a worker thread within the time and in-flight limits."""
        slot = self._admit()
        try:
            with anyio.fail_after(self._time_left(request)):
                return await anyio.to_thread.run_sync(
                    self._counted, slot, function, abandon_on_cancel=True
                )
        except TimeoutError:
            raise self._timed_out() from None
        finally:
            # Given up on before a thread took it (timed out, or the client left), the work
            # never runs, so it is not counted as running; work that did start is counted
            # until it ends, timed out or not.
            with self._inflight_lock:
                if not slot.started:
                    self._release(slot)

    def _inline(self, request: Request, function: Callable[[], T]) -> T:
        """Run quick, bounded ``function`` on the event loop, within the same limits as
        :meth:`_work` (it cannot be stopped, so the time limit is checked before it runs)."""
        if self._time_left(request) <= 0:
            raise self._timed_out()
        slot = self._admit()
        try:
            return function()
        finally:
            with self._inflight_lock:
                self._release(slot)

    def _admit(self) -> _Slot:
        """Count one more validation running, or refuse it beyond ``max_inflight``."""
        with self._inflight_lock:
            if self._inflight >= self.config.max_inflight:
                raise self._limit(
                    "max_inflight",
                    f"{self._inflight} validations are running, the most allowed; retry "
                    "shortly, or raise the service's max_inflight",
                )
            self._inflight += 1
            self.metrics.inflight.set(self._inflight)
        return _Slot()

    def _release(self, slot: _Slot) -> None:
        """Count ``slot``'s validation as ended, once (hold ``_inflight_lock``)."""
        if not slot.released:
            slot.released = True
            self._inflight -= 1
            self.metrics.inflight.set(self._inflight)

    def _time_left(self, request: Request) -> float:
        """Seconds left of the request's time limit, counted from its arrival."""
        deadline = request.scope.get(_DEADLINE)
        if deadline is None:
            return self.config.request_timeout
        return max(0.0, float(deadline) - anyio.current_time())

    def _timed_out(self) -> ServiceError:
        return self._limit(
            "request_timeout",
            f"the request took over {self.config.request_timeout:g} s; send fewer rows, or "
            "start the service with a larger --request-timeout",
        )

    def _counted(self, slot: _Slot, function: Callable[[], T]) -> T:
        # The count drops when the work ends, not when a timed-out request gave up on it, so
        # abandoned work still counts against max_inflight.
        with self._inflight_lock:
            slot.started = True
        try:
            return function()
        finally:
            with self._inflight_lock:
                self._release(slot)

    def _limit(self, limit: str, message: str) -> ServiceError:
        self.metrics.limits.labels(limit=limit).inc()
        return ServiceError(503, "limit_exceeded", message, limit=limit, retry_after=_RETRY_AFTER)

    async def _body(self, request: Request) -> bytes:
        """The body, read within the size limit and the request's time limit (a client that
        sends slowly is refused like a slow validation)."""
        try:
            with anyio.fail_after(self._time_left(request)):
                return await read_body(
                    request.stream(),
                    request.headers.get("content-length"),
                    self.config.max_body_bytes,
                )
        except TimeoutError:
            raise self._timed_out() from None
        except ServiceError as error:
            if error.limit is not None:
                self.metrics.limits.labels(limit=error.limit).inc()
            raise

    async def _json_body(self, request: Request, what: str) -> Any:
        _require_type(request, (JSON,))
        body = await self._body(request)
        return parse_json_document(body, what)

    def _schema(self, name: str, version: int | None) -> tuple[int, Schema]:
        number = self.registry.version_number(name, version)
        schema = self._schemas.get((name, number))
        if schema is None:
            schema = self.registry.store.get(name, number)
            if len(self._schemas) >= _SCHEMA_CACHE:
                self._schemas.pop(next(iter(self._schemas)))
            self._schemas[(name, number)] = schema
        return number, schema

    # -- probes, metrics, the document ----------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        """The process answers."""
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        """The store is reachable and the serving-statistics worker runs."""
        problems = []
        if not self._ready:
            problems.append("starting or shutting down")
        if not self.windows.alive:
            problems.append("the serving-statistics worker is not running")
        if not self.registry.store.root.is_dir():
            problems.append("the schema store folder is missing")
        body: dict[str, Any] = {
            "status": "not ready" if problems else "ready",
            "problems": problems,
            "plugin_failures": self.plugin_failures,
        }
        headers = {"Retry-After": str(_RETRY_AFTER)} if problems else {}
        return JSONResponse(body, status_code=503 if problems else 200, headers=headers)

    async def metrics_text(self, request: Request) -> Response:
        """Prometheus metrics, text exposition format."""
        self.metrics.serving_dropped.set(self.windows.dropped_rows)
        self.metrics.serving_profiled.set(self.windows.profiled_rows)
        return Response(
            self.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3 document of this service."""
        return JSONResponse(self.openapi_document)

    # -- the registry ---------------------------------------------------------------------------

    async def list_schemas(self, request: Request) -> Response:
        """Every schema name with its latest version."""
        store = self.registry.store

        def listing() -> list[dict[str, Any]]:
            return [{"name": n, "latest_version": store.latest_version(n)} for n in store.names()]

        return JSONResponse({"schemas": await anyio.to_thread.run_sync(listing)})

    async def schema_versions(self, request: Request) -> Response:
        """The metadata of every version of a schema, and its compatibility mode."""
        name = check_name(request.path_params["name"])

        def history() -> dict[str, Any]:
            self.registry.versions(name)
            return {
                "name": name,
                "compatibility": self.registry.compatibility(name),
                "versions": [v.to_dict() for v in self.registry.store.history(name)],
            }

        return JSONResponse(await anyio.to_thread.run_sync(history))

    async def schema_version(self, request: Request) -> Response:
        """One version's schema document (``latest`` names the newest)."""
        name = check_name(request.path_params["name"])
        version = _version(request.path_params["version"], "version", latest=True)

        def one() -> dict[str, Any]:
            number, schema = self._schema(name, version)
            return {
                "name": name,
                "version": number,
                "metadata": self.registry.store.metadata(name, number).to_dict(),
                "schema": schema.to_dict(),
            }

        return JSONResponse(await anyio.to_thread.run_sync(one))

    async def register(self, request: Request) -> Response:
        """Register the body (a schema document) as the next version, if compatible."""
        name = check_name(request.path_params["name"])
        message = request.query_params.get("message", "")
        if len(message) > 1000:
            raise ServiceError(422, "message_too_long", "message is at most 1000 characters")
        document = await self._json_body(request, "the schema document")

        def save() -> dict[str, Any]:
            try:
                schema = Schema.from_dict(document, source="the request body")
            except RecursionError:
                raise ServiceError(
                    422, "invalid_schema", "the schema is nested too deeply"
                ) from None
            return self.registry.register(name, schema, message=message).to_dict()

        return JSONResponse(await self._work(request, save), status_code=201)

    async def diff(self, request: Request) -> Response:
        """The changes between two versions, each with its compatibility."""
        name = check_name(request.path_params["name"])
        a = _version(request.query_params.get("from"), "from")
        b = _version(request.query_params.get("to"), "to")

        def changes() -> dict[str, Any]:
            (na, old), (nb, new) = self._schema(name, a), self._schema(name, b)
            found = diff_schemas(old, new)
            return {
                "name": name,
                "from": na,
                "to": nb,
                "changes": [change_to_json(c) for c in found],
            }

        return JSONResponse(await anyio.to_thread.run_sync(changes))

    async def get_config(self, request: Request) -> Response:
        """A schema's compatibility mode."""
        name = check_name(request.path_params["name"])
        return JSONResponse({"compatibility": self.registry.compatibility(name)})

    async def put_config(self, request: Request) -> Response:
        """Set a schema's compatibility mode: BACKWARD, FORWARD, FULL or NONE."""
        name = check_name(request.path_params["name"])
        document = await self._json_body(request, "the config document")
        if not isinstance(document, dict):
            raise ServiceError(422, "invalid_config", 'send {"compatibility": "BACKWARD"}')
        mode = self.registry.set_compatibility(name, document.get("compatibility"))
        return JSONResponse({"compatibility": mode})

    async def put_baseline(self, request: Request) -> Response:
        """Register the body (a profile document) as the schema's training baseline."""
        name = check_name(request.path_params["name"])
        document = await self._json_body(request, "the profile document")

        def save() -> dict[str, Any]:
            try:
                profile = DatasetProfile.from_dict(document, source="the request body")
            except (KeyError, TypeError, ValueError, RecursionError) as exc:
                if isinstance(exc, DatacheckError):
                    raise
                raise ServiceError(
                    422, "invalid_profile", f"the profile is not valid: {exc}"
                ) from None
            self.registry.set_baseline(name, profile)
            return {"name": name, "num_rows": profile.num_rows}

        return JSONResponse(await self._work(request, save))

    async def get_baseline(self, request: Request) -> Response:
        """The registered baseline profile document."""
        name = check_name(request.path_params["name"])

        def load() -> dict[str, Any]:
            return self.registry.baseline(name).to_dict()

        return JSONResponse(await anyio.to_thread.run_sync(load))

    # -- serving statistics ---------------------------------------------------------------------

    async def list_windows(self, request: Request) -> Response:
        """The serving-statistics windows of a schema, oldest first."""
        name = check_name(request.path_params["name"])

        def listing() -> dict[str, Any]:
            self.registry.versions(name)
            return {
                "name": name,
                "window_seconds": self.windows.window_seconds,
                "windows": [w.to_dict() for w in self.windows.windows(name)],
            }

        return JSONResponse(await anyio.to_thread.run_sync(listing))

    async def skew(self, request: Request) -> Response:
        """The latest (or a given) window compared with the registered baseline."""
        name = check_name(request.path_params["name"])
        start = _int_param(request.query_params.get("window"), "window", minimum=0)
        version = _version(request.query_params.get("version"), "version")
        environment = request.query_params.get("environment")

        def compare() -> dict[str, Any]:
            number, schema = self._schema(name, version)
            baseline = self.registry.baseline(name)
            try:
                window, serving = self.windows.profile(name, start)
            except KeyError:
                raise ServiceError(
                    404,
                    "no_window",
                    f"schema {name!r} has no serving-statistics window"
                    + ("" if start is None else f" starting at {start}")
                    + "; validate some rows first",
                ) from None
            # TFDV's skew: the training profile checked with the serving one beside it.
            report = validate_statistics(baseline, schema, serving=serving, environment=environment)
            return {
                "name": name,
                "schema_version": number,
                "window": window.to_dict(),
                "report": report.to_dict(),
            }

        return JSONResponse(await self._work(request, compare))

    # -- validation -----------------------------------------------------------------------------

    async def validate(self, request: Request) -> Response:
        """Validate the rows of the body against a schema; 200 whatever the verdict."""
        name, version = _schema_ref(request.path_params["ref"])
        quarantine = _flag(request.query_params.get("quarantine"), "quarantine")
        environment = request.query_params.get("environment")
        kind = _require_type(request, (JSON, ARROW_STREAM))
        body = await self._body(request)

        def parse() -> tuple[int, Schema, pa.Table]:
            number, schema = self._schema(name, version)
            max_rows = self.config.max_rows
            table = (
                parse_arrow(body, max_rows)
                if kind == ARROW_STREAM
                else (parse_json_records(body, max_rows))
            )
            if table.num_rows == 0:
                raise ServiceError(422, "no_rows", "the request holds no rows to validate")
            return number, schema, table

        def run(number: int, schema: Schema, table: pa.Table) -> dict[str, Any]:
            collector = _Quarantine(MAX_QUARANTINE_ROWS) if quarantine else None
            done = check_dataset(
                table,
                schema,
                environment=environment,
                on_quarantine=collector,
                # Only what the report reads: the windows' worker profiles the rows in full.
                profiler=ReportProfiler(schema, environment),
            )
            report = done.report.to_dict()
            # An Arrow request's rows go to the serving statistics as the bytes they came in.
            self._count(name, table, report, body if kind == ARROW_STREAM else None)
            answer: dict[str, Any] = {"schema": name, "version": number, "report": report}
            if collector is not None:
                answer["quarantine"] = {
                    "count": collector.count,
                    "truncated": collector.count > len(collector.rows),
                    "rows": collector.rows,
                }
            return answer

        if len(body) > (_INLINE_ARROW_BYTES if kind == ARROW_STREAM else _INLINE_JSON_BYTES):
            return JSONResponse(await self._work(request, lambda: run(*parse())))
        # A small request is parsed here, and checked here too when that is quick: handing it
        # to a worker thread and back costs two context switches, which on a busy machine
        # take longer than the work.
        number, schema, table = self._inline(request, parse)
        if _quick_enough(schema, table, quarantine):
            return JSONResponse(self._inline(request, lambda: run(number, schema, table)))
        return JSONResponse(await self._work(request, lambda: run(number, schema, table)))

    def _count(
        self, name: str, table: pa.Table, report: dict[str, Any], stream: bytes | None
    ) -> None:
        self.metrics.rows.labels(schema=name).inc(table.num_rows)
        for anomaly in report["anomalies"]:
            self.metrics.anomalies.labels(schema=name, code=anomaly["code"]).inc()
        self.windows.add(name, table, stream=stream)


def _warm_up() -> None:
    """Validate one made-up row, as a request would, and forget it."""
    schema = Schema(
        features=(
            Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=0)),
            Feature(name="s", type=FeatureType.STRING, domain=StringDomain(values=("a",))),
        )
    )
    table = parse_json_records(b'[{"n": 1, "s": "a"}]', 1)
    check_dataset(table, schema, profiler=ReportProfiler(schema, None)).report.to_dict()


def _quick_enough(schema: Schema, table: pa.Table, quarantine: bool) -> bool:
    """Whether checking ``table`` is bounded and small enough to run on the event loop: few
    values, no custom row check (a registered Python function may take any time), and no
    quarantine asked for (the row checks run on a thread pool of their own anyway)."""
    if quarantine or table.num_rows * max(1, table.num_columns) > _INLINE_VALUES:
        return False
    return all(check.check is None for check in schema.row_checks)


def _row_json(value: Any) -> Any:
    """A quarantined row's values as JSON: floats as float fields are written (NaN as "NaN"),
    bytes as text, dates and times in ISO 8601."""
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, dict):
        return {str(k): _row_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_row_json(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, str | int | bool) or value is None:
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


# -- request parts ------------------------------------------------------------------------------


def _require_type(request: Request, allowed: tuple[str, ...]) -> str:
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given not in allowed:
        raise ServiceError(
            415,
            "unsupported_media_type",
            f"Content-Type {given or 'none'!r} is not accepted here; send {' or '.join(allowed)}",
        )
    return given


def _int_param(text: str | None, parameter: str, *, minimum: int) -> int | None:
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < minimum:
        raise ServiceError(
            400,
            "invalid_parameter",
            f"{parameter} must be an integer of at least {minimum}",
            parameter=parameter,
        )
    return int(text)


def _version(text: str | None, parameter: str, *, latest: bool = False) -> int | None:
    if text is None or (latest and text == "latest"):
        return None
    return _int_param(text, parameter, minimum=1)


def _flag(text: str | None, parameter: str) -> bool:
    if text is None or text.lower() in ("false", "0", "no"):
        return False
    if text.lower() in ("true", "1", "yes", ""):
        return True
    raise ServiceError(
        400, "invalid_parameter", f"{parameter} must be true or false", parameter=parameter
    )


def _schema_ref(ref: str) -> tuple[str, int | None]:
    name, sep, version = ref.partition("@")
    check_name(name)
    if not sep:
        return name, None
    number = _version(version, "version", latest=True)
    return parse_schema_ref(name if number is None else f"{name}@{number}")


# -- the guard: token, metrics, last-resort errors ----------------------------------------------


class _Status:
    """Forwards the answer's messages and remembers its status."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)


#: paths anyone may read, token or not: the probes
_OPEN_PATHS = frozenset({"/healthz", "/readyz"})


class _Guard:
    """ASGI middleware: the bearer token on writes (and reads, when asked), then the metrics."""

    def __init__(self, app: ASGIApp, service: _Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope[_DEADLINE] = anyio.current_time() + self.service.config.request_timeout
        recorder = _Status(send)
        try:
            refusal = self._refusal(scope)
            if refusal is None:
                await self.app(scope, receive, recorder)
            else:
                await error_response(refusal)(scope, receive, recorder)
        finally:
            endpoint = scope.get("endpoint")
            route = getattr(endpoint, "__name__", "unmatched")
            metrics = self.service.metrics
            metrics.requests.labels(
                method=str(scope["method"])[:10], route=route, status=str(recorder.status)
            ).inc()
            metrics.latency.labels(route=route).observe(time.perf_counter() - started)

    def _refusal(self, scope: Scope) -> ServiceError | None:
        config = self.service.config
        if config.token is None or scope["path"] in _OPEN_PATHS:
            return None
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and not config.token_for_reads:
            return None
        given = b""
        for key, value in scope["headers"]:
            if key == b"authorization":
                given = value
        expected = b"Bearer " + config.token.encode("utf-8")
        if hmac.compare_digest(given, expected):
            return None
        return ServiceError(
            401,
            "unauthorized",
            "this request needs the service's bearer token: Authorization: Bearer <token>",
        )


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    error = ServiceError(exc.status_code, code, str(exc.detail))
    response = error_response(error)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Never meant to be reached: every refusal is a ServiceError. Logged by the server.
    return error_response(ServiceError(500, "internal_error", "internal error; see the log"))


async def _datacheck_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DatacheckError)
    return error_response(from_datacheck_error(exc))


def _plugin_routes(service: _Service) -> list[BaseRoute]:
    """The routes every installed plugin contributes, their OpenAPI parts merged into the
    service's document; a plugin whose routes or description fail is logged, named by
    ``/readyz`` and left out whole."""
    plugins, failures = discover_plugins()
    for failure in failures:
        service.plugin_failures[failure.name] = failure.reason
    routes: list[BaseRoute] = []
    for plugin in plugins:
        reference = ""
        try:
            found: list[BaseRoute] = []
            for reference in plugin.service_routes:
                found.extend(load_reference(reference)())
            document = copy.deepcopy(service.openapi_document)
            for reference in plugin.service_openapi:
                merge_part(document, load_reference(reference))
        except Exception as exc:  # a broken plugin must not take the service down
            service.plugin_failures[plugin.name] = f"{reference}: {exc}"
            _LOG.warning("plugin %r: routes %s not added: %s", plugin.name, reference, exc)
            continue
        if found and not plugin.service_openapi:
            _LOG.warning("plugin %r: its routes are not described in /openapi.json", plugin.name)
        routes.extend(found)
        service.openapi_document = document
    return routes


def create_app(config: ServiceConfig, *, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The service as an ASGI application.

    Args:
        config: the store, the limits, the token and the windows.
        extra_routes: routes added after the core's and the plugins' (tests use them).
    """
    service = _Service(config)
    s = service
    routes: list[BaseRoute] = [
        # Starlette tries the routes in order: the busiest first (no other path overlaps it)
        Route("/validate/{ref}", s.validate, methods=["POST"]),
        Route("/healthz", s.healthz, methods=["GET"]),
        Route("/readyz", s.readyz, methods=["GET"]),
        Route("/metrics", s.metrics_text, methods=["GET"]),
        Route("/openapi.json", s.openapi, methods=["GET"]),
        Route("/schemas", s.list_schemas, methods=["GET"]),
        Route("/schemas/{name}/versions", s.schema_versions, methods=["GET"]),
        Route("/schemas/{name}/versions", s.register, methods=["POST"]),
        Route("/schemas/{name}/versions/{version}", s.schema_version, methods=["GET"]),
        Route("/schemas/{name}/diff", s.diff, methods=["GET"]),
        Route("/schemas/{name}/config", s.get_config, methods=["GET"]),
        Route("/schemas/{name}/config", s.put_config, methods=["PUT"]),
        Route("/schemas/{name}/baseline", s.get_baseline, methods=["GET"]),
        Route("/schemas/{name}/baseline", s.put_baseline, methods=["PUT"]),
        Route("/schemas/{name}/windows", s.list_windows, methods=["GET"]),
        Route("/schemas/{name}/skew", s.skew, methods=["GET"]),
    ]
    if config.plugins:
        routes += _plugin_routes(service)
    routes += extra_routes or []
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, service=service)],
        exception_handlers={
            ServiceError: _service_error,
            DatacheckError: _datacheck_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=service.lifespan,
    )
    app.state.service = service
    # public to plugins' routes (the store, limits and windows they share with the service)
    app.state.config = config
    return app
