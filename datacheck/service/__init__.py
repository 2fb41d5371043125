"""``datacheck serve``: the schema registry, validation and serving statistics over HTTP.

A Starlette application (:func:`create_app`) served by uvicorn (:func:`serve`). It calls the
same use cases as the command: :class:`~datacheck.schema.SchemaStore` for the registry,
:func:`~datacheck.validate.check_dataset` for each validation request,
:func:`~datacheck.validate.validate_statistics` for skew; serving statistics are profiled by a
background worker into tumbling windows persisted under the store. Plugins add routes through
:attr:`datacheck.plugin.Plugin.service_routes`.

Needs the ``service`` extra (``pip install 'datacheck-ml[service]'``); ``import datacheck``
never imports this package.
"""

from __future__ import annotations

from datacheck.errors import MissingExtraError

try:
    import prometheus_client as _prometheus_client  # noqa: F401  (checked here, used by _metrics)
    import starlette as _starlette  # noqa: F401  (checked here, used by _app)
    import uvicorn as _uvicorn  # noqa: F401  (checked here, used by _server)
except ImportError as _exc:  # pragma: no cover - depends on what is installed
    raise MissingExtraError(_exc.name or "starlette", "service") from _exc

from datacheck.service._app import MAX_QUARANTINE_ROWS, create_app
from datacheck.service._config import COMPATIBILITY_MODES, ServiceConfig, read_token
from datacheck.service._server import freeze_startup_objects, is_loopback, serve
from datacheck.service._windows import ServingWindows, WindowInfo

__all__ = [
    "COMPATIBILITY_MODES",
    "MAX_QUARANTINE_ROWS",
    "ServiceConfig",
    "ServingWindows",
    "WindowInfo",
    "create_app",
    "freeze_startup_objects",
    "is_loopback",
    "read_token",
    "serve",
]
