"""Row-level checks: each failing row is quarantined with its reasons, the others pass."""

from __future__ import annotations

import io
import json
import pickle
import threading

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from datacheck._threads import THREAD_NAME_PREFIX
from datacheck.errors import OptionError
from datacheck.schema import (
    Feature,
    FloatDomain,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    ValueCount,
)
from datacheck.schema import FeatureType as T
from datacheck.validate import REASONS_COLUMN, validate_batches

REQUIRED = Presence(min_fraction=1.0)


def _run(schema: Schema, **columns: object) -> tuple[pa.Table, pa.Table]:
    batch = pa.record_batch(columns)  # type: ignore[arg-type]  # pyarrow accepts a dict of lists
    results = list(validate_batches([batch], schema))
    valid = pa.Table.from_batches([r.valid for r in results])
    bad = pa.Table.from_batches([r.quarantined for r in results])
    return valid, bad


def _reasons(bad: pa.Table) -> list[list[tuple[str, str]]]:
    return [
        [(r["code"], r["feature"]) for r in row] for row in bad.column(REASONS_COLUMN).to_pylist()
    ]


def _schema(*features: Feature) -> Schema:
    return Schema(features=features)


def test_valid_rows_pass_untouched() -> None:
    valid, bad = _run(_schema(Feature(name="a", type=T.INT, domain=IntDomain(max=5))), a=[1, 2])
    assert valid.column("a").to_pylist() == [1, 2]
    assert bad.num_rows == 0


def test_int_range_codes() -> None:
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(min=0, max=5)))
    _, bad = _run(schema, a=[-1, 3, 9])
    assert _reasons(bad) == [[("INT_TYPE_SMALL_INT", "a")], [("INT_TYPE_BIG_INT", "a")]]


def test_int_bounds_beyond_int64() -> None:
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(min=-(2**70), max=2**70)))
    valid, _ = _run(schema, a=[1, 2])
    assert valid.num_rows == 2


def test_quarantined_rows_keep_their_values() -> None:
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(max=5)))
    _, bad = _run(schema, a=[9, 1], b=["x", "y"])
    assert bad.select(["a", "b"]).to_pylist() == [{"a": 9, "b": "x"}]


def test_missing_required_value() -> None:
    schema = _schema(Feature(name="a", type=T.STRING, presence=REQUIRED))
    _, bad = _run(schema, a=["x", None])
    assert _reasons(bad) == [[("FEATURE_TYPE_NOT_PRESENT", "a")]]


def test_missing_optional_value_passes() -> None:
    schema = _schema(Feature(name="a", type=T.STRING, domain=StringDomain(values=("x",))))
    valid, _ = _run(schema, a=["x", None])
    assert valid.num_rows == 2


