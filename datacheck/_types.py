"""Logical feature types shared by profiles and schemas, their families, and their mapping
from Arrow types.

A feature's type is the type of its *values*: a ``list<int64>`` column is an INT feature whose
rows hold several values (the profile records value counts per row). Struct columns are not
features themselves; their children are, under dotted paths (``a.b.c``).

This module is the one owner of the type families (:data:`NUMERIC_TYPES`,
:data:`NUMBER_TYPES`, :data:`CATEGORICAL_TYPES`), of the reader's field marks
(:data:`MIXED_TYPES_KEY`, :data:`OVERFLOW_KEY`) and of how a time type's unit and zone are read
off an Arrow type (:func:`time_of`); the statistics, the schema, the comparators and the row
checks all import them from here.
"""

from __future__ import annotations

import re
from enum import StrEnum

import pyarrow as pa

__all__ = [
    "CATEGORICAL_TYPES",
    "MIXED_TYPES_KEY",
    "NUMBER_TYPES",
    "NUMERIC_TYPES",
    "OVERFLOW_KEY",
    "OVERFLOW_KINDS",
    "TIME_UNITS",
    "FeatureType",
    "feature_type_of",
    "is_list_type",
    "same_time_zone",
    "scalar_feature_type",
    "skip_reason",
    "time_of",
    "value_type",
]

#: Field metadata the reader sets on a column whose values mixed numbers and text (the value
#: is ``b"true"``); the profile reports such a feature as ``mixed_types``.
MIXED_TYPES_KEY = b"datacheck.mixed_types"
#: Field metadata the reader sets on a float column some of whose text did not fit where it
#: was read: ``int64`` (every number was written as an integer, and some lie beyond int64, so
#: the column became float) and ``float64`` (a finite-looking number such as ``1e309`` lay
#: beyond the doubles and was read as infinity); comma-separated when both. The profile counts
#: such values (``num_int_overflow``, ``num_float_overflow``) and validation reports them.
OVERFLOW_KEY = b"datacheck.overflow"
#: the kinds of :data:`OVERFLOW_KEY`, in the order they are written
OVERFLOW_KINDS = ("int64", "float64")


class FeatureType(StrEnum):
    """The logical type of a feature's values."""

    INT = "int"
    FLOAT = "float"
    DECIMAL = "decimal"
    STRING = "string"
    BYTES = "bytes"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"
    #: a length of time (Arrow's duration), counted in its unit (``s``, ``ms``, ``us``, ``ns``)
    DURATION = "duration"
    #: every value was missing, so the type could not be observed (an all-empty CSV column)
    NULL = "null"


#: The numeric family: values on a number line, so they have moments, quantiles and
#: histograms (the profile's numeric statistics, from a KLL sketch), the numeric drift and skew
#: distances over those sketches, and the numeric default comparators. Dates, timestamps and
#: durations belong: they are counts of days or time units (since the epoch, or in all) and
#: drift like any number.
NUMERIC_TYPES: frozenset[FeatureType] = frozenset(
    {
        FeatureType.INT,
        FeatureType.FLOAT,
        FeatureType.DECIMAL,
        FeatureType.DATE,
        FeatureType.TIMESTAMP,
        FeatureType.DURATION,
    }
)
#: Numbers proper: :data:`NUMERIC_TYPES` without dates, timestamps and durations. These, and
#: only these, convert into one another (an int column where the schema says float) and are
#: read from text (a CSV column with one bad cell arrives as text); the text "3" is not a date.
NUMBER_TYPES: frozenset[FeatureType] = frozenset(
    {FeatureType.INT, FeatureType.FLOAT, FeatureType.DECIMAL}
)
#: The categorical family: values compared by their frequencies (value counts, top values)
#: with the categorical distances and the categorical default comparators.
CATEGORICAL_TYPES: frozenset[FeatureType] = frozenset({FeatureType.STRING, FeatureType.BOOL})


