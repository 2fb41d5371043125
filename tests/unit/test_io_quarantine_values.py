"""JSON Lines row files: numbers as numbers, ISO 8601 times, base64 bytes, and back again.

The round trip reads each line with ``json.loads`` and decodes each value by its column's
Arrow type, as the README's wire rules say a reader should; it must give the original values.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck.io import QuarantineWriter, ValidWriter

#: the columns drawn, with their Arrow types
TYPES: dict[str, pa.DataType] = {
    "i": pa.int64(),
    "f": pa.float64(),
    "f32": pa.float32(),
    "s": pa.string(),
    "ok": pa.bool_(),
    "d": pa.date32(),
    "t_utc": pa.timestamp("us", tz="UTC"),
    "t_paris": pa.timestamp("ns", tz="Europe/Paris"),
    "t_naive": pa.timestamp("ms"),
    "b": pa.binary(),
    "dec": pa.decimal128(12, 4),
    "l": pa.list_(pa.float64()),
    "st": pa.struct([("x", pa.int32()), ("y", pa.string())]),
}

_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
_MOMENTS = st.integers(-(2**40), 2**40)  # seconds * 1000: 1935 to 2004 and beyond


def _values(kind: pa.DataType) -> st.SearchStrategy[Any]:
    if kind == pa.int64():
        return st.integers(-(2**63), 2**63 - 1)
    if kind == pa.float64():
        return _FLOATS
    if kind == pa.float32():
        return st.floats(width=32, allow_nan=True, allow_infinity=True)
    if kind == pa.string():
        return st.text(max_size=8)
    if kind == pa.bool_():
        return st.booleans()
    if kind == pa.date32():
        return st.dates()
    if pa.types.is_timestamp(kind):
        return _MOMENTS  # in the type's unit; Arrow reads ints as such
    if kind == pa.binary():
        return st.binary(max_size=8)
    if pa.types.is_decimal(kind):
        return st.decimals(min_value=-(10**7), max_value=10**7, places=4, allow_nan=False)
    if pa.types.is_list(kind):
        return st.lists(st.none() | _FLOATS, max_size=3)
    return st.fixed_dictionaries(
        {"x": st.none() | st.integers(-(2**31), 2**31 - 1), "y": st.none() | st.text(max_size=4)}
    )


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    rows = draw(st.integers(0, 6))
    columns = {
        name: pa.array([draw(st.none() | _values(kind)) for _ in range(rows)], kind)
        for name, kind in TYPES.items()
    }
    return pa.table(columns)


def _float(value: Any) -> float | None:
    # NaN and the infinities are the strings of datacheck._json's float fields
    names = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return None if value is None else names[value] if isinstance(value, str) else float(value)


def _decode(value: Any, kind: pa.DataType) -> Any:
    """A JSON value of a column of type ``kind``, as Arrow's ``to_pylist`` gives it."""
    if value is None:
        return None
    if pa.types.is_floating(kind):
        return _float(value)
    if pa.types.is_decimal(kind):
        return value  # parsed as Decimal: every digit kept
    if pa.types.is_integer(kind):
        return int(value)
    if kind == pa.date32():
        return datetime.date.fromisoformat(value)
    if pa.types.is_timestamp(kind):
        return pd.Timestamp(value)
    if kind == pa.binary():
        return base64.b64decode(value, validate=True)
    if pa.types.is_list(kind):
        return [_decode(v, kind.value_type) for v in value]
    if pa.types.is_struct(kind):
        return {f.name: _decode(value[f.name], f.type) for f in kind}
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN; timestamps as instants; decimals digit for digit."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, Decimal):
        return isinstance(b, Decimal) and str(a) == str(b)
    if isinstance(a, datetime.datetime):
        return pd.Timestamp(a) == b and (a.tzinfo is None) == (b.tzinfo is None)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines()]


@given(tables())
def test_reading_the_jsonl_back_gives_the_original_values(table: pa.Table) -> None:
    path = Path(tempfile.mkdtemp()) / "rows.jsonl"  # (tmp_path is per test, not per example)
    with QuarantineWriter(path) as out:
        for batch in table.to_batches(max_chunksize=4):
            out.write(batch)
    rows = _lines(path)
    assert len(rows) == table.num_rows == out.rows
    for original, line in zip(table.to_pylist(), rows, strict=True):
        assert list(line) == list(TYPES)  # every column, in order
        for name, kind in TYPES.items():
            assert _same(original[name], _decode(line[name], kind)), (name, line[name])


def test_finite_floats_are_json_numbers_and_nan_keeps_the_float_field_rule(
    tmp_path: Path,
) -> None:
    batch = pa.record_batch(
        {
            "weight": [0.23, 1.0, math.nan, -math.inf, None],
            "half": pa.array([0.5, 2.0, None, None, math.inf], pa.float16()),
        }
    )
    path = tmp_path / "q.jsonl"
    with ValidWriter(path) as out:
        out.write(batch)
    assert path.read_text(encoding="utf-8").splitlines() == [
        '{"weight":0.23,"half":0.5}',
        '{"weight":1.0,"half":2.0}',
        '{"weight":"NaN","half":null}',
        '{"weight":"-Infinity","half":null}',
        '{"weight":null,"half":"Infinity"}',
    ]


def test_times_bytes_and_decimals_are_written_as_documented(tmp_path: Path) -> None:
    moment = datetime.datetime(2024, 5, 1, 10, 30, 0, 250000, tzinfo=datetime.UTC)
    batch = pa.record_batch(
        {
            "day": pa.array([datetime.date(2024, 5, 1)], pa.date32()),
            "at": pa.array([moment], pa.timestamp("us", tz="Europe/Paris")),
            "ns": pa.array([1_000_000_000_123_456_789], pa.timestamp("ns")),
            "raw": pa.array([b"\x00\xff"], pa.binary()),
            "price": pa.array([Decimal("12.50")], pa.decimal128(6, 2)),
            "wait": pa.array([datetime.timedelta(seconds=90, microseconds=500000)]),
        }
    )
    path = tmp_path / "q.jsonl"
    with QuarantineWriter(path) as out:
        out.write(batch)
    assert path.read_text(encoding="utf-8") == (
        '{"day":"2024-05-01","at":"2024-05-01T12:30:00.250000+02:00",'
        '"ns":"2001-09-09T01:46:40.123456789","raw":"AP8=","price":12.50,"wait":"PT90.5S"}\n'
    )


def test_csv_cells_hold_nested_values_as_json_and_bytes_as_base64(tmp_path: Path) -> None:
    batch = pa.record_batch(
        {"l": pa.array([[1.5, None]]), "raw": pa.array([b"\x00\xff"]), "n": pa.array([3])}
    )
    path = tmp_path / "rows.csv"
    with ValidWriter(path) as out:
        out.write(batch)
    assert pcsv.read_csv(path).to_pylist() == [{"l": "[1.5,null]", "raw": "AP8=", "n": 3}]


def test_a_csv_file_needs_a_batch_for_its_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no batch was written"), ValidWriter(tmp_path / "r.csv"):
        pass
    assert list(tmp_path.iterdir()) == []