def test_unexpected_string() -> None:
    schema = _schema(Feature(name="c", type=T.STRING, domain=StringDomain(values=("x", "y"))))
    _, bad = _run(schema, c=["x", "q"])
    assert _reasons(bad) == [[("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "c")]]


def test_text_in_a_numeric_column_fails_only_the_unreadable_cells() -> None:
    schema = _schema(Feature(name="n", type=T.FLOAT, domain=FloatDomain(max=10.0)))
    _, bad = _run(schema, n=["1.5", "oops", "20", " 3e0 "])
    assert bad.column("n").to_pylist() == ["oops", "20"]
    assert _reasons(bad) == [[("UNEXPECTED_DATA_TYPE", "n")], [("FLOAT_TYPE_BIG_FLOAT", "n")]]


def test_empty_text_cell_in_a_numeric_column_is_missing_not_wrong() -> None:
    valid, _ = _run(_schema(Feature(name="n", type=T.INT)), n=["1", "", "  ", "x"])
    assert valid.column("n").to_pylist() == ["1", "", "  "]


def test_fractional_float_in_an_int_column() -> None:
    _, bad = _run(_schema(Feature(name="i", type=T.INT)), i=[1.0, 2.5])
    assert _reasons(bad) == [[("UNEXPECTED_DATA_TYPE", "i")]]


def test_nan_and_inf_when_disallowed() -> None:
    domain = FloatDomain(disallow_nan=True, disallow_inf=True)
    _, bad = _run(
        _schema(Feature(name="f", type=T.FLOAT, domain=domain)), f=[float("nan"), float("inf"), 1.0]
    )
    assert _reasons(bad) == [[("FLOAT_TYPE_HAS_NAN", "f")], [("FLOAT_TYPE_HAS_INF", "f")]]


def test_list_lengths_and_values_fold_onto_rows() -> None:
    schema = _schema(
        Feature(name="l", type=T.INT, value_count=ValueCount(min=1, max=2), domain=IntDomain(max=5))
    )
    _, bad = _run(schema, l=[[1], [], [1, 2, 3], [1, 9]])
    assert _reasons(bad) == [
        [("FEATURE_TYPE_LOW_NUMBER_VALUES", "l")],
        [("FEATURE_TYPE_HIGH_NUMBER_VALUES", "l")],
        [("INT_TYPE_BIG_INT", "l")],
    ]


def test_struct_child_is_checked_by_its_path() -> None:
    schema = _schema(Feature(name="s.t", type=T.INT, domain=IntDomain(max=3)))
    _, bad = _run(schema, s=[{"t": 1}, {"t": 7}])
    assert _reasons(bad) == [[("INT_TYPE_BIG_INT", "s.t")]]


def test_missing_required_column_quarantines_no_row_by_default() -> None:
    schema = _schema(Feature(name="gone", type=T.INT, presence=REQUIRED))
    valid, bad = _run(schema, a=[1, 2])
    assert (valid.num_rows, bad.num_rows) == (2, 0)


def test_missing_required_column_quarantines_every_row_when_strict() -> None:
    schema = _schema(
        Feature(name="gone", type=T.INT, presence=REQUIRED),
        Feature(name="a", type=T.INT, domain=IntDomain(max=1)),
    )
    batch = pa.record_batch({"a": [1, 2]})
    [checked] = validate_batches([batch], schema, strict_columns=True)
    assert checked.valid.num_rows == 0
    assert _reasons(pa.Table.from_batches([checked.quarantined])) == [
        [("SCHEMA_MISSING_COLUMN", "gone")],
        [("INT_TYPE_BIG_INT", "a"), ("SCHEMA_MISSING_COLUMN", "gone")],
    ]


def test_several_reasons_on_one_row() -> None:
    schema = _schema(
        Feature(name="a", type=T.INT, domain=IntDomain(max=0)),
        Feature(name="b", type=T.STRING, presence=REQUIRED),
    )
    _, bad = _run(schema, a=[1], b=pa.array([None], pa.string()))
    assert _reasons(bad) == [[("INT_TYPE_BIG_INT", "a"), ("FEATURE_TYPE_NOT_PRESENT", "b")]]


def test_deprecated_feature_is_not_checked() -> None:
    schema = _schema(
        Feature(name="a", type=T.INT, domain=IntDomain(max=0), lifecycle=Lifecycle.DEPRECATED)
    )
    valid, _ = _run(schema, a=[5])
    assert valid.num_rows == 1


def test_feature_outside_the_environment_is_not_checked() -> None:
    schema = Schema(
        features=(
            Feature(name="label", type=T.INT, presence=REQUIRED, not_in_environments=("SERVING",)),
        ),
        default_environments=("TRAINING", "SERVING"),
    )
    batch = pa.record_batch({"x": [1]})
    (result,) = validate_batches([batch], schema, environment="SERVING")
    assert result.valid.num_rows == 1


def test_unknown_environment_is_a_bad_request() -> None:
    schema = Schema(features=(Feature(name="a", type=T.INT),), default_environments=("TRAINING",))
    with pytest.raises(OptionError, match="SERVNG"):
        list(validate_batches([pa.record_batch({"a": [1]})], schema, environment="SERVNG"))


def test_reasons_round_trip_through_parquet() -> None:
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(max=0)))
    _, bad = _run(schema, a=[4])
    sink = io.BytesIO()
    pq.write_table(bad, sink)
    assert pq.read_table(io.BytesIO(sink.getvalue())).equals(bad)


def test_reasons_round_trip_through_json_lines() -> None:
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(max=0)))
    _, bad = _run(schema, a=[4])
    lines = "\n".join(json.dumps(row) for row in bad.to_pylist()).encode()
    again = pajson.read_json(io.BytesIO(lines))
    assert again.to_pylist() == bad.to_pylist()


