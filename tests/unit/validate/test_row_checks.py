"""Row checks at validation: expressions over several columns, custom checks from the registry
and from entry points, the quarantine reasons, and the dataset-level share."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from datacheck.errors import RowCheckError
from datacheck.schema import Feature, FeatureType, RowCheck, Schema
from datacheck.validate import (
    CHECKS_ENTRY_POINT_GROUP,
    REASONS_COLUMN,
    AnomalyCode,
    Severity,
    check_dataset,
    register_check,
    registered_checks,
    unregister_check,
    validate_batches,
)

T = FeatureType
FEATURES = (
    Feature(name="start", type=T.INT),
    Feature(name="end", type=T.INT),
    Feature(name="a", type=T.FLOAT),
    Feature(name="b", type=T.FLOAT),
    Feature(name="total", type=T.FLOAT),
    Feature(name="city", type=T.STRING),
    Feature(name="ship date", type=T.INT),
)


def _failing(columns: dict[str, list[Any]], *checks: RowCheck) -> list[int]:
    schema = Schema(features=FEATURES, row_checks=checks)
    batch = pa.record_batch(columns)
    (checked,) = validate_batches([batch], schema)
    return [int(i) for i in checked.quarantined_rows]


def _check(expression: str, **options: Any) -> RowCheck:
    return RowCheck(name="c", expression=expression, **options)


def test_a_cross_column_comparison_quarantines_the_rows_that_break_it() -> None:
    schema = Schema(features=FEATURES, row_checks=(_check("end >= start"),))
    batch = pa.record_batch({"start": [1, 5, 3], "end": [2, 4, 3]})
    (checked,) = validate_batches([batch], schema)
    assert checked.quarantined_rows.tolist() == [1]
    assert checked.quarantined.column(REASONS_COLUMN).to_pylist() == [
        [{"code": "ROW_CHECK_FAILED", "feature": "c"}]
    ]
    assert checked.valid.num_rows == 2


def test_a_comparison_with_a_null_passes_unless_the_check_says_fail() -> None:
    columns = {"start": [1, None, 3], "end": [2, 4, None]}
    assert _failing(columns, _check("end >= start")) == []
    assert _failing(columns, _check("end >= start", on_null="fail")) == [1, 2]


def test_or_and_and_are_kleene() -> None:
    columns = {"a": [None, None, 1.0, -1.0], "b": [-1.0, 1.0, -1.0, None]}
    # null or false is null (passes), null or true is true; false and null is false
    assert _failing(columns, _check("a is null or b > 0")) == [2]
    assert _failing(columns, _check("a > 0 and b > 0", on_null="fail")) == [0, 1, 2, 3]
    assert _failing(columns, _check("a > 0 and b > 0")) == [0, 2, 3]


def test_equality_within_a_tolerance() -> None:
    columns = {"total": [3.0, 3.005, 3.2], "a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]}
    assert _failing(columns, _check("total == a + b")) == [1, 2]
    assert _failing(columns, _check("total == a + b", tolerance=0.01)) == [2]
    assert _failing(columns, _check("total != a + b", tolerance=0.01)) == [0, 1]
    assert _failing(columns, _check("abs(total - sum(a, b)) <= 0.01")) == [2]


def test_arithmetic_is_in_float64() -> None:
    columns = {"start": [7, 1, 0], "end": [2, 0, 0]}
    # 7 / 2 is 3.5 (not 3); 1 / 0 is infinity; 0 / 0 is NaN, which no comparison holds
    assert _failing(columns, _check("start / end > 3.25")) == [2]
    assert _failing(columns, _check("start / end == start / end")) == [2]


def test_strings_and_quoted_names() -> None:
    columns: dict[str, list[Any]] = {"city": ["Paris", "Oslo", None], "ship date": [1, 2, 3]}
    assert _failing(columns, _check("city != 'Oslo' and `ship date` < 3")) == [1, 2]


def test_values_are_read_as_their_features_types() -> None:
    # A CSV column with one bad cell arrives as text: the readable cells are numbers, the
    # unreadable one is null for the expression (and a type failure for the feature).
    columns = {"start": ["1", "x", "5"], "end": [2, 2, 2]}
    schema = Schema(features=FEATURES, row_checks=(_check("end >= start"),))
    (checked,) = validate_batches([pa.record_batch(columns)], schema)
    reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
    assert checked.quarantined_rows.tolist() == [1, 2]
    assert reasons == [
        [{"code": "UNEXPECTED_DATA_TYPE", "feature": "start"}],
        [{"code": "ROW_CHECK_FAILED", "feature": "c"}],
    ]


def test_dictionary_encoded_strings_are_compared_by_value() -> None:
    city = pa.array(["Paris", "Oslo", "Paris"]).dictionary_encode()
    schema = Schema(features=FEATURES, row_checks=(_check("city == 'Paris'"),))
    batch = pa.record_batch([city], names=["city"])
    (checked,) = validate_batches([batch], schema)
    assert checked.quarantined_rows.tolist() == [1]


def test_a_missing_column_reads_as_nulls() -> None:
    assert _failing({"start": [1, 2]}, _check("end >= start")) == []
    assert _failing({"start": [1, 2]}, _check("end >= start", on_null="fail")) == [0, 1]


def test_a_check_on_a_feature_not_expected_in_the_environment_is_skipped() -> None:
    features = (
        Feature(name="x", type=T.INT),
        Feature(name="label", type=T.INT, not_in_environments=("SERVING",)),
    )
    schema = Schema(
        features=features,
        default_environments=("TRAINING", "SERVING"),
        row_checks=(RowCheck(name="c", expression="label >= x", on_null="fail"),),
    )
    batch = pa.record_batch({"x": [1, 2]})
    (serving,) = validate_batches([batch], schema, environment="SERVING")
    (training,) = validate_batches([batch], schema, environment="TRAINING")
    assert serving.quarantined_rows.tolist() == []
    assert training.quarantined_rows.tolist() == [0, 1]


def test_a_type_the_expression_cannot_take_is_an_error_naming_the_check() -> None:
    # The schema says int, the data holds timestamps: no coercion makes them numbers.
    schema = Schema(features=FEATURES, row_checks=(_check("end - start >= 0"),))
    stamps = pa.array([1, 2], pa.timestamp("s"))
    batch = pa.record_batch([stamps, stamps], names=["start", "end"])
    checked = list(validate_batches([batch], schema))
    # A type change is the feature checks' business: the expression sees nulls.
    assert [c.quarantined_rows.tolist() for c in checked] == [[0, 1]]
    reasons = checked[0].quarantined.column(REASONS_COLUMN).to_pylist()[0]
    assert {r["code"] for r in reasons} == {"UNEXPECTED_DATA_TYPE"}


# --- the dataset-level anomaly ------------------------------------------------------------------


def _table() -> pa.Table:
    return pa.table({"start": [1, 5, 3, 9], "end": [2, 4, 3, 1]})


@pytest.mark.parametrize("rows_wanted", [False, True])
def test_check_dataset_reports_the_failing_share(rows_wanted: bool) -> None:
    schema = Schema(features=FEATURES[:2], row_checks=(_check("end >= start"),))
    seen: list[int] = []
    result = check_dataset(
        _table(),
        schema,
        on_quarantine=(lambda c: seen.append(c.quarantined.num_rows)) if rows_wanted else None,
    )
    (anomaly,) = [a for a in result.report.anomalies if a.code is AnomalyCode.ROW_CHECK_FAILED]
    assert anomaly.severity is Severity.ERROR
    assert anomaly.path is None
    assert anomaly.measured == {"check": "c", "failed_rows": 2, "share": 0.5}
    assert "row check 'c' (expression 'end >= start') fails on 2 of 4 rows (50.00%)" in (
        anomaly.message
    )
    assert result.report.verdict == "fail"
    assert seen == ([2] if rows_wanted else [])


def test_a_passing_row_check_gives_no_anomaly_and_its_severity_can_be_lowered() -> None:
    passing = Schema(features=FEATURES[:2], row_checks=(_check("end >= 0"),))
    assert check_dataset(_table(), passing).report.verdict == "pass"
    lowered = Schema(
        features=FEATURES[:2],
        row_checks=(_check("end >= start"),),
        severity_overrides={"ROW_CHECK_FAILED": "warning"},
    )
    report = check_dataset(_table(), lowered).report
    assert [a.severity for a in report.anomalies] == [Severity.WARNING]


def test_the_report_document_with_a_row_check_anomaly_is_valid() -> None:
    from datacheck.validate import ValidationReport

    schema = Schema(features=FEATURES[:2], row_checks=(_check("end >= start"),))
    report = check_dataset(_table(), schema).report
    assert ValidationReport.from_dict(report.to_dict()) == report


# --- custom checks -------------------------------------------------------------------------


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Names registered by the test, forgotten after it."""
    names: list[str] = []
    yield names
    for name in names:
        unregister_check(name)


