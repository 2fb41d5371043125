"""The validation report: anomalies, drift and skew measurements, a summary and a verdict.

Every part is a frozen value. :meth:`ValidationReport.to_dict` gives the JSON document checked
by ``schemas/report.v1.json``; :meth:`ValidationReport.from_dict` reads it back (and checks it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from datacheck._documents import document_problem
from datacheck._json import float_from_json, float_to_json, value_from_json, value_to_json
from datacheck.errors import InputError
from datacheck.validate._codes import AnomalyCode, Severity

__all__ = [
    "REPORT_FORMAT_VERSION",
    "Anomaly",
    "DriftMeasurement",
    "MeasurementKind",
    "ReportSummary",
    "ValidationReport",
]

#: The shape of the report document this release writes (``schemas/report.v1.json``).
REPORT_FORMAT_VERSION = 1


class MeasurementKind(StrEnum):
    """What a distance compares: this data with a baseline (drift) or with serving data (skew)."""

    DRIFT = "drift"
    SKEW = "skew"


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomaly:
    """One problem found in the data.

    ``measured`` and ``expected`` are JSON values (numbers, strings, lists, small objects); in
    the report document a non-finite float among them is the object ``{"$float": "NaN"}``
    (``"Infinity"``, ``"-Infinity"``), so that it is never mistaken for a string value such as
    ``"nan"`` (see ``datacheck._json``).
    """

    code: AnomalyCode
    severity: Severity
    #: the feature path, or None for a dataset-level anomaly (row counts)
    path: str | None
    #: one sentence a person understands, naming the feature and what was expected
    message: str
    measured: Any = None
    expected: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftMeasurement:
    """One distance between this data's distribution of a feature and a reference one."""

    #: the feature path, or None for the dataset's row-count ratio
    path: str | None
    kind: MeasurementKind
    #: a comparator method name (``jensen_shannon``, ``psi``, ...) or ``row_count_ratio``
    method: str
    distance: float
    #: the limit the distance is held to, or None where the schema sets none
    threshold: float | None
    #: whether the distance is over its threshold
    exceeded: bool
    #: whether the schema's comparator uses this method, so that exceeding it is an anomaly;
    #: the other methods are measured for information
    enforced: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSummary:
    """Counts that describe what was validated."""

    row_count: int
    baseline_row_count: int | None = None
    serving_row_count: int | None = None
    features_checked: int = 0
    environment: str | None = None
    #: rows quarantined by the row checks; None when the rows were not checked
    quarantined_rows: int | None = None
    #: anomaly code -> rows quarantined with that code (a row with several codes counts for
    #: each); None when the rows were not checked
    quarantined_by_code: dict[str, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """The outcome of a validation: anomalies (stable codes) and every measured distance."""

    anomalies: tuple[Anomaly, ...] = ()
    measurements: tuple[DriftMeasurement, ...] = ()
    summary: ReportSummary = field(default_factory=lambda: ReportSummary(row_count=0))
    format_version: int = REPORT_FORMAT_VERSION

    @property
    def errors(self) -> tuple[Anomaly, ...]:
        """The error-level anomalies."""
        return tuple(a for a in self.anomalies if a.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Anomaly, ...]:
        """The warning-level anomalies."""
        return tuple(a for a in self.anomalies if a.severity is Severity.WARNING)

    @property
    def verdict(self) -> str:
        """``"fail"`` when any anomaly is an error, else ``"pass"``."""
        return "fail" if self.errors else "pass"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of this report (checked by ``schemas/report.v1.json``)."""
        s = self.summary
        return {
            "format_version": self.format_version,
            "verdict": self.verdict,
            "summary": {
                "row_count": s.row_count,
                "baseline_row_count": s.baseline_row_count,
                "serving_row_count": s.serving_row_count,
                "features_checked": s.features_checked,
                "environment": s.environment,
                "error_count": len(self.errors),
                "warning_count": len(self.warnings),
                "quarantined_rows": s.quarantined_rows,
                "quarantined_by_code": s.quarantined_by_code,
            },
            "anomalies": [
                {
                    "code": str(a.code),
                    "severity": str(a.severity),
                    "path": a.path,
                    "message": a.message,
                    "measured": value_to_json(a.measured),
                    "expected": value_to_json(a.expected),
                }
                for a in self.anomalies
            ],
            "measurements": [
                {
                    "path": m.path,
                    "kind": str(m.kind),
                    "method": m.method,
                    "distance": float_to_json(m.distance),
                    "threshold": m.threshold,
                    "exceeded": m.exceeded,
                    "enforced": m.enforced,
                }
                for m in self.measurements
            ],
        }

    def _repr_html_(self) -> str:
        """The report as HTML for Jupyter: verdict, anomalies, distances; nothing fetched."""
        # Imported here: datacheck.report builds on this module.
        from datacheck.report import render_html

        return render_html(validation=self, title="datacheck validation", standalone=False)

    def to_json(self) -> str:
        """The report document as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, document: Any, *, source: str = "<report>") -> ValidationReport:
        """Read a report document back.

        Raises:
            InputError: the document fails ``schemas/report.v1.json``; the message names
                ``source`` and the JSON pointer of the problem.
        """
        problem = document_problem(document, "report.v1.json")
        if problem is not None:
            pointer, message = problem
            raise InputError(
                f"{source}: not a datacheck report at {pointer}: {message}; "
                "write it with ValidationReport.to_json (the JSON that datacheck validate "
                "prints)"
            )
        s = document["summary"]
        return cls(
            anomalies=tuple(
                Anomaly(
                    code=AnomalyCode(a["code"]),
                    severity=Severity(a["severity"]),
                    path=a["path"],
                    message=a["message"],
                    measured=value_from_json(a["measured"]),
                    expected=value_from_json(a["expected"]),
                )
                for a in document["anomalies"]
            ),
            measurements=tuple(
                DriftMeasurement(
                    path=m["path"],
                    kind=MeasurementKind(m["kind"]),
                    method=m["method"],
                    distance=float(float_from_json(m["distance"])),
                    threshold=m["threshold"],
                    exceeded=m["exceeded"],
                    enforced=m["enforced"],
                )
                for m in document["measurements"]
            ),
            summary=ReportSummary(
                row_count=s["row_count"],
                baseline_row_count=s["baseline_row_count"],
                serving_row_count=s["serving_row_count"],
                features_checked=s["features_checked"],
                environment=s["environment"],
                # Absent from reports of earlier releases.
                quarantined_rows=s.get("quarantined_rows"),
                quarantined_by_code=s.get("quarantined_by_code"),
            ),
            format_version=document["format_version"],
        )
