"""datacheck: schema-based data validation for machine-learning pipelines, on Apache Arrow."""

from __future__ import annotations

from datacheck.errors import (
    ArgumentTypeError,
    DatacheckError,
    InputError,
    InputNotFoundError,
    MissingExtraError,
    OptionError,
    ProfileFormatError,
    SchemaFormatError,
    StoreError,
)
from datacheck.io import read_batches
from datacheck.schema import (
    Feature,
    FeatureType,
    Schema,
    SchemaStore,
    check_compatible,
    diff_schemas,
    infer_schema,
    load_schema,
    save_schema,
    to_json_schema,
    update_schema,
)
from datacheck.stats import (
    DatasetProfile,
    FeatureStatistics,
    StatsOptions,
    generate_statistics,
    load_profile,
    merge_profiles,
    save_profile,
)
from datacheck.validate import (
    Anomaly,
    AnomalyCode,
    ValidationReport,
    check_dataset,
    detect_feature_skew,
    validate_batches,
    validate_statistics,
)

__version__ = "0.1.0"

__all__ = [
    "Anomaly",
    "AnomalyCode",
    "ArgumentTypeError",
    "DatacheckError",
    "DatasetProfile",
    "Feature",
    "FeatureStatistics",
    "FeatureType",
    "InputError",
    "InputNotFoundError",
    "MissingExtraError",
    "OptionError",
    "ProfileFormatError",
    "Schema",
    "SchemaFormatError",
    "SchemaStore",
    "StatsOptions",
    "StoreError",
    "ValidationReport",
    "__version__",
    "check_compatible",
    "check_dataset",
    "detect_feature_skew",
    "diff_schemas",
    "generate_statistics",
    "infer_schema",
    "load_profile",
    "load_schema",
    "merge_profiles",
    "read_batches",
    "save_profile",
    "save_schema",
    "to_json_schema",
    "update_schema",
    "validate_batches",
    "validate_statistics",
]
