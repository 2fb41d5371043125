"""A distance is OVER only when it counts towards the verdict; the others say why not."""

from __future__ import annotations

import pytest

from datacheck.report import MeasurementStatus, measurement_status, status_counts
from datacheck.validate import (
    Anomaly,
    AnomalyCode,
    DriftMeasurement,
    MeasurementKind,
    Severity,
)


def _m(*, distance: float = 0.3, threshold: float | None = 0.1, enforced: bool = True, **kw):
    return DriftMeasurement(
        path=kw.get("path", "x"),
        kind=MeasurementKind.DRIFT,
        method=kw.get("method", "jensen_shannon"),
        distance=distance,
        threshold=threshold,
        exceeded=threshold is not None and distance > threshold,
        enforced=enforced,
    )


def _raised(
    severity: Severity, path: str = "x", code=AnomalyCode.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH
):
    return Anomaly(code=code, severity=severity, path=path, message="drifts")


def test_an_error_level_comparator_over_its_threshold_is_OVER() -> None:
    status = measurement_status(_m(), [_raised(Severity.ERROR)])
    assert status is MeasurementStatus.OVER and status.counts


def test_a_warning_level_comparator_over_its_threshold_is_a_warning() -> None:
    status = measurement_status(_m(), [_raised(Severity.WARNING)])
    assert status is MeasurementStatus.WARNING
    assert status.flagged and not status.counts


def test_another_method_over_its_threshold_is_for_information() -> None:
    assert measurement_status(_m(enforced=False), [_raised(Severity.ERROR)]) is (
        MeasurementStatus.INFO
    )


def test_the_anomaly_must_be_of_the_same_feature_and_method() -> None:
    elsewhere = [
        _raised(Severity.ERROR, path="y"),
        _raised(Severity.ERROR, code=AnomalyCode.COMPARATOR_PSI_HIGH),
    ]
    assert measurement_status(_m(), elsewhere) is MeasurementStatus.INFO


@pytest.mark.parametrize(
    ("distance", "threshold", "expected"),
    [(0.05, 0.1, MeasurementStatus.OK), (0.1, 0.1, MeasurementStatus.OK), (3.0, None, "-")],
)
def test_under_the_threshold_or_without_one(distance, threshold, expected) -> None:
    assert measurement_status(_m(distance=distance, threshold=threshold), []) == expected


def test_a_row_count_ratio_counts_by_its_own_codes() -> None:
    m = _m(path=None, method="row_count_ratio", distance=3.0, threshold=2.0)
    raised = Anomaly(
        code=AnomalyCode.COMPARATOR_HIGH_NUM_EXAMPLES,
        severity=Severity.ERROR,
        path=None,
        message="more rows",
    )
    assert measurement_status(m, [raised]) is MeasurementStatus.OVER


def test_counts_per_status() -> None:
    ms = [_m(), _m(enforced=False), _m(distance=0.0)]
    assert status_counts(ms, [_raised(Severity.ERROR)]) == {
        MeasurementStatus.OVER: 1,
        MeasurementStatus.INFO: 1,
        MeasurementStatus.OK: 1,
    }
