"""datacheck: schema-based data validation for machine-learning pipelines, on Apache Arrow."""

from __future__ import annotations

from datacheck.errors import (
    DatacheckError,
    InputError,
    InputNotFoundError,
    MissingExtraError,
    OptionError,
    ProfileFormatError,
    SchemaFormatError,
    StoreError,
)
from datacheck.schema import Feature, Schema, load_schema, save_schema

__version__ = "0.1.0"

__all__ = [
    "DatacheckError",
    "Feature",
    "InputError",
    "InputNotFoundError",
    "MissingExtraError",
    "OptionError",
    "ProfileFormatError",
    "Schema",
    "SchemaFormatError",
    "StoreError",
    "__version__",
    "load_schema",
    "save_schema",
]
