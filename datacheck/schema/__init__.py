"""Schemas: the model, its JSON document, inference from profiles, the versioned store, diffs.

A :class:`Schema` is a frozen value. :func:`load_schema` and :func:`save_schema` read and write
its JSON document (checked by ``schemas/schema.v1.json``).
"""

from __future__ import annotations

from datacheck.schema._model import (
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
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    UniqueConstraints,
    ValueCount,
)
from datacheck.schema._serde import load_schema, save_schema

__all__ = [
    "FORMAT_VERSION",
    "SEVERITY_LEVELS",
    "BoolDomain",
    "Comparator",
    "ComparatorMethod",
    "DatasetConstraints",
    "DistributionConstraints",
    "Domain",
    "Feature",
    "FloatDomain",
    "IntDomain",
    "Lifecycle",
    "Presence",
    "Schema",
    "StringDomain",
    "UniqueConstraints",
    "ValueCount",
    "load_schema",
    "save_schema",
]
