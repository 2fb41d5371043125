"""The report view: anomalies and distances gathered per feature, drift ranked."""

from __future__ import annotations

import pytest

from datacheck.report._view import build_view
from datacheck.validate import (
    Anomaly,
    AnomalyCode,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    Severity,
    ValidationReport,
)


def _m(
    path: str | None, distance: float, threshold: float | None, enforced: bool
) -> DriftMeasurement:
    return DriftMeasurement(
        path=path,
        kind=MeasurementKind.DRIFT,
        method="psi",
        distance=distance,
        threshold=threshold,
        exceeded=threshold is not None and distance > threshold,
        enforced=enforced,
    )


def _report(
    *measurements: DriftMeasurement, anomalies: tuple[Anomaly, ...] = ()
) -> ValidationReport:
    return ValidationReport(
        anomalies=anomalies, measurements=measurements, summary=ReportSummary(row_count=10)
    )


def test_drift_score_is_the_largest_enforced_distance_over_its_threshold():
    raised = Anomaly(
        code=AnomalyCode.COMPARATOR_PSI_HIGH, severity=Severity.WARNING, path="a", message="psi"
    )
    measured = (_m("a", 0.3, 0.1, True), _m("a", 9.0, 1.0, False))
    view = build_view(None, validation=_report(*measured, anomalies=(raised,)))
    (feature,) = view.features
    assert feature.drift_score == pytest.approx(3.0)
    assert feature.worst == measured[0]
    # Drifted: the comparator's distance raised its anomaly (a warning here).
    assert feature.drifted
    # Over its threshold with no anomaly raised for it (one for presence said it): not drifted.
    assert not build_view(None, validation=_report(*measured)).features[0].drifted


def test_without_enforced_thresholds_the_score_is_the_largest_distance():
    view = build_view(None, validation=_report(_m("a", 0.3, None, False)))
    assert view.features[0].drift_score == 0.3
    assert not view.features[0].drifted


def test_dataset_level_items_stay_out_of_the_features():
    anomaly = Anomaly(
        code=AnomalyCode.DATASET_LOW_NUM_EXAMPLES,
        severity=Severity.ERROR,
        path=None,
        message="too few rows",
    )
    view = build_view(None, validation=_report(_m(None, 0.5, None, False), anomalies=(anomaly,)))
    assert view.features == ()
    assert view.dataset_anomalies == (anomaly,)
    assert len(view.dataset_measurements) == 1


def test_errors_and_warnings_are_counted_per_feature():
    anomalies = tuple(
        Anomaly(code=AnomalyCode.FEATURE_TYPE_HIGH_UNIQUE, severity=s, path="a", message="m")
        for s in (Severity.ERROR, Severity.WARNING, Severity.WARNING)
    )
    (feature,) = build_view(None, validation=_report(anomalies=anomalies)).features
    assert (feature.errors, feature.warnings) == (1, 2)