def test_a_clean_batch_is_passed_on_without_a_copy() -> None:
    batch = pa.record_batch({"a": [1, 2]})
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(max=5)))
    (result,) = validate_batches([batch], schema)
    assert result.valid is batch
    assert result.quarantined_rows.tolist() == []


def test_quarantined_rows_are_positions_in_the_input() -> None:
    batch = pa.record_batch({"a": [9, 1, 9]})
    schema = _schema(Feature(name="a", type=T.INT, domain=IntDomain(max=5)))
    (result,) = validate_batches([batch], schema)
    assert result.quarantined_rows.tolist() == [0, 2]
    assert result.valid.column("a").to_pylist() == [1]


def test_string_length_counts_characters_not_bytes() -> None:
    schema = _schema(Feature(name="t", type=T.STRING, string_length=StringLength(min=2, max=3)))
    values = ["a", "ab", "abc", "abcd", "éé", "éééé", "😀", "😀😀😀", "", None]
    for column in (
        pa.array(values),
        pa.array(values).dictionary_encode(),
        pa.array(values, pa.large_string()),
    ):
        _, bad = _run(schema, t=column)
        assert bad.column("t").to_pylist() == ["a", "abcd", "éééé", "😀", ""]
        short, long = ("STRING_TYPE_SHORT_STRING", "t"), ("STRING_TYPE_LONG_STRING", "t")
        assert _reasons(bad) == [[short], [long], [long], [short], [short]]


def test_string_length_of_list_values_fails_the_row() -> None:
    schema = _schema(
        Feature(
            name="t", type=T.STRING, value_count=ValueCount(), string_length=StringLength(max=2)
        )
    )
    valid, bad = _run(schema, t=[["ab", "c"], ["abc"], [], None])
    assert bad.column("t").to_pylist() == [["abc"]]
    assert valid.num_rows == 3


def _datacheck_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(THREAD_NAME_PREFIX)}


def test_no_worker_thread_outlives_the_call() -> None:
    before = _datacheck_threads()  # another component's pool (a Beam DoFn's) may be up
    schema = Schema(features=(Feature(name="x", type=T.INT, domain=IntDomain(max=5)),))
    batches = [pa.record_batch({"x": list(range(10))}) for _ in range(8)]
    results = list(validate_batches(batches, schema))
    assert _datacheck_threads() <= before
    # The valid rows can still be copied, on the caller's thread.
    assert sum(r.valid.num_rows for r in results) == 8 * 6


def test_no_worker_thread_outlives_a_call_left_early() -> None:
    before = _datacheck_threads()
    schema = Schema(features=(Feature(name="x", type=T.INT),))
    checked = validate_batches([pa.record_batch({"x": [1, 2]})] * 4, schema)
    next(checked)
    checked.close()
    assert _datacheck_threads() <= before


def test_a_checked_batch_pickles_without_the_calls_pool() -> None:
    schema = Schema(features=(Feature(name="x", type=T.INT, domain=IntDomain(max=1)),))
    for checked in validate_batches([pa.record_batch({"x": [1, 2]})], schema):
        again = pickle.loads(pickle.dumps(checked))
        assert again.valid.to_pylist() == [{"x": 1}]
        assert again.quarantined_rows.tolist() == [1]
