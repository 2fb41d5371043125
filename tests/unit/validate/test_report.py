"""The report model: verdict, JSON document, round trip, and the JSON Schema check."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest

from datacheck.errors import InputError
from datacheck.validate import (
    Anomaly,
    AnomalyCode,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    Severity,
    ValidationReport,
)

REPORT_SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "report.v1.json"


def _report(*severities: Severity) -> ValidationReport:
    return ValidationReport(
        anomalies=tuple(
            Anomaly(
                code=AnomalyCode.INT_TYPE_BIG_INT,
                severity=s,
                path="age",
                message="feature 'age' has values up to 200, above the maximum 120",
                measured={"min": 0, "max": math.inf},
                expected={"min": 0, "max": 120},
            )
            for s in severities
        ),
        measurements=(
            DriftMeasurement(
                path="age",
                kind=MeasurementKind.DRIFT,
                method="jensen_shannon",
                distance=0.01,
                threshold=0.05,
                exceeded=False,
                enforced=True,
            ),
        ),
        summary=ReportSummary(row_count=10, baseline_row_count=12, features_checked=1),
    )


def test_an_error_fails_the_verdict() -> None:
    assert _report(Severity.WARNING, Severity.ERROR).verdict == "fail"


def test_warnings_alone_pass() -> None:
    assert _report(Severity.WARNING).verdict == "pass"


def test_document_passes_the_json_schema() -> None:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(_report(Severity.ERROR).to_dict(), schema)


def test_non_finite_measured_values_travel_as_tagged_objects() -> None:
    text = _report(Severity.ERROR).to_json()
    assert json.loads(text)["anomalies"][0]["measured"]["max"] == {"$float": "Infinity"}


def test_string_values_that_spell_non_finite_floats_stay_strings() -> None:
    # A string feature's unexpected values "inf" and "nan" were read back as floats.
    anomaly = Anomaly(
        code=AnomalyCode.ENUM_TYPE_UNEXPECTED_STRING_VALUES,
        severity=Severity.ERROR,
        path="word",
        message="feature 'word' has values outside its domain",
        measured={"values": ["inf", "nan", "NaN", "-Infinity"]},
        expected={"domain_size": 3},
    )
    report = ValidationReport(anomalies=(anomaly,), summary=ReportSummary(row_count=4))
    again = ValidationReport.from_dict(json.loads(report.to_json()))
    assert again.anomalies[0].measured == {"values": ["inf", "nan", "NaN", "-Infinity"]}


def test_an_infinite_distance_is_written_as_a_float_field() -> None:
    report = ValidationReport(
        measurements=(
            DriftMeasurement(
                path="x",
                kind=MeasurementKind.DRIFT,
                method="psi",
                distance=math.inf,
                threshold=0.25,
                exceeded=True,
                enforced=True,
            ),
        )
    )
    document = json.loads(report.to_json())
    assert document["measurements"][0]["distance"] == "Infinity"
    assert ValidationReport.from_dict(document).measurements[0].distance == math.inf


def test_distances_written_by_earlier_releases_are_read() -> None:
    document = _report(Severity.ERROR).to_dict()
    document["measurements"][0]["distance"] = "inf"
    assert ValidationReport.from_dict(document).measurements[0].distance == math.inf


def test_round_trip_through_json() -> None:
    report = _report(Severity.ERROR, Severity.WARNING)
    again = ValidationReport.from_dict(json.loads(report.to_json()))
    assert again == report


def test_counts_are_in_the_summary() -> None:
    summary = _report(Severity.ERROR, Severity.WARNING).to_dict()["summary"]
    assert (summary["error_count"], summary["warning_count"]) == (1, 1)


def test_unknown_code_is_refused_with_its_pointer() -> None:
    document = _report(Severity.ERROR).to_dict()
    document["anomalies"][0]["code"] = "NOT_A_CODE"
    with pytest.raises(InputError, match="/anomalies/0/code"):
        ValidationReport.from_dict(document, source="r.json")
