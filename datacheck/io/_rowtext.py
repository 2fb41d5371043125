"""Rows as text: JSON Lines for the quarantine and valid-rows files, and CSV cells.

The JSON Lines wire rules, one value at a time (the README's "Quarantine files" lists them):

- integers and booleans as JSON numbers and booleans, null as ``null``;
- floats as JSON numbers, in the shortest form that reads back to the same double (``0.23``,
  ``1.0``, ``1e+300``); NaN and the infinities as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``,
  the rule ``datacheck._json`` gives a field known to hold a float;
- decimals as JSON numbers with exactly their digits (``12.50``), never rounded through a
  binary float (read them with ``json.loads(line, parse_float=decimal.Decimal)`` to keep every
  digit);
- strings as JSON strings, also in a column the reader read as text because its values mixed
  numbers and text (a CSV column with one bad cell): each key keeps one JSON type in every
  line, so typed readers (pyarrow, polars, DuckDB) read the file back;
- dates, times and timestamps as ISO 8601 text (``"2024-05-01"``, ``"12:30:00"``,
  ``"2024-05-01T12:30:00.250000+02:00"``): a zoned timestamp in its zone's local time with its
  UTC offset, a naive one without; nanoseconds are kept;
- durations as ISO 8601 seconds (``"PT90.5S"``);
- bytes as base64 (RFC 4648, padded);
- lists as arrays, structs as objects, maps as arrays of ``[key, value]`` pairs.

A CSV cell holds a nested value as its JSON text, bytes as base64 and a duration as ISO 8601;
other types are left to Arrow's CSV writer.

Values are encoded column by column (integers by an Arrow cast), and rows joined as text, so
one row costs no dict and no per-row ``json.dumps``.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacheck._json import float_to_json

__all__ = ["csv_ready", "json_lines"]

_NS = 1_000_000_000


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _duration(value: datetime.timedelta) -> str:
    """ISO 8601 seconds: ``PT90.5S``, ``-PT0.000001S``; nanoseconds of a pandas Timedelta."""
    ns = getattr(value, "value", None)  # pandas.Timedelta: nanoseconds, exact
    if not isinstance(ns, int):
        ns = ((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds) * 1_000
    whole, fraction = divmod(abs(ns), _NS)
    digits = f".{fraction:09d}".rstrip("0") if fraction else ""
    return f"{'-' if ns < 0 else ''}PT{whole}{digits}S"


def _value(value: Any) -> str:
    """One Python value of a row (from ``to_pylist``) as JSON text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A Python float comes only from a float column: written as float fields are.
        return repr(value) if math.isfinite(value) else _string(str(float_to_json(value)))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Decimal):
        return str(value)  # JSON numbers have any precision: the digits as they are
    if isinstance(value, bytes):
        return '"' + base64.b64encode(value).decode("ascii") + '"'
    if isinstance(value, datetime.timedelta):
        return '"' + _duration(value) + '"'
    if isinstance(value, datetime.date | datetime.time):
        # datetime and pandas.Timestamp (nanoseconds) are dates too
        return '"' + value.isoformat() + '"'
    if isinstance(value, dict):
        return "{" + ",".join(_string(str(k)) + ":" + _value(v) for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value(v) for v in value) + "]"
    item = getattr(value, "item", None)  # a numpy scalar: half floats come as np.float16
    if callable(item):
        return _value(item())
    return _string(str(value))


def _texts(column: pa.Array) -> list[str]:
    """Each value of ``column`` as JSON text."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if pa.types.is_integer(kind):
        texts: list[str] = pc.fill_null(pc.cast(column, pa.string()), "null").to_pylist()
        return texts
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ["null" if v is None else _string(v) for v in column.to_pylist()]
    return [_value(v) for v in column.to_pylist()]


def json_lines(batch: pa.RecordBatch) -> list[str]:
    """Each row of ``batch`` as one JSON object's text (no newline), keys in column order."""
    if batch.num_columns == 0:
        return ["{}"] * batch.num_rows
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        key = _string(field.name) + ":"
        columns.append([key + text for text in _texts(column)])
    return ["{" + ",".join(row) + "}" for row in zip(*columns, strict=True)]


def _needs_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _needs_text(kind.value_type)
    return bool(
        pa.types.is_nested(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_duration(kind)
    )


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.timedelta):
        return _duration(value)
    return _value(value)


def csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with the columns Arrow's CSV writer cannot write turned into text cells."""
    if not any(_needs_text(f.type) for f in batch.schema):
        return batch
    fields, arrays = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if _needs_text(field.type):
            field = pa.field(field.name, pa.string())
            column = pa.array([_cell(v) for v in column.to_pylist()], pa.string())
        fields.append(field)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))
