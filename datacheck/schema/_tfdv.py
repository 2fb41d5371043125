"""TFDV interop: read and write TensorFlow Data Validation's ``schema.pbtxt``.

Uses the tensorflow-metadata protobufs (``pip install 'datacheck-ml[tfdv]'``). The mapping, so that
a TFDV schema means the same here:

- types: TFDV INT, FLOAT, BYTES and STRUCT. BYTES reads as string (TFDV treats it as text when
  it has a string domain, and datacheck reads text columns as strings). INT with a
  ``bool_domain`` is TFDV's boolean: it reads as an int in 0..1 (tf.Example has no bool type);
  BYTES with a ``bool_domain`` of true/false strings reads as a string domain of those two.
  Struct features become dotted paths (``a.b``).
- ``value_count {min: 1 max: 1}`` is TFDV's mark of a single-valued feature: it reads as a
  scalar feature; other value counts make a list feature.
- domains (inline or named at schema level), presence, distribution and unique constraints,
  environments, lifecycle (DEPRECATED, DISABLED, DEBUG_ONLY and the legacy ``deprecated``
  flag read as deprecated), dataset row counts and the row-count drift comparator.
- comparators: ``infinity_norm`` is l_infinity, ``jensen_shannon_divergence`` is
  jensen_shannon. TFDV has no PSI, KS or Wasserstein, and no missingness drift: on writing,
  those ride along as annotation tags that datacheck reads back and TFDV ignores (TFDV will not
  check them). TFDV's
  ``normalized_abs_difference`` has no datacheck equivalent: reading it warns and drops it.
- what TFDV cannot hold (datacheck's exact type where TFDV's is coarser, string lengths, a
  timestamp's unit and zone, a skipped column's Arrow type, severity overrides, the schema
  version, the row checks) is written as annotation tags ``datacheck:...``, so a round trip
  loses nothing. A row check's tag holds its JSON object (``datacheck:row_check={...}``).
  Sparse and weighted features read with a warning and are dropped.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from datacheck._types import FeatureType
from datacheck.errors import InputError, InputNotFoundError, MissingExtraError, SchemaFormatError
from datacheck.io import write_bytes_atomic
from datacheck.schema._model import (
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
from datacheck.schema._rowchecks import row_check_from_dict, row_check_to_dict
from datacheck.schema._serde import checked_document

__all__ = ["from_tfdv", "load_tfdv_schema", "save_tfdv_schema", "to_tfdv"]

_TAG = "datacheck:"
_DEPRECATED_STAGES = ("DEPRECATED", "DISABLED", "DEBUG_ONLY")


def _pb() -> Any:
    try:
        from tensorflow_metadata.proto.v0 import schema_pb2
    except ImportError:
        raise MissingExtraError("tensorflow-metadata", "tfdv") from None
    return schema_pb2


# --- writing ---------------------------------------------------------------------------------


def _comparator_to_pb(proto: Any, c: Comparator | None, field: str, tags: list[str]) -> None:
    if c is None:
        return
    if c.method is ComparatorMethod.L_INFINITY:
        getattr(proto, field).infinity_norm.threshold = c.threshold
    elif c.method is ComparatorMethod.JENSEN_SHANNON:
        getattr(proto, field).jensen_shannon_divergence.threshold = c.threshold
    else:
        tags.append(f"{_TAG}{field}={c.method}:{c.threshold!r}")


def _float32_outward(value: float, *, down: bool) -> float:
    # TFDV keeps float bounds as 32-bit floats: round away from the range's inside, so the
    # TFDV bound never rejects a value datacheck accepts.
    single = np.float32(value)
    if down and float(single) > value:
        single = np.nextafter(single, np.float32(-np.inf))
    elif not down and float(single) < value:
        single = np.nextafter(single, np.float32(np.inf))
    return float(single)


def _domain_to_pb(proto: Any, f: Feature, tags: list[str]) -> None:
    d = f.domain
    if isinstance(d, IntDomain):
        if d.min is not None:
            proto.int_domain.min = d.min
        if d.max is not None:
            proto.int_domain.max = d.max
        proto.int_domain.SetInParent()
    elif isinstance(d, FloatDomain):
        if d.min is not None:
            proto.float_domain.min = _float32_outward(d.min, down=True)
        if d.max is not None:
            proto.float_domain.max = _float32_outward(d.max, down=False)
        if (d.min is not None and proto.float_domain.min != d.min) or (
            d.max is not None and proto.float_domain.max != d.max
        ):
            tags.append(f"{_TAG}float_domain={d.min!r},{d.max!r}")
        if d.disallow_nan:
            proto.float_domain.disallow_nan = True
        if d.disallow_inf:
            proto.float_domain.disallow_inf = True
        proto.float_domain.SetInParent()
    elif isinstance(d, StringDomain):
        proto.string_domain.value.extend(d.values)
    elif isinstance(d, TimeDomain):
        # TFDV's time_domain says how a time is written, not its range: a tag of ours.
        bounds = {k: v for k, v in (("min", d.min), ("max", d.max)) if v is not None}
        tags.append(f"{_TAG}time_domain={json.dumps(bounds, sort_keys=True)}")
        proto.string_domain.SetInParent()
    elif isinstance(d, BoolDomain):
        proto.bool_domain.SetInParent()


_TYPE_TO_PB = {
    FeatureType.INT: "INT",
    FeatureType.BOOL: "INT",
    FeatureType.DATE: "INT",
    FeatureType.TIMESTAMP: "INT",
    FeatureType.DURATION: "INT",
    FeatureType.FLOAT: "FLOAT",
    FeatureType.DECIMAL: "FLOAT",
    FeatureType.STRING: "BYTES",
    FeatureType.BYTES: "BYTES",
    FeatureType.NULL: "TYPE_UNKNOWN",
}

#: types TFDV would read back as something else without a tag
_TAGGED_TYPES = frozenset(
    {
        FeatureType.BOOL,
        FeatureType.DATE,
        FeatureType.TIMESTAMP,
        FeatureType.DURATION,
        FeatureType.DECIMAL,
        FeatureType.BYTES,
        FeatureType.NULL,
    }
)


def _feature_to_pb(pb: Any, proto: Any, f: Feature, leaf: str) -> None:
    proto.name = leaf
    proto.type = pb.FeatureType.Value(_TYPE_TO_PB[f.type])
    tags: list[str] = []
    if f.type in _TAGGED_TYPES:
        tags.append(f"{_TAG}type={f.type}")
    if f.presence.min_fraction or f.presence.min_count:
        proto.presence.min_fraction = f.presence.min_fraction
        proto.presence.min_count = f.presence.min_count
    if f.value_count is None:
        proto.value_count.min = 1
        proto.value_count.max = 1
    else:
        tags.append(f"{_TAG}list")
        if f.value_count.min is not None:
            proto.value_count.min = f.value_count.min
        if f.value_count.max is not None:
            proto.value_count.max = f.value_count.max
        proto.value_count.SetInParent()
    _domain_to_pb(proto, f, tags)
    if f.string_length is not None:
        tags.append(f"{_TAG}string_length={f.string_length.min!r},{f.string_length.max!r}")
    if f.pattern is not None:
        # TFDV has no pattern: the JSON object rides along (a regex may hold any character).
        share = f.pattern.max_mismatch_fraction
        pattern = {"regex": f.pattern.regex, "max_mismatch_fraction": share}
        tags.append(f"{_TAG}pattern={json.dumps(pattern, ensure_ascii=False)}")
    if f.time is not None:
        zone = "" if f.time.zone is None else f",{f.time.zone}"
        tags.append(f"{_TAG}time={f.time.unit}{zone}")
    if f.arrow_type is not None:
        tags.append(f"{_TAG}arrow_type={f.arrow_type}")
    if f.distribution is not None:
        proto.distribution_constraints.min_domain_mass = f.distribution.min_domain_mass
    if f.unique is not None:
        if f.unique.min is not None:
            proto.unique_constraints.min = f.unique.min
        if f.unique.max is not None:
            proto.unique_constraints.max = f.unique.max
        proto.unique_constraints.SetInParent()
    _comparator_to_pb(proto, f.drift_comparator, "drift_comparator", tags)
    _comparator_to_pb(proto, f.skew_comparator, "skew_comparator", tags)
    if f.missing_drift is not None:
        tags.append(f"{_TAG}missing_drift={f.missing_drift.threshold!r}")
    if f.drift_level != "error":
        tags.append(f"{_TAG}drift_level={f.drift_level}")
    if f.freshness is not None:
        tags.append(f"{_TAG}freshness={f.freshness.max_stale_fraction!r}")
    proto.in_environment.extend(f.in_environments)
    proto.not_in_environment.extend(f.not_in_environments)
    if f.lifecycle is Lifecycle.DEPRECATED:
        proto.lifecycle_stage = pb.LifecycleStage.Value("DEPRECATED")
    tags += [f"{_TAG}severity:{code}={sev}" for code, sev in sorted(f.severity_overrides.items())]
    proto.annotation.tag.extend(tags)
    if f.description:
        proto.annotation.comment.append(f.description)


def _child(pb: Any, container: Any, name: str) -> Any:
    """The struct feature ``name`` in ``container`` (a schema or struct domain), made if new."""
    for existing in container.feature:
        if existing.name == name and existing.type == pb.FeatureType.Value("STRUCT"):
            return existing
    node = container.feature.add()
    node.name = name
    node.type = pb.FeatureType.Value("STRUCT")
    node.struct_domain.SetInParent()
    return node


def to_tfdv(schema: Schema) -> Any:
    """The ``tensorflow_metadata.proto.v0.schema_pb2.Schema`` message of ``schema``.

    Raises:
        MissingExtraError: tensorflow-metadata is not installed.
    """
    pb = _pb()
    out = pb.Schema()
    for f in schema.features:
        *parents, leaf = f.name.split(".")
        container = out
        for part in parents:
            container = _child(pb, container, part).struct_domain
        _feature_to_pb(pb, container.feature.add(), f, leaf)
    out.default_environment.extend(schema.default_environments)
    d = schema.dataset
    if d.min_row_count is not None:
        out.dataset_constraints.min_examples_count = d.min_row_count
    if d.max_row_count is not None:
        out.dataset_constraints.max_examples_count = d.max_row_count
    drift = out.dataset_constraints.num_examples_drift_comparator
    if d.min_row_count_ratio is not None:
        drift.min_fraction_threshold = d.min_row_count_ratio
    if d.max_row_count_ratio is not None:
        drift.max_fraction_threshold = d.max_row_count_ratio
    tags = [f"{_TAG}version={schema.version}"]
    tags += [f"{_TAG}severity:{c}={s}" for c, s in sorted(schema.severity_overrides.items())]
    tags += [f"{_TAG}row_check={_row_check_tag(c)}" for c in schema.row_checks]
    # TFDV has no unique key: each key rides along as its JSON list of feature names.
    tags += [
        f"{_TAG}unique_key={json.dumps(list(k), ensure_ascii=False)}" for k in schema.unique_keys
    ]
    out.annotation.tag.extend(tags)
    if schema.description:
        out.annotation.comment.append(schema.description)
    return out


def save_tfdv_schema(schema: Schema, path: str | os.PathLike[str]) -> None:
    """Write ``schema`` as a TFDV ``schema.pbtxt`` (protobuf text format), atomically.

    Raises:
        MissingExtraError: tensorflow-metadata is not installed.
    """
    message = to_tfdv(schema)  # first: it raises MissingExtraError without the extra
    from google.protobuf import text_format

    write_bytes_atomic(path, text_format.MessageToString(message).encode("utf-8"))


def _row_check_tag(check: RowCheck) -> str:
    # A row check rides along as its JSON object: TFDV has no cross-column constraint.
    return json.dumps(row_check_to_dict(check), sort_keys=True, ensure_ascii=False)


def _row_check_from_tag(value: str) -> RowCheck:
    document = json.loads(value)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ValueError("a row check tag holds a JSON object with a name")
    return row_check_from_dict(document)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tags:
    type: FeatureType | None
    is_list: bool
    comparators: dict[str, Comparator]
    severities: dict[str, str]
    version: int | None
    #: the exact float domain bounds, where TFDV's 32-bit ones differ
    float_bounds: tuple[float | None, float | None] | None
    #: the string length bounds (TFDV has no such constraint)
    string_length: StringLength | None
    #: a timestamp's or duration's unit and zone
    time: TimeType | None = None
    #: a skipped column's Arrow type
    arrow_type: str | None = None
    #: the missingness-drift comparator (TFDV has none)
    missing_drift: MissingDrift | None = None
    #: how drift counts (TFDV has no level: its comparators are all errors)
    drift_level: str = "error"
    #: the freshness of a date or timestamp (TFDV has none)
    freshness: Freshness | None = None
    #: the range of a date or timestamp (TFDV's time_domain is a format, not a range)
    time_domain: TimeDomain | None = None
    #: the schema's row checks (TFDV has none): each one's JSON object
    row_checks: tuple[RowCheck, ...] = ()
    #: a string feature's pattern (TFDV has none)
    pattern: StringPattern | None = None
    #: the schema's unique keys (TFDV has none)
    unique_keys: tuple[tuple[str, ...], ...] = ()


def _tags(tags: Any, where: str) -> _Tags:
    ftype: FeatureType | None = None
    is_list = False
    comparators: dict[str, Comparator] = {}
    severities: dict[str, str] = {}
    version: int | None = None
    float_bounds: tuple[float | None, float | None] | None = None
    string_length: StringLength | None = None
    time: TimeType | None = None
    arrow_type: str | None = None
    missing_drift: MissingDrift | None = None
    drift_level = "error"
    freshness: Freshness | None = None
    time_domain: TimeDomain | None = None
    row_checks: list[RowCheck] = []
    pattern: StringPattern | None = None
    unique_keys: list[tuple[str, ...]] = []
    for tag in tags:
        if not tag.startswith(_TAG):
            continue
        key, _, value = tag.removeprefix(_TAG).partition("=")
        try:
            if key == "type":
                ftype = FeatureType(value)
            elif key == "list":
                is_list = True
            elif key in ("drift_comparator", "skew_comparator"):
                method, _, threshold = value.partition(":")
                comparators[key] = Comparator(
                    method=ComparatorMethod(method), threshold=float(threshold)
                )
            elif key.startswith("severity:"):
                severities[key.removeprefix("severity:")] = value
            elif key == "version":
                version = int(value)
            elif key == "float_domain":
                low, _, high = value.partition(",")
                float_bounds = (
                    None if low == "None" else float(low),
                    None if high == "None" else float(high),
                )
            elif key == "string_length":
                low, _, high = value.partition(",")
                string_length = StringLength(
                    min=None if low == "None" else int(low),
                    max=None if high == "None" else int(high),
                )
            elif key == "time":
                unit, _, zone = value.partition(",")
                time = TimeType(unit=unit, zone=zone or None)
            elif key == "arrow_type":
                arrow_type = value
            elif key == "missing_drift":
                missing_drift = MissingDrift(threshold=float(value))
            elif key == "drift_level":
                drift_level = value
            elif key == "freshness":
                freshness = Freshness(max_stale_fraction=float(value))
            elif key == "time_domain":
                bounds = json.loads(value)
                time_domain = TimeDomain(min=bounds.get("min"), max=bounds.get("max"))
            elif key == "row_check":
                row_checks.append(_row_check_from_tag(value))
            elif key == "pattern":
                d = json.loads(value)
                pattern = StringPattern(
                    regex=str(d["regex"]),
                    max_mismatch_fraction=float(d.get("max_mismatch_fraction", 0.0)),
                )
            elif key == "unique_key":
                unique_keys.append(tuple(str(name) for name in json.loads(value)))
        except (ValueError, KeyError, TypeError):
            raise SchemaFormatError(
                f"{where}: annotation tag {tag!r} is not one datacheck writes; remove it"
            ) from None
    return _Tags(
        type=ftype,
        is_list=is_list,
        comparators=comparators,
        severities=severities,
        version=version,
        float_bounds=float_bounds,
        string_length=string_length,
        time=time,
        arrow_type=arrow_type,
        missing_drift=missing_drift,
        drift_level=drift_level,
        freshness=freshness,
        time_domain=time_domain,
        row_checks=tuple(row_checks),
        pattern=pattern,
        unique_keys=tuple(unique_keys),
    )


def _comparator_from_pb(proto: Any, field: str, where: str) -> Comparator | None:
    if not proto.HasField(field):
        return None
    c = getattr(proto, field)
    if c.HasField("infinity_norm"):
        return Comparator(method=ComparatorMethod.L_INFINITY, threshold=c.infinity_norm.threshold)
    if c.HasField("jensen_shannon_divergence"):
        return Comparator(
            method=ComparatorMethod.JENSEN_SHANNON,
            threshold=c.jensen_shannon_divergence.threshold,
        )
    if c.HasField("normalized_abs_difference"):
        warnings.warn(
            f"{where}: {field} normalized_abs_difference has no datacheck equivalent; dropped",
            stacklevel=4,
        )
    return None


def _named_domains(proto: Any) -> dict[str, tuple[str, Any]]:
    out: dict[str, tuple[str, Any]] = {}
    for kind in ("string_domain", "int_domain", "float_domain"):
        for d in getattr(proto, kind):
            out[d.name] = (kind, d)
    return out


def _domain_from_pb(
    proto: Any, named: dict[str, tuple[str, Any]], where: str
) -> tuple[str | None, Any]:
    kind = proto.WhichOneof("domain_info")
    if kind == "domain":
        if proto.domain not in named:
            raise SchemaFormatError(
                f"{where}: domain {proto.domain!r} is not defined at schema level; define it "
                "or inline the domain"
            )
        return named[proto.domain]
    return kind, (getattr(proto, kind) if kind else None)


def _opt(proto: Any, field: str) -> Any:
    return getattr(proto, field) if proto.HasField(field) else None


def _feature_from_pb(
    pb: Any, proto: Any, path: str, named: dict[str, tuple[str, Any]], where: str
) -> Feature:
    tags = _tags(proto.annotation.tag, where)
    pb_type = pb.FeatureType.Name(proto.type)
    kind, d = _domain_from_pb(proto, named, where)
    domain: Domain | None = None
    ftype = {"INT": FeatureType.INT, "FLOAT": FeatureType.FLOAT, "BYTES": FeatureType.STRING}.get(
        pb_type, FeatureType.NULL
    )
    if kind == "int_domain":
        domain = IntDomain(min=_opt(d, "min"), max=_opt(d, "max"))
    elif kind == "float_domain":
        low, high = tags.float_bounds or (_opt(d, "min"), _opt(d, "max"))
        domain = FloatDomain(
            min=low, max=high, disallow_nan=d.disallow_nan, disallow_inf=d.disallow_inf
        )
    elif kind == "string_domain":
        domain = StringDomain(values=tuple(d.value))
    elif kind == "bool_domain":
        if tags.type is FeatureType.BOOL:
            domain = BoolDomain()
        elif pb_type == "BYTES" and (d.true_value or d.false_value):
            domain = StringDomain(values=tuple(v for v in (d.true_value, d.false_value) if v))
        elif pb_type == "INT":
            domain = IntDomain(min=0, max=1)
    elif kind is not None:
        warnings.warn(f"{where}: {kind} has no datacheck equivalent; dropped", stacklevel=3)
    if tags.type is not None:
        ftype = tags.type
    if tags.time_domain is not None:
        domain = tags.time_domain
    vc = _opt(proto, "value_count")
    value_count: ValueCount | None = None
    if vc is not None and (tags.is_list or not (_opt(vc, "min") == 1 and _opt(vc, "max") == 1)):
        value_count = ValueCount(min=_opt(vc, "min"), max=_opt(vc, "max"))
    presence = _opt(proto, "presence")
    dist = _opt(proto, "distribution_constraints")
    unique = _opt(proto, "unique_constraints")
    stage = pb.LifecycleStage.Name(proto.lifecycle_stage)
    return Feature(
        name=path,
        type=ftype,
        presence=Presence()
        if presence is None
        else Presence(min_fraction=presence.min_fraction, min_count=presence.min_count),
        value_count=value_count,
        domain=domain,
        string_length=tags.string_length,
        pattern=tags.pattern,
        time=tags.time,
        arrow_type=tags.arrow_type,
        missing_drift=tags.missing_drift,
        drift_level=tags.drift_level,
        freshness=tags.freshness,
        distribution=None
        if dist is None
        else DistributionConstraints(
            min_domain_mass=dist.min_domain_mass if dist.HasField("min_domain_mass") else 1.0
        ),
        unique=None
        if unique is None
        else UniqueConstraints(min=_opt(unique, "min"), max=_opt(unique, "max")),
        drift_comparator=_comparator_from_pb(proto, "drift_comparator", where)
        or tags.comparators.get("drift_comparator"),
        skew_comparator=_comparator_from_pb(proto, "skew_comparator", where)
        or tags.comparators.get("skew_comparator"),
        in_environments=tuple(proto.in_environment),
        not_in_environments=tuple(proto.not_in_environment),
        lifecycle=Lifecycle.DEPRECATED
        if proto.deprecated or stage in _DEPRECATED_STAGES
        else Lifecycle.ACTIVE,
        description=" ".join(proto.annotation.comment),
        severity_overrides=tags.severities,
    )


def _features(
    pb: Any, container: Any, prefix: str, named: dict[str, tuple[str, Any]], source: str
) -> list[Feature]:
    out: list[Feature] = []
    for proto in container.feature:
        path = f"{prefix}{proto.name}"
        where = f"{source}: feature {path!r}"
        if pb.FeatureType.Name(proto.type) == "STRUCT":
            out += _features(pb, proto.struct_domain, f"{path}.", named, source)
        else:
            out.append(_feature_from_pb(pb, proto, path, named, where))
    for kind in ("sparse_feature", "weighted_feature"):
        for extra in getattr(container, kind, ()):
            warnings.warn(
                f"{source}: {kind} {prefix}{extra.name!r} has no datacheck equivalent; dropped",
                stacklevel=3,
            )
    return out


def from_tfdv(proto: Any, *, source: str = "<tfdv schema>") -> Schema:
    """The datacheck schema of a TFDV ``schema_pb2.Schema`` message.

    Parts with no datacheck meaning are dropped with a :class:`UserWarning` naming them.

    Raises:
        SchemaFormatError: the message breaks a datacheck rule (min > max, duplicate names) or
            names an undefined domain.
    """
    pb = _pb()
    tags = _tags(proto.annotation.tag, source)
    dc = proto.dataset_constraints
    drift = dc.num_examples_drift_comparator
    schema = Schema(
        features=tuple(_features(pb, proto, "", _named_domains(proto), source)),
        default_environments=tuple(proto.default_environment),
        severity_overrides=tags.severities,
        description=" ".join(proto.annotation.comment),
        version=tags.version or 1,
        row_checks=tags.row_checks,
        unique_keys=tags.unique_keys,
        dataset=DatasetConstraints(
            min_row_count=_opt(dc, "min_examples_count"),
            max_row_count=_opt(dc, "max_examples_count"),
            min_row_count_ratio=_opt(drift, "min_fraction_threshold"),
            max_row_count_ratio=_opt(drift, "max_fraction_threshold"),
        ),
    )
    checked_document(schema, source=f"{source} (as datacheck JSON)")
    return schema


def load_tfdv_schema(path: str | os.PathLike[str]) -> Schema:
    """Read a TFDV ``schema.pbtxt`` (protobuf text format) as a datacheck schema.

    Raises:
        MissingExtraError: tensorflow-metadata is not installed.
        InputNotFoundError: there is no file at ``path``.
        SchemaFormatError: the file is not a valid TFDV schema in text format.
    """
    pb = _pb()
    from google.protobuf import text_format

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputNotFoundError(f"{p}: no such TFDV schema file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read the TFDV schema: {exc}") from None
    message = pb.Schema()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        raise SchemaFormatError(
            f"{p}: not a TFDV schema in protobuf text format: {exc}; fix that line"
        ) from None
    return from_tfdv(message, source=str(p))
