"""Schemas: the model, its JSON document, inference from profiles, the versioned store, diffs.

A :class:`Schema` is a frozen value. :func:`load_schema` and :func:`save_schema` read and write
its JSON document (checked by ``schemas/schema.v1.json``). :class:`SchemaStore` keeps every
version of named schemas; :func:`diff_schemas` and :func:`check_compatible` compare two.
:func:`infer_schema` proposes a schema from a profile; :func:`update_schema` relaxes one to
accept new data.
"""

from __future__ import annotations

from datacheck._types import FeatureType
from datacheck.schema._defaults import (
    CATEGORICAL_DRIFT,
    CATEGORICAL_SKEW,
    MISSING_DRIFT,
    NUMERIC_DRIFT,
    NUMERIC_SKEW,
)
from datacheck.schema._diff import (
    ChangeKind,
    CompatibilityMode,
    CompatibilityResult,
    SchemaChange,
    check_compatible,
    diff_schemas,
)
from datacheck.schema._drift_level import with_drift_level
from datacheck.schema._infer import InferOptions, drift_schema, infer_schema
from datacheck.schema._jsonschema import to_json_schema
from datacheck.schema._model import (
    DRIFT_LEVELS,
    FORMAT_VERSION,
    SEVERITY_LEVELS,
    BoolDomain,
    Comparator,
    ComparatorMethod,
    DatasetConstraints,
    DistributionConstraints,
    Domain,
    Feature,
    FloatDomain,
    Freshness,
    IntDomain,
    Lifecycle,
    MissingDrift,
    Presence,
    RowCheck,
    Schema,
    StringDomain,
    StringLength,
    StringPattern,
    TimeDomain,
    TimeType,
    UniqueConstraints,
    ValueCount,
)
from datacheck.schema._serde import load_schema, save_schema
from datacheck.schema._store import (
    DEFAULT_STORE,
    STORE_ENV,
    SchemaStore,
    SchemaVersion,
    parse_schema_ref,
)
from datacheck.schema._tfdv import from_tfdv, load_tfdv_schema, save_tfdv_schema, to_tfdv
from datacheck.schema._update import (
    LargeRelaxation,
    RelaxationLimits,
    large_relaxations,
    update_schema,
)

__all__ = [
    "CATEGORICAL_DRIFT",
    "CATEGORICAL_SKEW",
    "DEFAULT_STORE",
    "DRIFT_LEVELS",
    "FORMAT_VERSION",
    "MISSING_DRIFT",
    "NUMERIC_DRIFT",
    "NUMERIC_SKEW",
    "SEVERITY_LEVELS",
    "STORE_ENV",
    "BoolDomain",
    "ChangeKind",
    "Comparator",
    "ComparatorMethod",
    "CompatibilityMode",
    "CompatibilityResult",
    "DatasetConstraints",
    "DistributionConstraints",
    "Domain",
    "Feature",
    "FeatureType",
    "FloatDomain",
    "Freshness",
    "InferOptions",
    "IntDomain",
    "LargeRelaxation",
    "Lifecycle",
    "MissingDrift",
    "Presence",
    "RelaxationLimits",
    "RowCheck",
    "Schema",
    "SchemaChange",
    "SchemaStore",
    "SchemaVersion",
    "StringDomain",
    "StringLength",
    "StringPattern",
    "TimeDomain",
    "TimeType",
    "UniqueConstraints",
    "ValueCount",
    "check_compatible",
    "diff_schemas",
    "drift_schema",
    "from_tfdv",
    "infer_schema",
    "large_relaxations",
    "load_schema",
    "load_tfdv_schema",
    "parse_schema_ref",
    "save_schema",
    "save_tfdv_schema",
    "to_json_schema",
    "to_tfdv",
    "update_schema",
    "with_drift_level",
]
