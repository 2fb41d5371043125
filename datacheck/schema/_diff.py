"""Structured differences between two schemas, each classified by what it does to data.

A change is *backward compatible* when data valid under the old schema stays valid under the new
one, and *forward compatible* when data valid under the new schema is valid under the old one;
these are the schema-registry meanings (Confluent, Apicurio) of BACKWARD and FORWARD, where a
reader ignores columns its schema does not list. :func:`check_compatible` applies a mode to a
diff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from datacheck._timebounds import micros
from datacheck.errors import OptionError
from datacheck.schema._model import (
    Comparator,
    DistributionConstraints,
    Domain,
    Feature,
    FloatDomain,
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

__all__ = [
    "ChangeKind",
    "CompatibilityMode",
    "CompatibilityResult",
    "SchemaChange",
    "check_compatible",
    "diff_schemas",
]


class ChangeKind(StrEnum):
    """What a schema change does; ``field`` of the change says where."""

    FEATURE_ADDED = "FEATURE_ADDED"
    FEATURE_REMOVED = "FEATURE_REMOVED"
    TYPE_CHANGED = "TYPE_CHANGED"
    PRESENCE_RAISED = "PRESENCE_RAISED"
    PRESENCE_LOWERED = "PRESENCE_LOWERED"
    #: a bound moved outwards or went away: domain range, value count, unique count, row count
    RANGE_WIDENED = "RANGE_WIDENED"
    #: a bound moved inwards or appeared
    RANGE_NARROWED = "RANGE_NARROWED"
    DOMAIN_ADDED = "DOMAIN_ADDED"
    DOMAIN_REMOVED = "DOMAIN_REMOVED"
    DOMAIN_KIND_CHANGED = "DOMAIN_KIND_CHANGED"
    DOMAIN_VALUES_ADDED = "DOMAIN_VALUES_ADDED"
    DOMAIN_VALUES_REMOVED = "DOMAIN_VALUES_REMOVED"
    #: a check got stricter: NaN/inf disallowed, domain mass raised, comparator added or
    #: threshold lowered, severity raised to error, a deprecated feature made active
    CONSTRAINT_TIGHTENED = "CONSTRAINT_TIGHTENED"
    #: a check got looser: the reverse of the above
    CONSTRAINT_LOOSENED = "CONSTRAINT_LOOSENED"
    COMPARATOR_METHOD_CHANGED = "COMPARATOR_METHOD_CHANGED"
    #: a row check's expression or custom check changed (or it switched between the two):
    #: neither schema's valid data need pass the other's
    ROW_CHECK_CHANGED = "ROW_CHECK_CHANGED"
    #: a feature's pattern became another expression: neither schema's valid data need
    #: match the other's
    PATTERN_CHANGED = "PATTERN_CHANGED"
    ENVIRONMENTS_CHANGED = "ENVIRONMENTS_CHANGED"
    DESCRIPTION_CHANGED = "DESCRIPTION_CHANGED"


class CompatibilityMode(StrEnum):
    """Schema-registry compatibility modes.

    BACKWARD: data written under the old schema is valid under the new one (upgrade consumers
    first). FORWARD: data written under the new schema is valid under the old one (upgrade
    producers first). FULL: both.
    """

    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaChange:
    """One difference between two schemas."""

    kind: ChangeKind
    #: the feature path, or None for a dataset- or schema-level change
    feature: str | None
    #: the part that changed, as a dotted path (``domain.values``, ``presence.min_fraction``)
    field: str
    old: Any
    new: Any
    #: data valid under the old schema stays valid under the new one
    backward_compatible: bool
    #: data valid under the new schema is valid under the old one
    forward_compatible: bool

    @property
    def breaking(self) -> bool:
        """Whether existing data (valid under the old schema) may fail the new one."""
        return not self.backward_compatible

    @property
    def message(self) -> str:
        """A one-line human description."""
        where = f"feature {self.feature!r}" if self.feature is not None else "schema"
        return f"{where}: {self.field}: {_show(self.old)} -> {_show(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of this change."""
        return {
            "kind": str(self.kind),
            "feature": self.feature,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "backward_compatible": self.backward_compatible,
            "forward_compatible": self.forward_compatible,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CompatibilityResult:
    """The answer of :func:`check_compatible`: the mode and the changes that violate it."""

    mode: CompatibilityMode
    violations: tuple[SchemaChange, ...]

    @property
    def compatible(self) -> bool:
        """Whether no change violates the mode."""
        return not self.violations

    def __bool__(self) -> bool:
        return self.compatible


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        shown = ", ".join(repr(v) for v in value[:5])
        more = f", ... ({len(value)} in all)" if len(value) > 5 else ""
        return f"[{shown}{more}]"
    return repr(value) if isinstance(value, str) else str(value)


def _change(
    kind: ChangeKind,
    feature: str | None,
    field: str,
    old: Any,
    new: Any,
    *,
    backward: bool,
    forward: bool,
) -> SchemaChange:
    return SchemaChange(
        kind=kind,
        feature=feature,
        field=field,
        old=old,
        new=new,
        backward_compatible=backward,
        forward_compatible=forward,
    )


def _looser(feature: str | None, field: str, old: Any, new: Any, kind: ChangeKind) -> SchemaChange:
    return _change(kind, feature, field, old, new, backward=True, forward=False)


def _stricter(
    feature: str | None, field: str, old: Any, new: Any, kind: ChangeKind
) -> SchemaChange:
    return _change(kind, feature, field, old, new, backward=False, forward=True)


def _pair(bounds: ValueCount | StringLength | UniqueConstraints | None) -> tuple[Any, Any]:
    """(min, max) of optional bounds; None: unbounded."""
    return (None, None) if bounds is None else (bounds.min, bounds.max)


def _bounds(
    feature: str | None, prefix: str, old: tuple[Any, Any], new: tuple[Any, Any]
) -> list[SchemaChange]:
    """Changes of a (min, max) pair, where None means unbounded."""
    out: list[SchemaChange] = []
    for side, o, n in (("min", old[0], new[0]), ("max", old[1], new[1])):
        if o == n:
            continue
        if o is None:
            wider = False
        elif n is None:
            wider = True
        else:
            wider = n < o if side == "min" else n > o
        field = f"{prefix}.{side}" if prefix else side
        if wider:
            out.append(_looser(feature, field, o, n, ChangeKind.RANGE_WIDENED))
        else:
            out.append(_stricter(feature, field, o, n, ChangeKind.RANGE_NARROWED))
    return out


def _flag(feature: str, field: str, old: bool, new: bool) -> list[SchemaChange]:
    """A 'disallow' flag: turning it on is stricter."""
    if old == new:
        return []
    if new:
        return [_stricter(feature, field, old, new, ChangeKind.CONSTRAINT_TIGHTENED)]
    return [_looser(feature, field, old, new, ChangeKind.CONSTRAINT_LOOSENED)]


def _domain_kind(domain: Domain | None) -> str | None:
    return None if domain is None else type(domain).__name__.removesuffix("Domain").lower()


def _domain_text(domain: Domain | None) -> str | None:
    """A short description of a domain, for DOMAIN_ADDED and DOMAIN_REMOVED changes."""
    if isinstance(domain, IntDomain | FloatDomain | TimeDomain):
        return f"{_domain_kind(domain)} range [{domain.min}, {domain.max}]"
    if isinstance(domain, StringDomain):
        return f"string domain of {len(domain.values)} values"
    return _domain_kind(domain)


def _time_bounds(name: str, old: TimeDomain, new: TimeDomain) -> list[SchemaChange]:
    """A time range's changes, as for an int range: a later min or an earlier max narrows.
    Bounds compare as instants, not as text (``2007-11-01`` and ``2007-11-01T00:00:00`` are
    one bound; offsets differ in text, not in order); the changes show the text."""

    def instant(text: str | None) -> int | None:
        return None if text is None else micros(dt.datetime.fromisoformat(text))

    changes = _bounds(
        name,
        "domain",
        (instant(old.min), instant(old.max)),
        (instant(new.min), instant(new.max)),
    )
    text = {"domain.min": (old.min, new.min), "domain.max": (old.max, new.max)}
    return [replace(c, old=text[c.field][0], new=text[c.field][1]) for c in changes]


def _domain(name: str, old: Domain | None, new: Domain | None) -> list[SchemaChange]:
    if old == new:
        return []
    if old is None:
        return [_stricter(name, "domain", None, _domain_text(new), ChangeKind.DOMAIN_ADDED)]
    if new is None:
        return [_looser(name, "domain", _domain_text(old), None, ChangeKind.DOMAIN_REMOVED)]
    if type(old) is not type(new):
        return [
            _change(
                ChangeKind.DOMAIN_KIND_CHANGED,
                name,
                "domain.kind",
                _domain_kind(old),
                _domain_kind(new),
                backward=False,
                forward=False,
            )
        ]
    if isinstance(old, StringDomain) and isinstance(new, StringDomain):
        out: list[SchemaChange] = []
        added = sorted(set(new.values) - set(old.values))
        removed = sorted(set(old.values) - set(new.values))
        if added:
            out.append(_looser(name, "domain.values", [], added, ChangeKind.DOMAIN_VALUES_ADDED))
        if removed:
            out.append(
                _stricter(name, "domain.values", removed, [], ChangeKind.DOMAIN_VALUES_REMOVED)
            )
        return out
    if isinstance(old, IntDomain) and isinstance(new, IntDomain):
        return _bounds(name, "domain", (old.min, old.max), (new.min, new.max))
    if isinstance(old, TimeDomain) and isinstance(new, TimeDomain):
        return _time_bounds(name, old, new)
    if isinstance(old, FloatDomain) and isinstance(new, FloatDomain):
        return (
            _bounds(name, "domain", (old.min, old.max), (new.min, new.max))
            + _flag(name, "domain.disallow_nan", old.disallow_nan, new.disallow_nan)
            + _flag(name, "domain.disallow_inf", old.disallow_inf, new.disallow_inf)
        )
    return []


def _presence(name: str, old: Presence, new: Presence) -> list[SchemaChange]:
    out: list[SchemaChange] = []
    for field, o, n in (
        ("presence.min_fraction", old.min_fraction, new.min_fraction),
        ("presence.min_count", old.min_count, new.min_count),
    ):
        if n > o:
            out.append(_stricter(name, field, o, n, ChangeKind.PRESENCE_RAISED))
        elif n < o:
            out.append(_looser(name, field, o, n, ChangeKind.PRESENCE_LOWERED))
    return out


def _distribution(
    name: str, old: DistributionConstraints | None, new: DistributionConstraints | None
) -> list[SchemaChange]:
    # No distribution constraint checks nothing, like a minimum domain mass of 0.
    o = 0.0 if old is None else old.min_domain_mass
    n = 0.0 if new is None else new.min_domain_mass
    field = "distribution.min_domain_mass"
    if n > o:
        return [_stricter(name, field, o, n, ChangeKind.CONSTRAINT_TIGHTENED)]
    if n < o:
        return [_looser(name, field, o, n, ChangeKind.CONSTRAINT_LOOSENED)]
    return []


def _comparator(
    name: str, field: str, old: Comparator | None, new: Comparator | None
) -> list[SchemaChange]:
    if old == new:
        return []
    show_old = None if old is None else f"{old.method} <= {old.threshold}"
    show_new = None if new is None else f"{new.method} <= {new.threshold}"
    if old is None:
        return [_stricter(name, field, show_old, show_new, ChangeKind.CONSTRAINT_TIGHTENED)]
    if new is None:
        return [_looser(name, field, show_old, show_new, ChangeKind.CONSTRAINT_LOOSENED)]
    if old.method != new.method:
        return [
            _change(
                ChangeKind.COMPARATOR_METHOD_CHANGED,
                name,
                f"{field}.method",
                str(old.method),
                str(new.method),
                backward=False,
                forward=False,
            )
        ]
    sub = f"{field}.threshold"
    if new.threshold > old.threshold:
        return [_looser(name, sub, old.threshold, new.threshold, ChangeKind.CONSTRAINT_LOOSENED)]
    return [_stricter(name, sub, old.threshold, new.threshold, ChangeKind.CONSTRAINT_TIGHTENED)]


def _missing_drift(
    name: str, old: MissingDrift | None, new: MissingDrift | None
) -> list[SchemaChange]:
    if old == new:
        return []
    field = "missing_drift"
    if old is None or new is None:
        show_old = None if old is None else f"cohens_h <= {old.threshold}"
        show_new = None if new is None else f"cohens_h <= {new.threshold}"
        if old is None:
            return [_stricter(name, field, show_old, show_new, ChangeKind.CONSTRAINT_TIGHTENED)]
        return [_looser(name, field, show_old, show_new, ChangeKind.CONSTRAINT_LOOSENED)]
    sub = f"{field}.threshold"
    if new.threshold > old.threshold:
        return [_looser(name, sub, old.threshold, new.threshold, ChangeKind.CONSTRAINT_LOOSENED)]
    return [_stricter(name, sub, old.threshold, new.threshold, ChangeKind.CONSTRAINT_TIGHTENED)]


#: drift levels in order of strictness
_DRIFT_RANK = {"off": 0, "warning": 1, "error": 2}


def _drift_level(name: str, old: Feature, new: Feature) -> list[SchemaChange]:
    """A drift level raised (towards error) is tightened, lowered is loosened."""
    o, n = old.drift_level, new.drift_level
    if o == n:
        return []
    if _DRIFT_RANK.get(n, 2) > _DRIFT_RANK.get(o, 2):
        return [_stricter(name, "drift_level", o, n, ChangeKind.CONSTRAINT_TIGHTENED)]
    return [_looser(name, "drift_level", o, n, ChangeKind.CONSTRAINT_LOOSENED)]


def _freshness(name: str, old: Feature, new: Feature) -> list[SchemaChange]:
    """Freshness added, or its stale share lowered, is tightened; the reverse loosened."""
    o, n = old.freshness, new.freshness
    if o == n:
        return []
    show_o = None if o is None else f"stale <= {o.max_stale_fraction}"
    show_n = None if n is None else f"stale <= {n.max_stale_fraction}"
    if o is None or (n is not None and n.max_stale_fraction < o.max_stale_fraction):
        return [_stricter(name, "freshness", show_o, show_n, ChangeKind.CONSTRAINT_TIGHTENED)]
    return [_looser(name, "freshness", show_o, show_n, ChangeKind.CONSTRAINT_LOOSENED)]


#: severities in order of strictness; a code with no override keeps its default, which for
#: almost every code is "error", so a missing override ranks as error
_SEVERITY_RANK = {"warning": 0, "error": 1}


def _severities(
    feature: str | None, prefix: str, old: dict[str, str], new: dict[str, str]
) -> list[SchemaChange]:
    out: list[SchemaChange] = []
    for code in sorted(set(old) | set(new)):
        o, n = old.get(code), new.get(code)
        if o == n:
            continue
        ro, rn = _SEVERITY_RANK.get(o or "error", 1), _SEVERITY_RANK.get(n or "error", 1)
        field = f"{prefix}.{code}"
        if rn > ro:
            out.append(_stricter(feature, field, o, n, ChangeKind.CONSTRAINT_TIGHTENED))
        elif rn < ro:
            out.append(_looser(feature, field, o, n, ChangeKind.CONSTRAINT_LOOSENED))
        else:
            # An explicit "error" added or removed where the default is already error.
            out.append(
                _change(
                    ChangeKind.DESCRIPTION_CHANGED,
                    feature,
                    field,
                    o,
                    n,
                    backward=True,
                    forward=True,
                )
            )
    return out


def _environments(name: str, old: Feature, new: Feature) -> list[SchemaChange]:
    out: list[SchemaChange] = []
    for field in ("in_environments", "not_in_environments"):
        o, n = getattr(old, field), getattr(new, field)
        if set(o) != set(n):
            # Where a feature is expected moves both ways at once in general, so neither
            # direction is safe to assume.
            out.append(
                _change(
                    ChangeKind.ENVIRONMENTS_CHANGED,
                    name,
                    field,
                    sorted(o),
                    sorted(n),
                    backward=False,
                    forward=False,
                )
            )
    return out


def _time_text(time: TimeType) -> str:
    return time.unit if time.zone is None else f"{time.unit}, tz={time.zone}"


def _time(name: str, old: TimeType | None, new: TimeType | None) -> list[SchemaChange]:
    """A recorded unit and zone is a constraint; a zone change breaks both ways (validation
    calls it an error), a unit change neither (a warning only)."""
    if old == new:
        return []
    if old is None or new is None:
        shown_old = None if old is None else _time_text(old)
        shown_new = None if new is None else _time_text(new)
        if old is None:
            return [_stricter(name, "time", None, shown_new, ChangeKind.CONSTRAINT_TIGHTENED)]
        return [_looser(name, "time", shown_old, None, ChangeKind.CONSTRAINT_LOOSENED)]
    out: list[SchemaChange] = []
    if old.zone != new.zone:
        out.append(
            _change(
                ChangeKind.TYPE_CHANGED,
                name,
                "time.zone",
                old.zone,
                new.zone,
                backward=False,
                forward=False,
            )
        )
    if old.unit != new.unit:
        out.append(
            _change(
                ChangeKind.TYPE_CHANGED,
                name,
                "time.unit",
                old.unit,
                new.unit,
                backward=True,
                forward=True,
            )
        )
    return out


def _optional(feature: Feature) -> bool:
    return feature.presence.min_fraction == 0.0 and feature.presence.min_count == 0


def _feature(old: Feature, new: Feature) -> list[SchemaChange]:
    name = old.name
    if old.type != new.type:
        # The other parts cannot be compared across types.
        return [
            _change(
                ChangeKind.TYPE_CHANGED,
                name,
                "type",
                str(old.type),
                str(new.type),
                backward=False,
                forward=False,
            )
        ]
    if old.arrow_type != new.arrow_type:
        # A skipped column's Arrow type is its type.
        return [
            _change(
                ChangeKind.TYPE_CHANGED,
                name,
                "arrow_type",
                old.arrow_type,
                new.arrow_type,
                backward=False,
                forward=False,
            )
        ]
    out = _time(name, old.time, new.time)
    out += _presence(name, old.presence, new.presence)
    out += _bounds(name, "value_count", _pair(old.value_count), _pair(new.value_count))
    out += _domain(name, old.domain, new.domain)
    out += _bounds(name, "string_length", _pair(old.string_length), _pair(new.string_length))
    out += _pattern(name, old.pattern, new.pattern)
    out += _distribution(name, old.distribution, new.distribution)
    out += _bounds(name, "unique", _pair(old.unique), _pair(new.unique))
    out += _comparator(name, "drift_comparator", old.drift_comparator, new.drift_comparator)
    out += _comparator(name, "skew_comparator", old.skew_comparator, new.skew_comparator)
    out += _missing_drift(name, old.missing_drift, new.missing_drift)
    out += _drift_level(name, old, new)
    out += _freshness(name, old, new)
    out += _environments(name, old, new)
    if old.lifecycle != new.lifecycle:
        if new.lifecycle is Lifecycle.DEPRECATED:
            out.append(
                _looser(
                    name,
                    "lifecycle",
                    str(old.lifecycle),
                    str(new.lifecycle),
                    ChangeKind.CONSTRAINT_LOOSENED,
                )
            )
        else:
            out.append(
                _stricter(
                    name,
                    "lifecycle",
                    str(old.lifecycle),
                    str(new.lifecycle),
                    ChangeKind.CONSTRAINT_TIGHTENED,
                )
            )
    if old.description != new.description:
        out.append(
            _change(
                ChangeKind.DESCRIPTION_CHANGED,
                name,
                "description",
                old.description,
                new.description,
                backward=True,
                forward=True,
            )
        )
    out += _severities(
        name, "severity_overrides", dict(old.severity_overrides), dict(new.severity_overrides)
    )
    return out


def _row_check(old: RowCheck, new: RowCheck) -> list[SchemaChange]:
    """The changes of one row check kept under its name."""
    field = f"row_checks.{old.name}"
    out: list[SchemaChange] = []
    what_old, what_new = old.expression or old.check, new.expression or new.check
    if (old.expression, old.check) != (new.expression, new.check):
        out.append(
            _change(
                ChangeKind.ROW_CHECK_CHANGED,
                None,
                field,
                what_old,
                what_new,
                backward=False,
                forward=False,
            )
        )
    # No tolerance is an exact comparison: a tolerance of 0.
    low, high = old.tolerance or 0.0, new.tolerance or 0.0
    if low != high:
        kind, make = (
            (ChangeKind.CONSTRAINT_LOOSENED, _looser)
            if high > low
            else (ChangeKind.CONSTRAINT_TIGHTENED, _stricter)
        )
        out.append(make(None, f"{field}.tolerance", old.tolerance, new.tolerance, kind))
    if old.on_null != new.on_null:
        kind, make = (
            (ChangeKind.CONSTRAINT_TIGHTENED, _stricter)
            if new.on_null == "fail"
            else (ChangeKind.CONSTRAINT_LOOSENED, _looser)
        )
        out.append(make(None, f"{field}.on_null", old.on_null, new.on_null, kind))
    if old.description != new.description:
        out.append(
            _change(
                ChangeKind.DESCRIPTION_CHANGED,
                None,
                f"{field}.description",
                old.description,
                new.description,
                backward=True,
                forward=True,
            )
        )
    return out


def _row_checks(old: tuple[RowCheck, ...], new: tuple[RowCheck, ...]) -> list[SchemaChange]:
    """Row checks matched by name: an added one tightens, a removed one loosens."""
    out: list[SchemaChange] = []
    by_name = {c.name: c for c in new}
    old_names = {c.name for c in old}
    for c in old:
        d = by_name.get(c.name)
        if d is None:
            out.append(
                _looser(
                    None,
                    f"row_checks.{c.name}",
                    c.expression or c.check,
                    None,
                    ChangeKind.CONSTRAINT_LOOSENED,
                )
            )
        else:
            out += _row_check(c, d)
    for d in new:
        if d.name not in old_names:
            out.append(
                _stricter(
                    None,
                    f"row_checks.{d.name}",
                    None,
                    d.expression or d.check,
                    ChangeKind.CONSTRAINT_TIGHTENED,
                )
            )
    return out


def _pattern(name: str, old: StringPattern | None, new: StringPattern | None) -> list[SchemaChange]:
    """A pattern added tightens, removed loosens, another expression is neither; a higher
    allowed mismatch share loosens."""
    if old == new:
        return []
    if old is None or new is None:
        make, kind = (
            (_stricter, ChangeKind.CONSTRAINT_TIGHTENED)
            if old is None
            else (_looser, ChangeKind.CONSTRAINT_LOOSENED)
        )
        return [make(name, "pattern", old and old.regex, new and new.regex, kind)]
    out: list[SchemaChange] = []
    if old.regex != new.regex:
        out.append(
            _change(
                ChangeKind.PATTERN_CHANGED,
                name,
                "pattern",
                old.regex,
                new.regex,
                backward=False,
                forward=False,
            )
        )
    low, high = old.max_mismatch_fraction, new.max_mismatch_fraction
    if low != high:
        make, kind = (
            (_looser, ChangeKind.CONSTRAINT_LOOSENED)
            if high > low
            else (_stricter, ChangeKind.CONSTRAINT_TIGHTENED)
        )
        out.append(make(name, "pattern.max_mismatch_fraction", low, high, kind))
    return out


def _unique_keys(
    old: tuple[tuple[str, ...], ...], new: tuple[tuple[str, ...], ...]
) -> list[SchemaChange]:
    """Keys matched as sets of features (the order of a key's parts does not change what is
    unique): an added key tightens, a removed one loosens."""
    old_sets, new_sets = {frozenset(k) for k in old}, {frozenset(k) for k in new}
    out = [
        _looser(None, "unique_keys", list(k), None, ChangeKind.CONSTRAINT_LOOSENED)
        for k in old
        if frozenset(k) not in new_sets
    ]
    out += [
        _stricter(None, "unique_keys", None, list(k), ChangeKind.CONSTRAINT_TIGHTENED)
        for k in new
        if frozenset(k) not in old_sets
    ]
    return out


def diff_schemas(a: Schema, b: Schema) -> list[SchemaChange]:
    """Every difference from schema ``a`` (old) to schema ``b`` (new), classified.

    Features are matched by path; their order and the ``version`` number are not compared.
    Schema-level changes come first, then features in the order of ``a``, then added features
    in the order of ``b``.
    """
    out: list[SchemaChange] = []
    da, db = a.dataset, b.dataset
    out += _bounds(
        None,
        "dataset.row_count",
        (da.min_row_count, da.max_row_count),
        (db.min_row_count, db.max_row_count),
    )
    out += _bounds(
        None,
        "dataset.row_count_ratio",
        (da.min_row_count_ratio, da.max_row_count_ratio),
        (db.min_row_count_ratio, db.max_row_count_ratio),
    )
    if set(a.default_environments) != set(b.default_environments):
        out.append(
            _change(
                ChangeKind.ENVIRONMENTS_CHANGED,
                None,
                "default_environments",
                sorted(a.default_environments),
                sorted(b.default_environments),
                backward=False,
                forward=False,
            )
        )
    out += _severities(
        None, "severity_overrides", dict(a.severity_overrides), dict(b.severity_overrides)
    )
    if a.description != b.description:
        out.append(
            _change(
                ChangeKind.DESCRIPTION_CHANGED,
                None,
                "description",
                a.description,
                b.description,
                backward=True,
                forward=True,
            )
        )
    out += _row_checks(a.row_checks, b.row_checks)
    out += _unique_keys(a.unique_keys, b.unique_keys)
    new_by_name = {f.name: f for f in b.features}
    old_names = set(a.feature_names)
    for f in a.features:
        g = new_by_name.get(f.name)
        if g is None:
            # Readers ignore a column their schema does not list, so dropping a feature only
            # breaks old readers that required it.
            out.append(
                _change(
                    ChangeKind.FEATURE_REMOVED,
                    f.name,
                    "feature",
                    str(f.type),
                    None,
                    backward=True,
                    forward=_optional(f),
                )
            )
        else:
            out += _feature(f, g)
    for g in b.features:
        if g.name not in old_names:
            out.append(
                _change(
                    ChangeKind.FEATURE_ADDED,
                    g.name,
                    "feature",
                    None,
                    str(g.type),
                    backward=_optional(g),
                    forward=True,
                )
            )
    return out


def check_compatible(
    old: Schema, new: Schema, mode: CompatibilityMode | str = CompatibilityMode.BACKWARD
) -> CompatibilityResult:
    """Whether changing ``old`` into ``new`` is allowed under a schema-registry ``mode``.

    Args:
        old: the registered schema.
        new: the proposed schema.
        mode: BACKWARD (old data stays valid), FORWARD (new data is valid under the old
            schema) or FULL (both).

    Returns:
        The mode and the changes that violate it; truthy when compatible.

    Raises:
        OptionError: ``mode`` is not one of the three.
    """
    try:
        m = CompatibilityMode(str(mode).upper())
    except ValueError:
        raise OptionError(
            f"unknown compatibility mode {mode!r}; use one of BACKWARD, FORWARD, FULL"
        ) from None
    changes = diff_schemas(old, new)
    violations = tuple(
        c
        for c in changes
        if (m is not CompatibilityMode.FORWARD and not c.backward_compatible)
        or (m is not CompatibilityMode.BACKWARD and not c.forward_compatible)
    )
    return CompatibilityResult(mode=m, violations=violations)
