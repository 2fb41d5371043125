"""Hypothesis strategies for Arrow data, shared by datacheck's own tests.

- :func:`arrow_tables`: small tables mixing every feature kind datacheck profiles (ints, floats
  with NaN and infinities, strings and dictionary strings, booleans, binary, dates, timestamps
  naive and zoned, durations, lists with nulls, structs, maps), each column with nulls;
- :func:`batch_splits`: a table cut into record batches at arbitrary row positions;
- :func:`assert_profiles_equivalent` (from :mod:`datacheck.testing`): two profiles agree.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from datacheck.testing import assert_profiles_equivalent

__all__ = [
    "arrow_tables",
    "assert_profiles_equivalent",
    "batch_splits",
    "float_values",
]

#: Floats including the values datacheck must count, not average: NaN, +inf, -inf and zero.
float_values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0]),
)
_words = st.sampled_from(["", "a", "bb", "ccc", "déjà", "x y", "zz"])


def _column(kind: str, n: int) -> st.SearchStrategy[pa.Array]:
    def nullable(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
        return st.lists(st.one_of(st.none(), values), min_size=n, max_size=n)

    if kind == "int":
        return nullable(st.integers(-1000, 1000)).map(lambda v: pa.array(v, pa.int64()))
    if kind == "float":
        return nullable(float_values).map(lambda v: pa.array(v, pa.float64()))
    if kind == "string":
        return nullable(_words).map(lambda v: pa.array(v, pa.string()))
    if kind == "dict":
        return nullable(_words).map(lambda v: pa.array(v, pa.string()).dictionary_encode())
    if kind == "bool":
        return nullable(st.booleans()).map(lambda v: pa.array(v, pa.bool_()))
    if kind == "bytes":
        return nullable(st.sampled_from([b"", b"ok", b"\xff\xfe", b"abc"])).map(
            lambda v: pa.array(v, pa.binary())
        )
    if kind == "date":
        return nullable(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1))).map(
            lambda v: pa.array(v, pa.date32())
        )
    if kind == "timestamp":
        return nullable(st.integers(0, 2_000_000_000_000)).map(
            lambda v: pa.array(v, pa.int64()).cast(pa.timestamp("ms"))
        )
    if kind == "timestamp_tz":
        return nullable(st.integers(0, 2_000_000_000)).map(
            lambda v: pa.array(v, pa.int64()).cast(pa.timestamp("s", tz="Europe/Paris"))
        )
    if kind == "duration":
        return nullable(st.integers(-(10**9), 10**9)).map(
            lambda v: pa.array(v, pa.int64()).cast(pa.duration("us"))
        )
    if kind == "map":
        entries = st.lists(
            st.tuples(st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.integers(-5, 5))),
            max_size=3,
            unique_by=lambda kv: kv[0],
        )
        return nullable(entries).map(lambda v: pa.array(v, pa.map_(pa.string(), pa.int64())))
    if kind == "list":
        return nullable(st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=4)).map(
            lambda v: pa.array(v, pa.list_(pa.int64()))
        )
    # A struct with its own nulls, so that its fields are missing where it is.
    fields = st.fixed_dictionaries(
        {"x": st.one_of(st.none(), st.integers(0, 9)), "y": st.one_of(st.none(), _words)}
    )
    return nullable(fields).map(
        lambda v: pa.array(v, pa.struct([("x", pa.int64()), ("y", pa.string())]))
    )


_KINDS = (
    "int",
    "float",
    "string",
    "dict",
    "bool",
    "bytes",
    "date",
    "timestamp",
    "timestamp_tz",
    "duration",
    "list",
    "struct",
    "map",
)


@st.composite
def arrow_tables(
    draw: st.DrawFn, *, min_rows: int = 1, max_rows: int = 40, kinds: tuple[str, ...] = _KINDS
) -> pa.Table:
    """A table with one column per kind in ``kinds`` (all by default), every one nullable."""
    n = draw(st.integers(min_rows, max_rows))
    return pa.table({kind: draw(_column(kind, n)) for kind in kinds})


@st.composite
def batch_splits(draw: st.DrawFn, table: pa.Table) -> list[pa.RecordBatch]:
    """``table`` cut into record batches at sorted random row positions (empty batches too)."""
    cuts = sorted(draw(st.lists(st.integers(0, table.num_rows), max_size=5)))
    bounds = [0, *cuts, table.num_rows]
    return [
        batch
        for start, stop in itertools.pairwise(bounds)
        for batch in table.slice(start, stop - start).combine_chunks().to_batches()
        or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    ]
