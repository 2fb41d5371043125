"""Hypothesis strategies for Arrow data, shared by datacheck's own tests.

- :func:`arrow_tables`: small tables mixing every feature kind datacheck profiles (ints, floats
  with NaN and infinities, strings and dictionary strings, booleans, binary, dates, timestamps,
  lists with nulls, structs), each column with nulls;
- :func:`batch_splits`: a table cut into record batches at arbitrary row positions;
- :func:`assert_profiles_equivalent`: two profiles agree: exact fields equal, floats within a
  tight relative tolerance, sketch-based fields within the sketches' error bounds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from datacheck.stats import DatasetProfile, FeatureStatistics

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
    "int", "float", "string", "dict", "bool", "bytes", "date", "timestamp", "list", "struct"
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


def _close(a: Any, b: Any, where: str, rel: float = 1e-9) -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{where}: {a!r} != {b!r}"
        if math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), f"{where}: {a!r} != {b!r}"
        else:
            assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-9), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _assert_features(a: FeatureStatistics, b: FeatureStatistics, where: str) -> None:
    for name in ("path", "type", "arrow_type", "num_present", "num_missing", "mixed_types"):
        assert getattr(a, name) == getattr(b, name), f"{where}.{name}"
    _close(a.presence, b.presence, f"{where}.presence")
    _close(a.weighted_num_present, b.weighted_num_present, f"{where}.weighted_num_present")
    if a.value_counts is not None or b.value_counts is not None:
        assert a.value_counts is not None and b.value_counts is not None, where
        for name in ("min", "max", "num_values"):
            assert getattr(a.value_counts, name) == getattr(b.value_counts, name), where
        _close(a.value_counts.mean, b.value_counts.mean, f"{where}.value_counts.mean")
    if a.numeric is not None or b.numeric is not None:
        x, y = a.numeric, b.numeric
        assert x is not None and y is not None, where
        for name in ("num_values", "num_zeros", "num_nan", "num_pos_inf", "num_neg_inf",
                     "distinct", "distinct_lower_bound", "distinct_values"):
            assert getattr(x, name) == getattr(y, name), f"{where}.numeric.{name}"
        for name in ("min", "max"):
            _close(getattr(x, name), getattr(y, name), f"{where}.numeric.{name}")
        for name in ("mean", "std_dev"):
            _close(getattr(x, name), getattr(y, name), f"{where}.numeric.{name}", rel=1e-7)
        # Small inputs keep every value in the KLL sketch, so its quantiles are exact too.
        assert x.quantiles == y.quantiles, f"{where}.numeric.quantiles"
        if x.weighted is not None or y.weighted is not None:
            assert x.weighted is not None and y.weighted is not None, where
            _close(x.weighted.total_weight, y.weighted.total_weight, where, rel=1e-7)
            _close(x.weighted.mean, y.weighted.mean, f"{where}.weighted.mean", rel=1e-7)
    if a.string is not None or b.string is not None:
        s, t = a.string, b.string
        assert s is not None and t is not None, where
        for name in ("num_values", "min_length", "max_length", "distinct_exact",
                     "top_values_exact", "value_counts", "top_values"):
            assert getattr(s, name) == getattr(t, name), f"{where}.string.{name}"
        _close(s.mean_length, t.mean_length, f"{where}.string.mean_length")
        if s.distinct_exact:
            assert s.distinct == t.distinct, f"{where}.string.distinct"
        else:
            assert t.distinct_lower_bound <= s.distinct <= t.distinct_upper_bound, where
    assert a.bytes == b.bytes or _bytes_close(a, b), f"{where}.bytes"
    if a.bool is not None or b.bool is not None:
        assert a.bool is not None and b.bool is not None, f"{where}.bool"
        assert (a.bool.num_true, a.bool.num_false) == (b.bool.num_true, b.bool.num_false), where
        # Weighted counts are float sums: their last digit depends on the order of addition.
        _close(a.bool.weighted_num_true, b.bool.weighted_num_true, f"{where}.bool.weighted")
        _close(a.bool.weighted_num_false, b.bool.weighted_num_false, f"{where}.bool.weighted")


def _bytes_close(a: FeatureStatistics, b: FeatureStatistics) -> bool:
    x, y = a.bytes, b.bytes
    if x is None or y is None:
        return False
    return (
        x.num_values == y.num_values
        and x.num_invalid_utf8 == y.num_invalid_utf8
        and x.min_length == y.min_length
        and x.max_length == y.max_length
        and math.isclose(x.mean_length or 0.0, y.mean_length or 0.0, rel_tol=1e-9)
    )


def assert_profiles_equivalent(a: DatasetProfile, b: DatasetProfile, where: str = "") -> None:
    """Assert that two profiles describe the same data (see the module docstring)."""
    assert a.num_rows == b.num_rows, f"{where}num_rows: {a.num_rows} != {b.num_rows}"
    _close(a.weighted_num_rows, b.weighted_num_rows, f"{where}weighted_num_rows")
    assert list(a.features) == list(b.features), f"{where}feature paths"
    assert a.skipped == b.skipped, f"{where}skipped"
    for path in a.features:
        _assert_features(a.features[path], b.features[path], f"{where}{path}")
    assert list(a.slices) == list(b.slices), f"{where}slice keys"
    for key in a.slices:
        assert_profiles_equivalent(a.slices[key], b.slices[key], f"{where}[{key}].")
