"""Validation: anomaly codes, the report, drift and skew distances, dataset and row checks.

:func:`check_dataset` is the whole use case: a source in, a report out, the data read once.
:func:`validate_statistics` checks a profile against a schema (and, with a baseline or serving
profile, measures drift and skew); :func:`validate_batches` checks every row and splits the
rows into valid and quarantined ones; :func:`detect_feature_skew` joins training and serving
examples on keys and counts per-feature mismatches; :func:`unfixed_anomalies` lists what a
schema update could not fix.
"""

from __future__ import annotations

from datacheck.validate._codes import DEFAULT_SEVERITY, AnomalyCode, Severity
from datacheck.validate._dataset import DatasetCheck, check_dataset
from datacheck.validate._distances import (
    CATEGORICAL_DISTANCES,
    NUMERIC_DISTANCES,
    CategoricalCounts,
    CountsPair,
    QuantileSketch,
    SketchPair,
)
from datacheck.validate._environments import check_environment, schema_environments
from datacheck.validate._report import (
    REPORT_FORMAT_VERSION,
    Anomaly,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    ValidationReport,
)
from datacheck.validate._rows import REASONS_COLUMN, REASONS_TYPE, CheckedBatch, validate_batches
from datacheck.validate._skew import FeatureSkew, SkewReport, detect_feature_skew
from datacheck.validate._statistics import ValidationOptions, validate_statistics
from datacheck.validate._unfixed import UnfixedAnomaly, unfixed_anomalies

__all__ = [
    "CATEGORICAL_DISTANCES",
    "DEFAULT_SEVERITY",
    "NUMERIC_DISTANCES",
    "REASONS_COLUMN",
    "REASONS_TYPE",
    "REPORT_FORMAT_VERSION",
    "Anomaly",
    "AnomalyCode",
    "CategoricalCounts",
    "CheckedBatch",
    "CountsPair",
    "DatasetCheck",
    "DriftMeasurement",
    "FeatureSkew",
    "MeasurementKind",
    "QuantileSketch",
    "ReportSummary",
    "Severity",
    "SketchPair",
    "SkewReport",
    "UnfixedAnomaly",
    "ValidationOptions",
    "ValidationReport",
    "check_dataset",
    "check_environment",
    "detect_feature_skew",
    "schema_environments",
    "unfixed_anomalies",
    "validate_batches",
    "validate_statistics",
]
