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

__version__ = "0.1.0"

__all__ = [
    "DatacheckError",
    "InputError",
    "InputNotFoundError",
    "MissingExtraError",
    "OptionError",
    "ProfileFormatError",
    "SchemaFormatError",
    "StoreError",
    "__version__",
]