def skip_reason(arrow_type: pa.DataType) -> str:
    """Why a column of this Arrow type is not profiled (the profile's and the service's words
    for a skipped feature)."""
    if pa.types.is_union(arrow_type):
        return "union columns are not profiled"
    inner = arrow_type
    while is_list_type(inner):
        inner = inner.value_type
    if pa.types.is_struct(inner):
        return "lists of structs are not profiled"
    if pa.types.is_map(inner):
        return "lists of maps are not profiled"
    return f"values of type {inner} are not profiled"


def is_list_type(arrow_type: pa.DataType) -> bool:
    """Whether values of this Arrow type are lists (list, large list, fixed-size list)."""
    return bool(
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
        or pa.types.is_list_view(arrow_type)
        or pa.types.is_large_list_view(arrow_type)
    )


def value_type(arrow_type: pa.DataType) -> pa.DataType:
    """The innermost value type: lists are unwrapped (at any depth), dictionaries decoded."""
    while is_list_type(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return arrow_type


def feature_type_of(arrow_type: pa.DataType) -> FeatureType | None:
    """The feature type of an Arrow column type, or None where datacheck cannot profile it.

    None is returned for maps, unions and other types with no feature meaning; callers list
    such columns as skipped. Struct columns are handled by the caller (their children become
    features) and also give None here.
    """
    return scalar_feature_type(value_type(arrow_type))


def scalar_feature_type(t: pa.DataType) -> FeatureType | None:
    """The feature type of an Arrow type as it stands, lists and dictionaries *not* unwrapped
    (they give None): for checks on one column's own type, such as a weight column's."""
    if pa.types.is_boolean(t):
        return FeatureType.BOOL
    if pa.types.is_integer(t):
        return FeatureType.INT
    if pa.types.is_floating(t):
        return FeatureType.FLOAT
    if pa.types.is_decimal(t):
        return FeatureType.DECIMAL
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return FeatureType.STRING
    if (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
        or pa.types.is_binary_view(t)
    ):
        return FeatureType.BYTES
    if pa.types.is_date(t):
        return FeatureType.DATE
    if pa.types.is_timestamp(t):
        return FeatureType.TIMESTAMP
    if pa.types.is_duration(t):
        return FeatureType.DURATION
    if pa.types.is_null(t):
        return FeatureType.NULL
    return None


#: the units of Arrow's timestamps and durations, coarsest first
TIME_UNITS = ("s", "ms", "us", "ns")

# Arrow writes ``timestamp[us, tz=Europe/Paris]``, ``timestamp[ns]`` and ``duration[ms]``, also
# inside a list type's text; a zone name holds no ``]``.
_TIME_TEXT = re.compile(r"\b(timestamp|duration)\[(s|ms|us|ns)(?:, tz=([^\]]*))?\]")


def time_of(arrow_type: pa.DataType | str) -> tuple[str, str | None] | None:
    """The unit and time zone of a timestamp or duration type (or of a list's values), as an
    Arrow type or the text a profile records (``timestamp[ms, tz=UTC]``); the zone is None for
    naive timestamps and for durations. None for any other type."""
    if isinstance(arrow_type, pa.DataType):
        t = value_type(arrow_type)
        if pa.types.is_timestamp(t):
            return str(t.unit), t.tz
        if pa.types.is_duration(t):
            return str(t.unit), None
        return None
    match = _TIME_TEXT.search(arrow_type)
    if match is None:
        return None
    return match.group(2), match.group(3) or None


#: names of UTC itself: one zone, however a writer spells it
_UTC_NAMES = frozenset({"utc", "etc/utc", "z", "zulu", "+00:00", "-00:00", "gmt", "etc/gmt"})


def same_time_zone(a: str | None, b: str | None) -> bool:
    """Whether two timestamp zones (None: naive) are one: equal names, or two names of UTC.

    A naive timestamp is never the same as a zoned one: it is a wall time, not an instant.
    """
    if a is None or b is None:
        return a is b
    return a == b or (a.lower() in _UTC_NAMES and b.lower() in _UTC_NAMES)
