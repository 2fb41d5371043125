"""Request bodies: read within the size limit, then parsed into one Arrow table.

Two formats: JSON (an array of objects, one per row) and an Arrow IPC stream. JSON columns
are built column by column from the union of the records' keys (in first-seen order), so a
key that appears only in a later record is still a column. A column whose values Arrow cannot
hold in one type (numbers and text, an integer beyond int64) is kept as text and marked
mixed-typed, as the CSV reader does, so validation reports it as an anomaly rather than the
request failing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from itertools import chain
from typing import Any

import pyarrow as pa

from datacheck.io import MIXED_TYPES_KEY
from datacheck.service._errors import ServiceError

__all__ = [
    "ARROW_STREAM",
    "JSON",
    "by_columns",
    "parse_arrow",
    "parse_json_document",
    "parse_json_records",
    "read_body",
]

ARROW_STREAM = "application/vnd.apache.arrow.stream"
JSON = "application/json"


async def read_body(stream: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to pass ``limit`` bytes."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise ServiceError(
                400, "bad_content_length", "Content-Length is not a number"
            ) from None
        if declared > limit:
            raise _too_large(limit)
    parts: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def _too_large(limit: int) -> ServiceError:
    return ServiceError(
        413,
        "body_too_large",
        f"the request body is over {limit} bytes; send fewer rows per request, or raise the "
        "service's max_body_bytes",
        limit="max_body_bytes",
    )


def _too_many_rows(rows: int, limit: int) -> ServiceError:
    return ServiceError(
        422,
        "too_many_rows",
        f"the request holds {rows} rows or more, over the limit of {limit}; split it, or "
        "raise the service's max_rows",
        limit="max_rows",
    )


def parse_json_document(body: bytes, what: str) -> Any:
    """The JSON value of ``body``: 400 for text that is not JSON (or not UTF-8, or too deep)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise ServiceError(400, "invalid_json", f"{what}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(
            400,
            "invalid_json",
            f"{what}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from None
    except RecursionError:
        raise ServiceError(400, "invalid_json", f"{what}: JSON nested too deeply") from None
    except ValueError as exc:  # NaN literals, integers of more than 4300 digits
        raise ServiceError(400, "invalid_json", f"{what}: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_records(body: bytes, max_rows: int) -> pa.Table:
    """The rows of a JSON array of objects as a table.

    Raises:
        ServiceError: 400 for text that is not JSON, 422 for JSON that is not an array of
            objects or for more than ``max_rows`` rows.
    """
    records = parse_json_document(body, "the request body")
    if not isinstance(records, list):
        raise ServiceError(
            422, "not_records", "the request body must be a JSON array of objects, one per row"
        )
    if len(records) > max_rows:
        raise _too_many_rows(len(records), max_rows)
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise ServiceError(
                422,
                "not_records",
                f"record {i} is a {type(record).__name__}, not an object; send one object per row",
            )
    names = list(dict.fromkeys(chain.from_iterable(records)))
    if not names:
        return pa.table({})
    # The common case in one call: Arrow infers every column of the records at once (the same
    # inference as column by column, and the same first-seen column order). A column Arrow
    # cannot hold in one type falls through to the column-by-column build.
    with contextlib.suppress(
        pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError
    ):
        return pa.Table.from_struct_array(pa.array(records))
    try:
        return by_columns(records, names)
    except RecursionError:
        raise ServiceError(422, "invalid_data", "a value is nested too deeply") from None


def by_columns(records: list[dict[str, Any]], names: list[str]) -> pa.Table:
    """The records as a table built column by column; a column whose values Arrow cannot
    hold in one type is kept as text and marked mixed-typed."""
    columns = [_column(name, [r.get(name) for r in records]) for name in names]
    return pa.Table.from_arrays(
        [array for _, array in columns], schema=pa.schema([f for f, _ in columns])
    )


def _column(name: str, values: list[Any]) -> tuple[pa.Field, pa.Array]:
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        # Values Arrow cannot hold in one type: kept as their JSON text, marked mixed-typed.
        text = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
        field = pa.field(name, pa.string(), metadata={MIXED_TYPES_KEY: b"true"})
        return field, pa.array(text, pa.string())
    return pa.field(name, array.type), array


def parse_arrow(body: bytes, max_rows: int) -> pa.Table:
    """The rows of an Arrow IPC stream as a table.

    Raises:
        ServiceError: 400 for bytes that are not an Arrow stream, 422 for more than
            ``max_rows`` rows or for two columns of one name.
    """
    try:
        reader = pa.ipc.open_stream(pa.py_buffer(body))
        batches: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            rows += batch.num_rows
            if rows > max_rows:
                raise _too_many_rows(rows, max_rows)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
        # The stream's buffers are taken as sent: offsets out of range or text that is not
        # UTF-8 would make later kernels read out of bounds or fail; refused here instead.
        table.validate(full=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ServiceError(
            400,
            "invalid_arrow",
            f"the request body is not a readable Arrow IPC stream: {' '.join(str(exc).split())}",
        ) from None
    names = table.column_names
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ServiceError(
            422,
            "duplicate_columns",
            f"the Arrow stream has more than one column named {', '.join(map(repr, twice))}; "
            "name each column once",
        )
    return table
