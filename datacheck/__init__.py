"""datacheck: schema-based data validation for machine-learning pipelines, on Apache Arrow."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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

#: where each public name lives; imported on first use (see __getattr__)
_LAZY: dict[str, str] = {
    "Anomaly": "datacheck.validate",
    "AnomalyCode": "datacheck.validate",
    "check_compatible": "datacheck.schema",
    "check_dataset": "datacheck.validate",
    "DatasetProfile": "datacheck.stats",
    "detect_feature_skew": "datacheck.validate",
    "diff_schemas": "datacheck.schema",
    "Feature": "datacheck.schema",
    "FeatureStatistics": "datacheck.stats",
    "FeatureType": "datacheck.schema",
    "generate_statistics": "datacheck.stats",
    "infer_schema": "datacheck.schema",
    "load_profile": "datacheck.stats",
    "load_schema": "datacheck.schema",
    "merge_profiles": "datacheck.stats",
    "read_batches": "datacheck.io",
    "save_profile": "datacheck.stats",
    "save_schema": "datacheck.schema",
    "Schema": "datacheck.schema",
    "SchemaStore": "datacheck.schema",
    "StatsOptions": "datacheck.stats",
    "to_json_schema": "datacheck.schema",
    "update_schema": "datacheck.schema",
    "validate_batches": "datacheck.validate",
    "validate_statistics": "datacheck.validate",
    "ValidationReport": "datacheck.validate",
}
#: the subpackages, also imported on first use: ``import datacheck; datacheck.schema``
_SUBPACKAGES = frozenset(
    {"beam", "cli", "io", "plugin", "report", "schema", "stats", "testing", "validate"}
)


def __getattr__(name: str) -> Any:
    # PEP 562: ``import datacheck`` costs the errors module only; the schema, statistics and
    # validation modules (pyarrow.compute, some 60 frozen dataclasses: about 0.2 s) load when a
    # name is first used, so a command or a service that needs one part pays for that part.
    if name in _SUBPACKAGES:
        return importlib.import_module(f"datacheck.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'datacheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBPACKAGES})


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
