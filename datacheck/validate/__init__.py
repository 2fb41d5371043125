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
from datacheck.validate._custom import (
    CHECKS_ENTRY_POINT_GROUP,
    CheckFunction,
    register_check,
    registered_checks,
    unregister_check,
)
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
from datacheck.validate._keys import key_hashes, with_duplicates
from datacheck.validate._pattern_tally import PatternKeyTally, pattern_key_schema
from datacheck.validate._quarantine_count import QuarantineTally
from datacheck.validate._report import (
    REPORT_FORMAT_VERSION,
    Anomaly,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    ValidationReport,
)
from datacheck.validate._rowchecks import RowCheckTally
from datacheck.validate._rows import (
    REASONS_COLUMN,
    REASONS_TYPE,
    SOURCE_COLUMNS,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    CheckedBatch,
    validate_batches,
)
from datacheck.validate._skew import FeatureSkew, SkewReport, detect_feature_skew
from datacheck.validate._statistics import ValidationOptions, validate_statistics
from datacheck.validate._unfixed import UnfixedAnomaly, unfixed_anomalies

__all__ = [
    "CATEGORICAL_DISTANCES",
    "CHECKS_ENTRY_POINT_GROUP",
    "DEFAULT_SEVERITY",
    "NUMERIC_DISTANCES",
    "REASONS_COLUMN",
    "REASONS_TYPE",
    "REPORT_FORMAT_VERSION",
    "SOURCE_COLUMNS",
    "SOURCE_FILE_COLUMN",
    "SOURCE_ROW_COLUMN",
    "Anomaly",
    "AnomalyCode",
    "CategoricalCounts",
    "CheckFunction",
    "CheckedBatch",
    "CountsPair",
    "DatasetCheck",
    "DriftMeasurement",
    "FeatureSkew",
    "MeasurementKind",
    "PatternKeyTally",
    "QuantileSketch",
    "QuarantineTally",
    "ReportSummary",
    "RowCheckTally",
    "Severity",
    "SketchPair",
    "SkewReport",
    "UnfixedAnomaly",
    "ValidationOptions",
    "ValidationReport",
    "check_dataset",
    "check_environment",
    "detect_feature_skew",
    "key_hashes",
    "pattern_key_schema",
    "register_check",
    "registered_checks",
    "schema_environments",
    "unfixed_anomalies",
    "unregister_check",
    "validate_batches",
    "validate_statistics",
    "with_duplicates",
]
