"""The schema document: JSON to and from :class:`Schema`, checked by ``schemas/schema.v1.json``.

Loading runs, in order: JSON parsing, the format_version gate (older formats are migrated, a
newer one is refused), the JSON Schema, then the semantic checks of ``_check.py``. Every failure
is a :class:`SchemaFormatError` naming the file and the JSON pointer of the problem.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from datacheck._documents import document_problem, format_version_problem
from datacheck._types import FeatureType
from datacheck.errors import InputError, InputNotFoundError, OptionError, SchemaFormatError
from datacheck.io import ReaderOptions, is_remote, read_bytes, write_bytes_atomic
from datacheck.schema._check import schema_problems
from datacheck.schema._model import (
    FORMAT_VERSION,
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
    Schema,
    StringDomain,
    StringLength,
    StringPattern,
    TimeDomain,
    TimeType,
    UniqueConstraints,
    ValueCount,
)
from datacheck.schema._rowchecks import row_check_from_dict, row_check_to_dict

__all__ = [
    "checked_document",
    "load_schema",
    "save_schema",
    "schema_from_dict",
    "schema_from_json",
    "schema_to_dict",
    "schema_to_json",
]

#: format_version -> function turning a document of that format into the next one. Format 1 is
#: the first published format, so there is nothing to migrate yet; format 2 adds its step here.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _bounds_to_dict(low: float | None, high: float | None) -> dict[str, Any]:
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


def _domain_to_dict(domain: Domain) -> dict[str, Any]:
    if isinstance(domain, IntDomain):
        return {"kind": "int", **_bounds_to_dict(domain.min, domain.max)}
    if isinstance(domain, FloatDomain):
        out: dict[str, Any] = {"kind": "float", **_bounds_to_dict(domain.min, domain.max)}
        if domain.disallow_nan:
            out["disallow_nan"] = True
        if domain.disallow_inf:
            out["disallow_inf"] = True
        return out
    if isinstance(domain, StringDomain):
        return {"kind": "string", "values": list(domain.values)}
    if isinstance(domain, TimeDomain):
        bounds = (("min", domain.min), ("max", domain.max))  # ISO 8601 text
        return {"kind": "time", **{k: v for k, v in bounds if v is not None}}
    return {"kind": "bool"}


def _comparator_to_dict(c: Comparator) -> dict[str, Any]:
    return {"method": str(c.method), "threshold": c.threshold}


def _feature_to_dict(f: Feature) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f.name,
        "type": str(f.type),
        "presence": {"min_fraction": f.presence.min_fraction, "min_count": f.presence.min_count},
    }
    if f.value_count is not None:
        out["value_count"] = _bounds_to_dict(f.value_count.min, f.value_count.max)
    if f.domain is not None:
        out["domain"] = _domain_to_dict(f.domain)
    if f.string_length is not None:
        out["string_length"] = _bounds_to_dict(f.string_length.min, f.string_length.max)
    if f.pattern is not None:
        out["pattern"] = {"regex": f.pattern.regex}
        if f.pattern.max_mismatch_fraction:
            out["pattern"]["max_mismatch_fraction"] = f.pattern.max_mismatch_fraction
    if f.time is not None:
        # The zone is written even when null: a naive timestamp is a recorded fact.
        out["time"] = {"unit": f.time.unit, "zone": f.time.zone}
    if f.arrow_type is not None:
        out["arrow_type"] = f.arrow_type
    if f.distribution is not None:
        out["distribution"] = {"min_domain_mass": f.distribution.min_domain_mass}
    if f.unique is not None:
        out["unique"] = _bounds_to_dict(f.unique.min, f.unique.max)
    if f.drift_comparator is not None:
        out["drift_comparator"] = _comparator_to_dict(f.drift_comparator)
    if f.skew_comparator is not None:
        out["skew_comparator"] = _comparator_to_dict(f.skew_comparator)
    if f.missing_drift is not None:
        out["missing_drift"] = {"method": "cohens_h", "threshold": f.missing_drift.threshold}
    if f.drift_level != "error":
        out["drift_level"] = f.drift_level
    if f.freshness is not None:
        out["freshness"] = {"max_stale_fraction": f.freshness.max_stale_fraction}
    if f.in_environments:
        out["in_environments"] = list(f.in_environments)
    if f.not_in_environments:
        out["not_in_environments"] = list(f.not_in_environments)
    if f.lifecycle is not Lifecycle.ACTIVE:
        out["lifecycle"] = str(f.lifecycle)
    if f.description:
        out["description"] = f.description
    if f.severity_overrides:
        out["severity_overrides"] = dict(sorted(f.severity_overrides.items()))
    return out


def _reader_from_dict(document: Mapping[str, Any], source: str) -> ReaderOptions:
    try:
        return ReaderOptions.from_dict(document["reader"])
    except OptionError as error:  # passes the JSON Schema, yet not a valid option
        raise SchemaFormatError(f"{source}: /reader/{error.parameter}: {error.reason}") from None


def schema_to_dict(schema: Schema) -> dict[str, Any]:
    """The JSON document of ``schema`` (defaults left out, so files stay short)."""
    out: dict[str, Any] = {"format_version": schema.format_version, "version": schema.version}
    if schema.description:
        out["description"] = schema.description
    if schema.default_environments:
        out["default_environments"] = list(schema.default_environments)
    if schema.severity_overrides:
        out["severity_overrides"] = dict(sorted(schema.severity_overrides.items()))
    d = schema.dataset
    dataset = {
        k: v
        for k, v in (
            ("min_row_count", d.min_row_count),
            ("max_row_count", d.max_row_count),
            ("min_row_count_ratio", d.min_row_count_ratio),
            ("max_row_count_ratio", d.max_row_count_ratio),
        )
        if v is not None
    }
    if dataset:
        out["dataset"] = dataset
    if schema.reader is not None:
        out["reader"] = schema.reader.to_dict()
    out["features"] = [_feature_to_dict(f) for f in schema.features]
    if schema.unique_keys:
        out["unique_keys"] = [list(key) for key in schema.unique_keys]
    if schema.row_checks:
        out["row_checks"] = [row_check_to_dict(c) for c in schema.row_checks]
    return out


def _check_document(document: dict[str, Any], source: str) -> None:
    problem = document_problem(document, "schema.v1.json")
    if problem is not None:
        pointer, message = problem
        raise SchemaFormatError(
            f"{source}: {pointer}: {message}; "
            "see schemas/schema.v1.json for the allowed keys and values"
        )


def _check_semantics(schema: Schema, source: str) -> None:
    problems = schema_problems(schema)
    if problems:
        pointer, message = problems[0]
        raise SchemaFormatError(f"{source}: {pointer}: {message}")


def checked_document(schema: Schema, *, source: str = "<schema>") -> dict[str, Any]:
    """The JSON document of ``schema`` after every check a load would make.

    A schema built in code can hold what no document may (a fraction of 2, NaN, min > max);
    writers call this so that everything written loads again.

    Raises:
        SchemaFormatError: naming ``source`` and the JSON pointer of the first problem.
    """
    document = schema_to_dict(schema)
    _check_document(document, source)
    _check_semantics(schema, source)
    bad = next((p for p, v in _numbers(document, "") if not math.isfinite(v)), None)
    if bad is not None:
        raise SchemaFormatError(f"{source}: {bad}: NaN or infinity is not JSON; use a number")
    return document


def _numbers(value: Any, pointer: str) -> list[tuple[str, float]]:
    if isinstance(value, float):
        return [(pointer, value)]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _numbers(v, f"{pointer}/{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _numbers(v, f"{pointer}/{i}")]
    return []


def schema_to_json(schema: Schema, *, source: str = "<schema>") -> str:
    """The checked schema document as indented JSON text, ending with a newline.

    Raises:
        SchemaFormatError: the schema would not load again (see :func:`checked_document`).
    """
    document = checked_document(schema, source=source)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _domain_from_dict(d: Mapping[str, Any]) -> Domain:
    kind = d["kind"]
    if kind == "int":
        return IntDomain(min=d.get("min"), max=d.get("max"))
    if kind == "float":
        return FloatDomain(
            min=_float_or_none(d.get("min")),
            max=_float_or_none(d.get("max")),
            disallow_nan=d.get("disallow_nan", False),
            disallow_inf=d.get("disallow_inf", False),
        )
    if kind == "string":
        return StringDomain(values=tuple(d["values"]))
    if kind == "time":
        return TimeDomain(min=d.get("min"), max=d.get("max"))
    return BoolDomain()


def _comparator_from_dict(d: Mapping[str, Any] | None) -> Comparator | None:
    if d is None:
        return None
    return Comparator(method=ComparatorMethod(d["method"]), threshold=float(d["threshold"]))


def _feature_from_dict(d: Mapping[str, Any]) -> Feature:
    presence = d.get("presence", {})
    vc = d.get("value_count")
    length = d.get("string_length")
    unique = d.get("unique")
    dist = d.get("distribution")
    time = d.get("time")
    return Feature(
        name=d["name"],
        type=FeatureType(d["type"]),
        presence=Presence(
            min_fraction=float(presence.get("min_fraction", 0.0)),
            min_count=presence.get("min_count", 0),
        ),
        value_count=None if vc is None else ValueCount(min=vc.get("min"), max=vc.get("max")),
        domain=None if "domain" not in d else _domain_from_dict(d["domain"]),
        string_length=None
        if length is None
        else StringLength(min=length.get("min"), max=length.get("max")),
        pattern=None
        if "pattern" not in d
        else StringPattern(
            regex=d["pattern"]["regex"],
            max_mismatch_fraction=float(d["pattern"].get("max_mismatch_fraction", 0.0)),
        ),
        time=None if time is None else TimeType(unit=time["unit"], zone=time.get("zone")),
        arrow_type=d.get("arrow_type"),
        distribution=None
        if dist is None
        else DistributionConstraints(min_domain_mass=float(dist.get("min_domain_mass", 1.0))),
        unique=None
        if unique is None
        else UniqueConstraints(min=unique.get("min"), max=unique.get("max")),
        drift_comparator=_comparator_from_dict(d.get("drift_comparator")),
        skew_comparator=_comparator_from_dict(d.get("skew_comparator")),
        missing_drift=None
        if "missing_drift" not in d
        else MissingDrift(threshold=float(d["missing_drift"]["threshold"])),
        drift_level=d.get("drift_level", "error"),
        freshness=None
        if "freshness" not in d
        else Freshness(max_stale_fraction=float(d["freshness"].get("max_stale_fraction", 0.0))),
        in_environments=tuple(d.get("in_environments", ())),
        not_in_environments=tuple(d.get("not_in_environments", ())),
        lifecycle=Lifecycle(d.get("lifecycle", "active")),
        description=d.get("description", ""),
        severity_overrides=d.get("severity_overrides", {}),
    )


def _migrate(document: dict[str, Any], source: str) -> dict[str, Any]:
    problem = format_version_problem(document, FORMAT_VERSION)
    if problem is not None:
        hint = "" if "newer" in problem else f"; set it to {FORMAT_VERSION}"
        raise SchemaFormatError(f"{source}: {problem}{hint}")
    version = document["format_version"]
    while version < FORMAT_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise SchemaFormatError(
                f"{source}: /format_version: {version} is not a datacheck schema format; "
                f"the first one is 1"
            )
        document = step(document)
        version = document["format_version"]
    return document


def schema_from_dict(document: Any, *, source: str = "<schema>") -> Schema:
    """Build a :class:`Schema` from its JSON document, checking it fully.

    Args:
        document: the parsed JSON document.
        source: what to call the document in error messages (usually its file path).

    Raises:
        SchemaFormatError: the document is not a valid schema; the message names ``source`` and
            the JSON pointer of the first problem.
    """
    if not isinstance(document, dict):
        raise SchemaFormatError(
            f"{source}: /: a schema document is a JSON object, not {type(document).__name__}"
        )
    if {"num_rows", "options", "features"} <= document.keys() and "version" not in document:
        # The most common mix-up: the profile written next to the schema.
        raise SchemaFormatError(
            f"{source}: this is a profile (a statistics document, as generate_statistics and "
            "save_profile write), not a schema; a profile is what baseline= takes, to compare "
            "the data with it; infer a schema from it with infer_schema"
        )
    document = _migrate(document, source)
    _check_document(document, source)
    d = document.get("dataset", {})
    schema = Schema(
        format_version=document["format_version"],
        version=document["version"],
        description=document.get("description", ""),
        default_environments=tuple(document.get("default_environments", ())),
        severity_overrides=document.get("severity_overrides", {}),
        dataset=DatasetConstraints(
            min_row_count=d.get("min_row_count"),
            max_row_count=d.get("max_row_count"),
            min_row_count_ratio=_float_or_none(d.get("min_row_count_ratio")),
            max_row_count_ratio=_float_or_none(d.get("max_row_count_ratio")),
        ),
        features=tuple(_feature_from_dict(f) for f in document["features"]),
        unique_keys=tuple(tuple(key) for key in document.get("unique_keys", ())),
        reader=None if document.get("reader") is None else _reader_from_dict(document, source),
        row_checks=tuple(row_check_from_dict(c) for c in document.get("row_checks", ())),
    )
    _check_semantics(schema, source)
    return schema


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise ValueError(f"{name} is not a JSON number")


def schema_from_json(text: str | bytes, *, source: str = "<schema>") -> Schema:
    """Parse and check a schema document given as JSON text.

    Raises:
        SchemaFormatError: malformed JSON (with line and column) or an invalid document.
    """
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise SchemaFormatError(
            f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
            "fix the JSON syntax"
        ) from None
    except UnicodeDecodeError as exc:
        raise SchemaFormatError(
            f"{source}: not UTF-8 text ({exc.reason}); save it as UTF-8"
        ) from None
    except ValueError as exc:  # from _refuse_constant
        raise SchemaFormatError(f"{source}: {exc}; write a finite number") from None
    return schema_from_dict(document, source=source)


def load_schema(path: str | os.PathLike[str]) -> Schema:
    """Read and check the schema document at ``path``.

    Raises:
        InputNotFoundError: there is no file at ``path``.
        InputError: the file cannot be read.
        SchemaFormatError: the document is malformed or invalid; the message names the file and
            the JSON pointer of the problem.
    """
    p = path if is_remote(path) else Path(path)
    try:
        data = read_bytes(p)
    except FileNotFoundError:
        raise InputNotFoundError(f"{p}: no such schema file; check the path") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read the schema file: {exc.strerror}") from None
    return schema_from_json(data, source=str(p))


def save_schema(schema: Schema, path: str | os.PathLike[str]) -> None:
    """Write ``schema`` as JSON to ``path`` atomically (a reader never sees half a file).

    Raises:
        SchemaFormatError: the schema would not load again (min > max, duplicate names, a
            fraction above 1, NaN); nothing is written.
    """
    p = path if is_remote(path) else Path(path)
    write_bytes_atomic(p, schema_to_json(schema, source=str(p)).encode("utf-8"))