def _custom(name: str, **options: Any) -> Schema:
    return Schema(features=FEATURES[:2], row_checks=(RowCheck(name="k", check=name, **options),))


def test_a_registered_check_quarantines_where_its_mask_is_false(registered: list[str]) -> None:
    @register_check("test.end_after_start")
    def end_after_start(batch: pa.RecordBatch) -> pa.Array:
        return pc.greater_equal(batch.column("end"), batch.column("start"))

    registered.append("test.end_after_start")
    assert "test.end_after_start" in registered_checks()
    (checked,) = validate_batches([_table().to_batches()[0]], _custom("test.end_after_start"))
    assert checked.quarantined_rows.tolist() == [1, 3]
    assert checked.quarantined.column(REASONS_COLUMN).to_pylist()[0] == [
        {"code": "CUSTOM_CHECK_FAILED", "feature": "k"}
    ]
    report = check_dataset(_table(), _custom("test.end_after_start")).report
    assert [a.code for a in report.anomalies] == [AnomalyCode.CUSTOM_CHECK_FAILED]


def test_a_numpy_mask_and_a_null_in_a_mask(registered: list[str]) -> None:
    register_check("test.numpy", lambda b: np.arange(b.num_rows) % 2 == 0)
    register_check("test.nulls", lambda b: pa.array([True, None, False, None]))
    registered += ["test.numpy", "test.nulls"]
    batch = _table().to_batches()[0]
    (a,) = validate_batches([batch], _custom("test.numpy"))
    (b,) = validate_batches([batch], _custom("test.nulls"))
    (c,) = validate_batches([batch], _custom("test.nulls", on_null="fail"))
    assert a.quarantined_rows.tolist() == [1, 3]
    assert b.quarantined_rows.tolist() == [2]
    assert c.quarantined_rows.tolist() == [1, 2, 3]


