"""Export a schema as a JSON Schema (draft 2020-12) for one record.

Any service can then check a single JSON record with the jsonschema package, without datacheck.
A record is one JSON object: a feature is a key, a list feature an array, a struct field (dotted
path ``a.b``) a nested object (a map column's ``m.key`` and ``m.value`` too: an object of two
arrays). What a record check can express is exported: types, required features, string
domains, numeric ranges, list lengths, patterns (as ``pattern``, anchored, where RE2 and
ECMA-262 agree; otherwise a ``$comment`` says why it is left out); a skipped feature is allowed
and left unchecked. A date or timestamp range (:class:`TimeDomain`) is not exported: JSON
Schema has ``format: date`` and ``date-time`` but no way to bound them by value (``minimum``
takes numbers only, and a string comparison would misorder zoned timestamps); a ``$comment``
on the feature says so. Dataset-level checks (presence fractions, drift, unique counts, unique
keys) describe many rows and have no per-record meaning. Row checks (``Schema.row_checks``)
are not exported: JSON Schema cannot compare one key's value with another's (``end >= start``)
nor compute over them, and a custom check is Python code; check those with datacheck.
"""

from __future__ import annotations

from typing import Any

from datacheck._regex import ecma_problem
from datacheck._types import FeatureType
from datacheck.schema._model import (
    BoolDomain,
    Feature,
    FloatDomain,
    IntDomain,
    Schema,
    StringDomain,
    TimeDomain,
)

__all__ = ["to_json_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TYPES: dict[FeatureType, dict[str, Any]] = {
    FeatureType.INT: {"type": "integer"},
    FeatureType.FLOAT: {"type": "number"},
    # Decimals travel as JSON numbers or, to keep every digit, as strings.
    FeatureType.DECIMAL: {"type": ["number", "string"]},
    FeatureType.STRING: {"type": "string"},
    FeatureType.BYTES: {"type": "string", "contentEncoding": "base64"},
    FeatureType.BOOL: {"type": "boolean"},
    FeatureType.DATE: {"type": "string", "format": "date"},
    FeatureType.TIMESTAMP: {"type": "string", "format": "date-time"},
    # ISO 8601 (``PT1.5S``), as JSON Schema's format names it.
    FeatureType.DURATION: {"type": "string", "format": "duration"},
    FeatureType.NULL: {"type": "null"},
}


def _value_schema(f: Feature) -> dict[str, Any]:
    out = dict(_TYPES[f.type])
    d = f.domain
    if isinstance(d, IntDomain | FloatDomain):
        if d.min is not None:
            out["minimum"] = d.min
        if d.max is not None:
            out["maximum"] = d.max
    elif isinstance(d, StringDomain):
        # A domain with a mass below 1 tolerates some other values: no per-record rule then.
        if f.distribution is None or f.distribution.min_domain_mass >= 1.0:
            out["enum"] = list(d.values)
    elif isinstance(d, BoolDomain):
        out["type"] = "boolean"
    elif isinstance(d, TimeDomain) and (d.min is not None or d.max is not None):
        # JSON Schema bounds numbers only; a date's ``format`` stays, its range is a comment.
        out["$comment"] = (
            f"time range [{d.min or '-inf'}, {d.max or '+inf'}] not exported: JSON Schema "
            "cannot bound dates or timestamps by value (format only); check it with datacheck"
        )
    sl = f.string_length
    if sl is not None and f.type is FeatureType.STRING:
        # JSON Schema counts a string's length in characters, as datacheck does.
        if sl.min is not None:
            out["minLength"] = sl.min
        if sl.max is not None:
            out["maxLength"] = sl.max
    if f.pattern is not None and f.type is FeatureType.STRING:
        # JSON Schema's pattern is ECMA-262 and unanchored: exported anchored, where the two
        # dialects agree; otherwise left out and said why (a record check that read the
        # pattern in another dialect would pass or fail the wrong values).
        why = ecma_problem(f.pattern.regex)
        if why is None and f.pattern.max_mismatch_fraction == 0:
            out["pattern"] = f"^(?:{f.pattern.regex})$"
        elif why is None:
            out["$comment"] = (
                f"pattern {f.pattern.regex!r} not exported: the dataset may hold "
                f"{f.pattern.max_mismatch_fraction:g} of values that do not match it"
            )
        else:
            out["$comment"] = f"RE2 pattern {f.pattern.regex!r} not exported: {why}"
    return out


def _feature_schema(f: Feature) -> dict[str, Any]:
    value = _value_schema(f)
    out: dict[str, Any]
    if f.value_count is not None:
        out = {"type": "array", "items": value}
        if f.value_count.min is not None:
            out["minItems"] = f.value_count.min
        if f.value_count.max is not None:
            out["maxItems"] = f.value_count.max
    else:
        out = value
    if not f.presence.required:
        out = {"anyOf": [out, {"type": "null"}]}
    if f.description:
        out["description"] = f.description
    return out


def _object(additional: bool) -> dict[str, Any]:
    return {"type": "object", "properties": {}, "required": [], "additionalProperties": additional}


def _place(
    root: dict[str, Any], path: list[str], node: dict[str, Any], required: bool, additional: bool
) -> None:
    parent = root
    for part in path[:-1]:
        child = parent["properties"].setdefault(part, _object(additional))
        if required and part not in parent["required"]:
            parent["required"].append(part)
        parent = child
    parent["properties"][path[-1]] = node
    if required:
        parent["required"].append(path[-1])


def to_json_schema(schema: Schema, *, environment: str | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) that one record must satisfy to fit ``schema``.

    Args:
        schema: the datacheck schema.
        environment: check records of this environment (features not expected in it, and
            deprecated ones, are allowed but unchecked); None: every active feature.

    Returns:
        The JSON Schema document. Extra keys are refused unless the schema lowers
        ``SCHEMA_NEW_COLUMN`` to a warning, as validation would. The schema's row checks
        (cross-column expressions, custom checks) are not in it: JSON Schema cannot express
        them.
    """
    additional = schema.severity_override("SCHEMA_NEW_COLUMN") == "warning"
    root = _object(additional)
    root = {"$schema": _DIALECT, "title": schema.description or "datacheck record", **root}
    active = {f.name for f in schema.features_in(environment)}
    for f in schema.features:
        path = f.name.split(".")
        if f.name in active:
            _place(root, path, _feature_schema(f), f.presence.required, additional)
        else:
            _place(root, path, {}, False, additional)
    return root
