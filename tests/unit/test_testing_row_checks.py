"""violating() and row checks: a comparison is broken in one row; other row checks are not
generated."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings

from datacheck.schema import Feature, FeatureType, FloatDomain, IntDomain, RowCheck, Schema
from datacheck.testing import Violation, violating
from datacheck.validate import REASONS_COLUMN, AnomalyCode, check_dataset, validate_batches

T = FeatureType
_QUIET = settings(max_examples=200, database=None)


def _schema(expression: str, **options: object) -> Schema:
    return Schema(
        features=(
            Feature(name="start", type=T.INT, domain=IntDomain(min=0, max=100)),
            Feature(name="end", type=T.INT),
            Feature(name="total", type=T.FLOAT, domain=FloatDomain(min=-5.0, max=5.0)),
        ),
        row_checks=(RowCheck(name="rule", expression=expression, **options),),  # type: ignore[arg-type]
    )


def _breaks_the_row_check(schema: Schema, violation: Violation) -> None:
    assert violation.code is AnomalyCode.ROW_CHECK_FAILED
    assert violation.row_code is AnomalyCode.ROW_CHECK_FAILED
    assert violation.rows == (0,)
    batches = violation.table.to_batches()
    rows = [int(i) for c in validate_batches(batches, schema) for i in c.quarantined_rows]
    assert rows == [0]
    (checked,) = [c for c in validate_batches(batches, schema) if c.quarantined.num_rows]
    assert checked.quarantined.column(REASONS_COLUMN).to_pylist() == [
        [{"code": "ROW_CHECK_FAILED", "feature": "rule"}]
    ]
    report = check_dataset(violation.table, schema).report
    assert [(a.code, a.path) for a in report.anomalies] == [(violation.code, violation.path)]


@pytest.mark.parametrize(
    "expression", ["end >= start", "start < end", "total == start", "end != total", "end > 3"]
)
def test_a_comparison_is_broken_in_one_row(expression: str) -> None:
    schema = _schema(expression)
    violation = find(
        violating(schema), lambda v: v.code is AnomalyCode.ROW_CHECK_FAILED, settings=_QUIET
    )
    _breaks_the_row_check(schema, violation)


def test_a_comparison_with_a_number_and_a_tolerance() -> None:
    schema = _schema("total == 2", tolerance=0.5)
    violation = find(
        violating(schema), lambda v: v.code is AnomalyCode.ROW_CHECK_FAILED, settings=_QUIET
    )
    _breaks_the_row_check(schema, violation)
    assert abs(violation.table.column("total")[0].as_py() - 2) > 0.5


@pytest.mark.parametrize(
    "check",
    [RowCheck(name="rule", expression="end + start >= 0"), RowCheck(name="rule", check="x.y")],
)
def test_other_row_checks_are_not_generated(check: RowCheck) -> None:
    schema = Schema(features=_schema("end > 0").features, row_checks=(check,))
    codes: set[AnomalyCode] = set()

    @settings(max_examples=60, database=None)
    @given(violating(schema))
    def collect(v: Violation) -> None:
        codes.add(v.code)

    collect()
    assert AnomalyCode.ROW_CHECK_FAILED not in codes
    assert codes  # the features' own constraints are still broken
