"""Semantic checks on a schema that JSON Schema cannot express.

Unique feature names, ``min <= max`` everywhere, a domain whose kind fits the feature type, a
time unit and zone only where the type has them, a skipped feature's type null, and
environments that do not contradict each other. Each problem is reported with the JSON pointer
of the offending value in the schema document.
"""

from __future__ import annotations

from datacheck._types import FeatureType
from datacheck.schema._model import (
    DRIFT_LEVELS,
    BoolDomain,
    Domain,
    Feature,
    FloatDomain,
    IntDomain,
    Schema,
    StringDomain,
    TimeDomain,
)
from datacheck.schema._patterns import pattern_key_problems
from datacheck.schema._rowchecks import row_check_problems
from datacheck.schema._timedomain import time_domain_problems

__all__ = ["schema_problems"]

#: which feature types each domain kind may constrain
_DOMAIN_TYPES: dict[type, frozenset[FeatureType]] = {
    IntDomain: frozenset({FeatureType.INT}),
    FloatDomain: frozenset({FeatureType.FLOAT, FeatureType.DECIMAL}),
    StringDomain: frozenset({FeatureType.STRING, FeatureType.BYTES}),
    BoolDomain: frozenset({FeatureType.BOOL}),
    TimeDomain: frozenset({FeatureType.DATE, FeatureType.TIMESTAMP}),
}

_DOMAIN_KIND: dict[type, str] = {
    IntDomain: "int",
    FloatDomain: "float",
    StringDomain: "string",
    BoolDomain: "bool",
    TimeDomain: "time",
}


def _min_max(
    min_pointer: str, low: float | None, high: float | None, what: str
) -> list[tuple[str, str]]:
    if low is not None and high is not None and low > high:
        return [(min_pointer, f"{what} min {low} is greater than max {high}; make min <= max")]
    return []


def _domain_problems(pointer: str, f: Feature, domain: Domain) -> list[tuple[str, str]]:
    kind, ftype = _DOMAIN_KIND[type(domain)], f.type
    if ftype not in _DOMAIN_TYPES[type(domain)]:
        return [
            (
                f"{pointer}/kind",
                f"a {kind} domain cannot constrain a {ftype} feature; "
                "change the domain kind or the feature type",
            )
        ]
    if isinstance(domain, IntDomain | FloatDomain):
        return _min_max(f"{pointer}/min", domain.min, domain.max, f"{kind} domain")
    if isinstance(domain, TimeDomain):
        return time_domain_problems(pointer, f, domain)  # ISO text, zones, min <= max
    return []


def _time_problems(pointer: str, f: Feature) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if f.time is not None and f.type not in (FeatureType.TIMESTAMP, FeatureType.DURATION):
        problems.append(
            (
                f"{pointer}/time",
                f"time applies to timestamp and duration features only; {f.name!r} is {f.type}",
            )
        )
    elif f.time is not None and f.time.zone is not None and f.type is FeatureType.DURATION:
        problems.append(
            (f"{pointer}/time/zone", f"a duration has no time zone; remove it from {f.name!r}")
        )
    if f.arrow_type is not None and f.type is not FeatureType.NULL:
        problems.append(
            (
                f"{pointer}/type",
                f"{f.name!r} is skipped (it has an arrow_type), so its type is null, not "
                f"{f.type}; set the type to null or remove arrow_type",
            )
        )
    return problems


def _drift_problems(pointer: str, f: Feature) -> list[tuple[str, str]]:
    """A drift level that is not one of DRIFT_LEVELS; freshness on a feature that is not a
    date or timestamp."""
    problems = []
    if f.drift_level not in DRIFT_LEVELS:
        problems.append(
            (
                f"{pointer}/drift_level",
                f"drift_level {f.drift_level!r} is not one of {', '.join(DRIFT_LEVELS)}",
            )
        )
    if f.freshness is not None and f.type not in (FeatureType.DATE, FeatureType.TIMESTAMP):
        problems.append(
            (
                f"{pointer}/freshness",
                f"freshness applies to date and timestamp features only; {f.name!r} is {f.type}",
            )
        )
    return problems


def schema_problems(schema: Schema) -> list[tuple[str, str]]:
    """Every semantic problem of ``schema`` as ``(json_pointer, message)``, in document order."""
    problems: list[tuple[str, str]] = []
    d = schema.dataset
    problems += _min_max("/dataset/min_row_count", d.min_row_count, d.max_row_count, "row count")
    problems += _min_max(
        "/dataset/min_row_count_ratio",
        d.min_row_count_ratio,
        d.max_row_count_ratio,
        "row count ratio",
    )
    seen: dict[str, int] = {}
    for i, f in enumerate(schema.features):
        pointer = f"/features/{i}"
        if f.name in seen:
            problems.append(
                (
                    f"{pointer}/name",
                    f"duplicate feature name {f.name!r} (also /features/{seen[f.name]}); "
                    "give each feature one entry",
                )
            )
        seen.setdefault(f.name, i)
        if f.value_count is not None:
            problems += _min_max(
                f"{pointer}/value_count/min", f.value_count.min, f.value_count.max, "value count"
            )
        if f.string_length is not None:
            problems += _min_max(
                f"{pointer}/string_length/min",
                f.string_length.min,
                f.string_length.max,
                "string length",
            )
            if f.type is not FeatureType.STRING:
                problems.append(
                    (
                        f"{pointer}/string_length",
                        f"string_length applies to string features only; {f.name!r} is {f.type}",
                    )
                )
        if f.unique is not None:
            problems += _min_max(
                f"{pointer}/unique/min", f.unique.min, f.unique.max, "unique count"
            )
        if f.domain is not None:
            problems += _domain_problems(f"{pointer}/domain", f, f.domain)
        problems += _time_problems(pointer, f)
        problems += _drift_problems(pointer, f)
        both = sorted(set(f.in_environments) & set(f.not_in_environments))
        if both:
            problems.append(
                (
                    f"{pointer}/not_in_environments",
                    f"environment {both[0]!r} is both in in_environments and "
                    "not_in_environments; keep it in one",
                )
            )
    problems += row_check_problems(schema)  # row expressions: syntax, columns, types
    problems += pattern_key_problems(schema)  # RE2 syntax; key features exist
    return problems
