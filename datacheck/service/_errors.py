"""Errors as HTTP answers: every refusal is a JSON document naming what was wrong.

The body of every 4xx (and of the 503 of an enforced limit) is::

    {"error": {"code": "body_too_large", "message": "...", "limit": "max_body_bytes"}}

``code`` is stable; ``limit`` names the setting to raise when a limit refused the request;
``parameter`` names the query parameter, path part or field a :class:`DatacheckError` was
about.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from datacheck.errors import (
    ArgumentTypeError,
    DatacheckError,
    InputError,
    OptionError,
    ProfileFormatError,
    SchemaFormatError,
    StoreError,
)

__all__ = ["ServiceError", "error_response", "from_datacheck_error"]


class ServiceError(Exception):
    """A request the service refuses: the status, a stable code and the message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        limit: str | None = None,
        parameter: str | None = None,
        retry_after: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.limit = limit
        self.parameter = parameter
        self.retry_after = retry_after
        self.details = details or {}


#: the status of each kind of core error, most specific first
_STATUS: tuple[tuple[type[DatacheckError], int, str], ...] = (
    (SchemaFormatError, 422, "invalid_schema"),
    (ProfileFormatError, 422, "invalid_profile"),
    (InputError, 422, "invalid_data"),
    (StoreError, 404, "not_found"),
    (OptionError, 400, "invalid_option"),
    (ArgumentTypeError, 400, "invalid_argument"),
)


def from_datacheck_error(error: DatacheckError) -> ServiceError:
    """The HTTP refusal of a core error: 422 for a document or data that cannot be read, 404
    for what the store does not hold, 400 for a bad option."""
    status, code = next(
        ((s, c) for kind, s, c in _STATUS if isinstance(error, kind)), (400, "bad_request")
    )
    return ServiceError(status, code, " ".join(str(error).split()), parameter=error.parameter)


def error_response(error: ServiceError) -> JSONResponse:
    """The JSON answer of ``error``, with ``Retry-After`` for a 503."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.limit is not None:
        body["limit"] = error.limit
    if error.parameter is not None:
        body["parameter"] = error.parameter
    body.update(error.details)
    headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return JSONResponse({"error": body}, status_code=error.status, headers=headers)