def test_an_unregistered_check_fails_at_the_call_naming_it() -> None:
    with pytest.raises(RowCheckError, match="row check 'k': custom check 'nowhere' is not "):
        validate_batches([], _custom("nowhere"))
    with pytest.raises(RowCheckError, match="register_check\\('nowhere'\\)"):
        check_dataset(_table(), _custom("nowhere"))


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (pa.array([True]), "returned 1 values for a batch of 4 rows"),
        (pa.array([1, 0, 1, 0]), "returned an Arrow int64 array"),
        (np.zeros(4), "numpy array of float64"),
        ([True] * 4, "returned list"),
    ],
)
def test_a_bad_mask_is_an_error_naming_the_check(
    registered: list[str], result: Any, words: str
) -> None:
    register_check("test.bad", lambda batch: result)
    registered.append("test.bad")
    with pytest.raises(RowCheckError, match=r"row check 'k': custom check 'test\.bad'") as caught:
        list(validate_batches([_table().to_batches()[0]], _custom("test.bad")))
    assert words in str(caught.value)


def test_a_check_that_raises_is_an_error_naming_the_check(registered: list[str]) -> None:
    def broken(batch: pa.RecordBatch) -> pa.Array:
        raise KeyError("fare")

    register_check("test.raises", broken)
    registered.append("test.raises")
    with pytest.raises(RowCheckError, match=r"custom check 'test\.raises' raised KeyError: 'fare'"):
        list(validate_batches([_table().to_batches()[0]], _custom("test.raises")))


def test_a_custom_check_sees_every_row_once_whatever_the_batches(registered: list[str]) -> None:
    seen: list[int] = []

    def count(batch: pa.RecordBatch) -> pa.Array:
        seen.append(batch.num_rows)
        return pc.greater_equal(batch.column("end"), batch.column("start"))

    register_check("test.count", count)
    registered.append("test.count")
    batch = _table().to_batches()[0]
    pieces = [batch.slice(0, 1), batch.slice(1, 0), batch.slice(1, 3)]
    rows = [c.quarantined_rows.tolist() for c in validate_batches(pieces, _custom("test.count"))]
    assert rows == [[], [], [0, 2]]
    assert sum(seen) == 4


def test_checks_are_found_through_their_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed package declaring a check: a module and its dist-info on sys.path.
    (tmp_path / "shop_checks.py").write_text(
        "import pyarrow.compute as pc\n"
        "def positive_end(batch):\n"
        "    return pc.greater(batch.column('end'), 0)\n"
        "broken = 1\n",
        encoding="utf-8",
    )
    info = tmp_path / "shop_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shop-checks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{CHECKS_ENTRY_POINT_GROUP}]\n"
        "shop.positive_end = shop_checks:positive_end\n"
        "shop.missing = shop_checks:nowhere\n"
        "shop.number = shop_checks:broken\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert "shop.positive_end" in registered_checks()
        table = pa.table({"start": [0, 0], "end": [1, -1]})
        (checked,) = validate_batches(table.to_batches(), _custom("shop.positive_end"))
        assert checked.quarantined_rows.tolist() == [1]
        with pytest.raises(RowCheckError, match=r"'shop\.missing' does not load from its entry"):
            validate_batches([], _custom("shop.missing"))
        with pytest.raises(RowCheckError, match="entry point 'shop_checks:broken' is a int"):
            validate_batches([], _custom("shop.number"))
    finally:
        unregister_check("shop.positive_end")
        sys.modules.pop("shop_checks", None)


def test_a_schema_built_in_code_with_an_unknown_column_fails_at_the_call() -> None:
    schema = Schema(features=FEATURES, row_checks=(_check("end >= strat"),))
    with pytest.raises(RowCheckError, match="column 'strat' in 'end >= strat' is not a feature"):
        validate_batches([], schema)
