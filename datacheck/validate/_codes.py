"""Anomaly codes and severities: the stable vocabulary of every validation report.

Codes reuse the names of TFDV's ``AnomalyInfo.Type`` where the meaning is the same, so that
users who come from TFDV recognise them; codes TFDV lacks (PSI, KS, Wasserstein, missing
statistics) follow the same style. ``schemas/report.v1.json`` lists the same codes; a test keeps
the two in step.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DEFAULT_SEVERITY", "AnomalyCode", "Severity"]


class Severity(StrEnum):
    """How bad an anomaly is: an error fails validation (exit 1), a warning does not."""

    ERROR = "error"
    WARNING = "warning"


class AnomalyCode(StrEnum):
    """Every anomaly datacheck reports."""

    # Columns and types
    SCHEMA_MISSING_COLUMN = "SCHEMA_MISSING_COLUMN"
    SCHEMA_NEW_COLUMN = "SCHEMA_NEW_COLUMN"
    UNEXPECTED_DATA_TYPE = "UNEXPECTED_DATA_TYPE"
    #: a timestamp's time zone differs from the schema's (naive against zoned, or two zones)
    TIMESTAMP_TIME_ZONE_CHANGED = "TIMESTAMP_TIME_ZONE_CHANGED"
    #: a timestamp's or duration's unit differs from the schema's (s against us)
    TIME_UNIT_CHANGED = "TIME_UNIT_CHANGED"
    # Values the reader could not hold as they were written
    #: integers beyond int64 in a CSV integer column, which was read as floats
    INT_OVERFLOW = "INT_OVERFLOW"
    #: finite-looking numbers beyond the doubles (1e309), read as infinity
    FLOAT_OVERFLOW = "FLOAT_OVERFLOW"
    # Presence
    FEATURE_TYPE_LOW_FRACTION_PRESENT = "FEATURE_TYPE_LOW_FRACTION_PRESENT"
    FEATURE_TYPE_LOW_NUMBER_PRESENT = "FEATURE_TYPE_LOW_NUMBER_PRESENT"
    FEATURE_TYPE_NOT_PRESENT = "FEATURE_TYPE_NOT_PRESENT"
    # Values per row of list features
    FEATURE_TYPE_LOW_NUMBER_VALUES = "FEATURE_TYPE_LOW_NUMBER_VALUES"
    FEATURE_TYPE_HIGH_NUMBER_VALUES = "FEATURE_TYPE_HIGH_NUMBER_VALUES"
    # Domains
    ENUM_TYPE_UNEXPECTED_STRING_VALUES = "ENUM_TYPE_UNEXPECTED_STRING_VALUES"
    INT_TYPE_BIG_INT = "INT_TYPE_BIG_INT"
    INT_TYPE_SMALL_INT = "INT_TYPE_SMALL_INT"
    FLOAT_TYPE_BIG_FLOAT = "FLOAT_TYPE_BIG_FLOAT"
    FLOAT_TYPE_SMALL_FLOAT = "FLOAT_TYPE_SMALL_FLOAT"
    FLOAT_TYPE_HAS_NAN = "FLOAT_TYPE_HAS_NAN"
    FLOAT_TYPE_HAS_INF = "FLOAT_TYPE_HAS_INF"
    BOOL_TYPE_UNEXPECTED_STRING = "BOOL_TYPE_UNEXPECTED_STRING"
    BOOL_TYPE_UNEXPECTED_INT = "BOOL_TYPE_UNEXPECTED_INT"
    BOOL_TYPE_UNEXPECTED_FLOAT = "BOOL_TYPE_UNEXPECTED_FLOAT"
    STRING_TYPE_SHORT_STRING = "STRING_TYPE_SHORT_STRING"
    STRING_TYPE_LONG_STRING = "STRING_TYPE_LONG_STRING"
    #: a string value that does not match the feature's pattern as a whole (per row), or more
    #: non-matching values than the pattern's max_mismatch_fraction allows (the dataset)
    STRING_PATTERN_MISMATCH = "STRING_PATTERN_MISMATCH"
    #: a date or timestamp before its time domain's min (a sentinel such as 1970-01-01, a
    #: year typed wrong), per row or as the dataset's earliest value
    TIME_TYPE_EARLY_TIME = "TIME_TYPE_EARLY_TIME"
    #: a date or timestamp after its time domain's max
    TIME_TYPE_LATE_TIME = "TIME_TYPE_LATE_TIME"
    # Unique keys (the schema's unique_keys)
    #: a row whose key an earlier row already has (the first one stays valid)
    DUPLICATE_KEY = "DUPLICATE_KEY"
    #: a key's uniqueness was not checked on every row: more distinct keys than the limit
    KEY_NOT_CHECKED = "KEY_NOT_CHECKED"
    # Distinct values
    FEATURE_TYPE_HIGH_UNIQUE = "FEATURE_TYPE_HIGH_UNIQUE"
    FEATURE_TYPE_LOW_UNIQUE = "FEATURE_TYPE_LOW_UNIQUE"
    # Dataset size
    DATASET_LOW_NUM_EXAMPLES = "DATASET_LOW_NUM_EXAMPLES"
    DATASET_HIGH_NUM_EXAMPLES = "DATASET_HIGH_NUM_EXAMPLES"
    COMPARATOR_LOW_NUM_EXAMPLES = "COMPARATOR_LOW_NUM_EXAMPLES"
    COMPARATOR_HIGH_NUM_EXAMPLES = "COMPARATOR_HIGH_NUM_EXAMPLES"
    # Drift and skew distances
    COMPARATOR_L_INFTY_HIGH = "COMPARATOR_L_INFTY_HIGH"
    COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH = "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"
    COMPARATOR_PSI_HIGH = "COMPARATOR_PSI_HIGH"
    COMPARATOR_KS_HIGH = "COMPARATOR_KS_HIGH"
    COMPARATOR_WASSERSTEIN_HIGH = "COMPARATOR_WASSERSTEIN_HIGH"
    #: the share of rows missing a feature moved from the baseline's by more than the
    #: feature's missing_drift threshold (Cohen's h)
    COMPARATOR_MISSING_DRIFT_HIGH = "COMPARATOR_MISSING_DRIFT_HIGH"
    #: a date or timestamp feature's values do not lie after the baseline's latest value (more
    #: of them than its freshness allows lie at or before it): a replayed or stale window
    TIME_NOT_AFTER_BASELINE = "TIME_NOT_AFTER_BASELINE"
    # Checks on each row over several columns (the schema's row_checks)
    #: rows where a row expression is false (or null, when the check says so)
    ROW_CHECK_FAILED = "ROW_CHECK_FAILED"
    #: rows where a custom check's mask is false (or null, when the check says so)
    CUSTOM_CHECK_FAILED = "CUSTOM_CHECK_FAILED"
    # A comparison the profiles cannot support
    STATS_NOT_AVAILABLE = "STATS_NOT_AVAILABLE"


_W = Severity.WARNING
_E = Severity.ERROR

#: The severity of each code unless the schema overrides it. Distance codes are errors: their
#: thresholds are effect sizes measured on real data (see ``datacheck.schema._defaults``).
#: Missing statistics and high cardinality are warnings: they say "could not check" or "look".
#: A time unit alone that changed is a warning: the values still compare (Arrow converts units).
#: A window that is not after its baseline is a warning: a replayed window looks like that, but
#: so does a legitimate random split or a re-delivery of the same period (the demo's cars); set
#: the code to "error" in the schema where every window must be new.
DEFAULT_SEVERITY: dict[AnomalyCode, Severity] = {code: _E for code in AnomalyCode} | {
    AnomalyCode.TIME_UNIT_CHANGED: _W,
    AnomalyCode.STATS_NOT_AVAILABLE: _W,
    AnomalyCode.KEY_NOT_CHECKED: _W,
    AnomalyCode.TIME_NOT_AFTER_BASELINE: _W,
    AnomalyCode.FEATURE_TYPE_HIGH_UNIQUE: _W,
    AnomalyCode.FEATURE_TYPE_LOW_UNIQUE: _W,
}
