"""JSON round trips of the validation report: any measured and expected values, strings that
spell non-finite floats among them, come back as they were, and the document stays valid."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from datacheck.validate import (
    Anomaly,
    AnomalyCode,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    Severity,
    ValidationReport,
)

REPORT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "report.v1.json").read_text("utf-8")
)

#: strings that an ambiguous encoding would take for floats or for its own markers
_TRICKY = ["inf", "-inf", "nan", "NaN", "Infinity", "-Infinity", "$float", "$", "$$float", ""]
_floats = st.floats() | st.sampled_from([math.nan, -math.nan, math.inf, -math.inf, -0.0])
_strings = st.sampled_from(_TRICKY) | st.text(max_size=8)
_leaves = st.none() | st.booleans() | st.integers() | _floats | _strings
#: JSON-like values as checks build them: lists and string-keyed dicts of leaves
json_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=4),
    max_leaves=12,
)

anomalies = st.builds(
    Anomaly,
    code=st.sampled_from(list(AnomalyCode)),
    severity=st.sampled_from(list(Severity)),
    path=st.none() | _strings,
    message=st.text(min_size=1, max_size=20),
    measured=json_values,
    expected=json_values,
)
measurements = st.builds(
    DriftMeasurement,
    path=st.none() | _strings,
    kind=st.sampled_from(list(MeasurementKind)),
    method=st.sampled_from(["jensen_shannon", "l_infinity", "psi", "ks", "wasserstein"]),
    distance=_floats,
    threshold=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    exceeded=st.booleans(),
    enforced=st.booleans(),
)
reports = st.builds(
    ValidationReport,
    anomalies=st.lists(anomalies, max_size=3).map(tuple),
    measurements=st.lists(measurements, max_size=3).map(tuple),
    summary=st.builds(ReportSummary, row_count=st.integers(0, 10**6)),
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, NaN equal to NaN and 0.0 apart from -0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _same_reports(a: ValidationReport, b: ValidationReport) -> bool:
    return (
        len(a.anomalies) == len(b.anomalies)
        and all(
            (x.code, x.severity, x.path, x.message) == (y.code, y.severity, y.path, y.message)
            and _same(x.measured, y.measured)
            and _same(x.expected, y.expected)
            for x, y in zip(a.anomalies, b.anomalies, strict=True)
        )
        and len(a.measurements) == len(b.measurements)
        and all(
            _same(x.distance, y.distance)
            and (x.path, x.kind, x.method, x.threshold, x.exceeded, x.enforced)
            == (y.path, y.kind, y.method, y.threshold, y.exceeded, y.enforced)
            for x, y in zip(a.measurements, b.measurements, strict=True)
        )
        and a.summary == b.summary
    )


@given(reports)
def test_report_round_trips_through_its_dict(report: ValidationReport) -> None:
    assert _same_reports(ValidationReport.from_dict(report.to_dict()), report)


@given(reports)
def test_report_round_trips_through_json_text(report: ValidationReport) -> None:
    document = json.loads(report.to_json())
    assert _same_reports(ValidationReport.from_dict(document), report)


@given(reports)
def test_report_document_passes_its_json_schema(report: ValidationReport) -> None:
    jsonschema.validate(json.loads(report.to_json()), REPORT_SCHEMA)
