"""violating: data that breaks exactly one constraint of a schema, and the anomaly it must give.

Each kind of violation is a :class:`_Kind`: whether the schema allows it (a feature with no
range has no range to leave), and how to draw it. A kind draws a table that satisfies the
schema everywhere else (the same construction as :func:`from_schema`, with the row count or
one feature's presence pinned), then breaks its one constraint: a value outside a range, a
list one value too long, a column of the wrong type or time zone, a dropped column, too few
rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.errors import OptionError
from datacheck.schema import Feature, FloatDomain, IntDomain, Schema, StringDomain, TimeDomain
from datacheck.testing._from_schema import SchemaStrategies, TableDraw
from datacheck.testing._plan import FeaturePlan
from datacheck.testing._time_values import outside_times
from datacheck.testing._values import DECIMAL_LIMIT, INT64_MAX, INT64_MIN
from datacheck.validate import AnomalyCode

__all__ = ["MAX_VIOLATION_ROWS", "Violation", "violating"]

C = AnomalyCode

#: the most rows a violation's table may need (a tiny presence fraction needs many rows)
MAX_VIOLATION_ROWS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """Data that breaks one constraint, and what validation must say about it."""

    #: the data: it satisfies every other constraint of the schema
    table: pa.Table
    #: the anomaly code :func:`~datacheck.validate.validate_statistics` reports (for a row
    #: check, ``ROW_CHECK_FAILED``: :func:`~datacheck.validate.check_dataset` reports it, as
    #: no profile can)
    code: AnomalyCode
    #: the feature path of that anomaly; None for a dataset-level one (row counts)
    path: str | None
    #: the code :func:`~datacheck.validate.validate_batches` gives the broken rows; None when
    #: the constraint is about the dataset, which no single row breaks
    row_code: AnomalyCode | None
    #: the rows (indices into ``table``) that break the constraint; empty when ``row_code`` is
    #: None
    rows: tuple[int, ...]
    #: what was broken, in words (shown by hypothesis when a test fails)
    description: str


Draw = Callable[[st.DrawFn], Violation]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Kind:
    description: str
    draw: Draw


# --- helpers -----------------------------------------------------------------------------------


def _first_present(column: list[Any], *, nonempty: bool) -> int | None:
    for i, v in enumerate(column):
        if v is not None and (not nonempty or not isinstance(v, list) or v):
            return i
    return None


def _other_string(domain: StringDomain) -> str:
    taken = set(domain.values)
    i = 0
    while f"x{i}" in taken:
        i += 1
    return f"x{i}"


def _below(x: float) -> float:
    y = x - 1.0
    return y if y < x else math.nextafter(x, -math.inf)


def _above(x: float) -> float:
    y = x + 1.0
    return y if y > x else math.nextafter(x, math.inf)


class _Builder:
    """Draws the table of a violation: valid everywhere, then changed in one place."""

    def __init__(self, strategies: SchemaStrategies) -> None:
        self.s = strategies
        self.plans = {p.feature.name: p for p in strategies.plans}
        self.checked = [p for p in strategies.plans if p.checked]
        d = strategies.schema.dataset
        self.schema_low = d.min_row_count or 0
        self.schema_high = d.max_row_count

    def needed(self, *, without: str | None = None) -> int:
        """Rows every checked feature but ``without`` needs, and the schema's minimum."""
        rows = [p.rows_needed() for p in self.checked if p.feature.name != without]
        return max([self.schema_low, 1, *rows])

    def high(self) -> int:
        cap = max(self.needed(), 8)
        return cap if self.schema_high is None else min(cap, self.schema_high)

    def table(
        self,
        draw: st.DrawFn,
        num_rows: int,
        *,
        overrides: dict[str, FeaturePlan] | None = None,
        exact: dict[str, int] | None = None,
    ) -> TableDraw:
        return self.s.draw_table(draw, num_rows, overrides=overrides, exact=exact)

    def at_least_one_value(self, plan: FeaturePlan, *, values: bool = True) -> FeaturePlan:
        """``plan`` with at least one present row, holding a value when ``values``."""
        f = plan.feature
        presence = replace(f.presence, min_count=max(f.presence.min_count, 1))
        low = max(plan.length_low, 1) if plan.is_list and values else plan.length_low
        return replace(plan, feature=replace(f, presence=presence), length_low=low)


def _violation(
    drawn: TableDraw,
    code: AnomalyCode,
    path: str | None,
    row_code: AnomalyCode | None,
    rows: list[int],
    description: str,
) -> Violation:
    return Violation(
        table=drawn.table(),
        code=code,
        path=path,
        row_code=row_code,
        rows=tuple(rows) if row_code is not None else (),
        description=description,
    )


# --- value violations (a value outside the domain) -----------------------------------------


def _bad_values(f: Feature) -> list[tuple[Any, AnomalyCode, str]]:
    """(value, code, description) for each way one value of ``f`` can leave its domain."""
    d, t = f.domain, f.type
    out: list[tuple[Any, AnomalyCode, str]] = []
    if isinstance(d, IntDomain) and t is FeatureType.INT:
        if d.min is not None and d.min - 1 >= INT64_MIN:
            out.append((d.min - 1, C.INT_TYPE_SMALL_INT, f"{f.name} below its int min {d.min}"))
        if d.max is not None and d.max + 1 <= INT64_MAX:
            out.append((d.max + 1, C.INT_TYPE_BIG_INT, f"{f.name} above its int max {d.max}"))
    elif isinstance(d, FloatDomain) and t is FeatureType.FLOAT:
        low = d.min if d.min is not None and math.isfinite(d.min) else None
        high = d.max if d.max is not None and math.isfinite(d.max) else None
        if low is not None and math.isfinite(_below(low)):
            out.append((_below(low), C.FLOAT_TYPE_SMALL_FLOAT, f"{f.name} below its min {low}"))
        if high is not None and math.isfinite(_above(high)):
            out.append((_above(high), C.FLOAT_TYPE_BIG_FLOAT, f"{f.name} above its max {high}"))
        if d.disallow_nan:
            out.append((math.nan, C.FLOAT_TYPE_HAS_NAN, f"{f.name} NaN though disallowed"))
        if d.disallow_inf and d.max is None:
            out.append((math.inf, C.FLOAT_TYPE_HAS_INF, f"{f.name} +inf though disallowed"))
        elif d.disallow_inf and d.min is None:
            out.append((-math.inf, C.FLOAT_TYPE_HAS_INF, f"{f.name} -inf though disallowed"))
    elif isinstance(d, FloatDomain) and t is FeatureType.DECIMAL:
        if d.min is not None and -DECIMAL_LIMIT < d.min - 1 < DECIMAL_LIMIT:
            value = Decimal(math.floor(d.min) - 1)
            out.append((value, C.FLOAT_TYPE_SMALL_FLOAT, f"{f.name} below its min {d.min}"))
        if d.max is not None and -DECIMAL_LIMIT < d.max + 1 < DECIMAL_LIMIT:
            value = Decimal(math.ceil(d.max) + 1)
            out.append((value, C.FLOAT_TYPE_BIG_FLOAT, f"{f.name} above its max {d.max}"))
    elif isinstance(d, TimeDomain) and t in (FeatureType.DATE, FeatureType.TIMESTAMP):
        codes = {"min": C.TIME_TYPE_EARLY_TIME, "max": C.TIME_TYPE_LATE_TIME}
        for moment, side in outside_times(f):
            where = "before its min" if side == "min" else "after its max"
            out.append((moment, codes[side], f"{f.name} {moment} {where} {getattr(d, side)}"))
    elif isinstance(d, StringDomain) and t in (FeatureType.STRING, FeatureType.BYTES):
        mass = 1.0 if f.distribution is None else f.distribution.min_domain_mass
        if mass > 0:
            text = _other_string(d)
            outside: str | bytes = text.encode() if t is FeatureType.BYTES else text
            out.append(
                (
                    outside,
                    C.ENUM_TYPE_UNEXPECTED_STRING_VALUES,
                    f"{f.name} value {text!r} not in its domain",
                )
            )
    sl = f.string_length
    if sl is not None and t is FeatureType.STRING and not isinstance(d, StringDomain):
        # (With a string domain a value of the wrong length would also leave the domain.)
        if sl.min is not None and sl.min >= 1:
            out.append(
                (
                    "x" * (sl.min - 1),
                    C.STRING_TYPE_SHORT_STRING,
                    f"{f.name} a value of {sl.min - 1} characters, min {sl.min}",
                )
            )
        if sl.max is not None:
            out.append(
                (
                    "x" * (sl.max + 1),
                    C.STRING_TYPE_LONG_STRING,
                    f"{f.name} a value of {sl.max + 1} characters, max {sl.max}",
                )
            )
    return out


def _value_kind(b: _Builder, plan: FeaturePlan, value: Any, code: AnomalyCode, what: str) -> _Kind:
    name = plan.feature.name
    # A bytes profile keeps no values: validate_statistics can only say it could not check.
    stats_code = C.STATS_NOT_AVAILABLE if plan.feature.type is FeatureType.BYTES else code
    mass = 1.0 if plan.feature.distribution is None else plan.feature.distribution.min_domain_mass
    # Below full domain mass only a share of outside values fails: make them all outside.
    every = code is C.ENUM_TYPE_UNEXPECTED_STRING_VALUES and mass < 1.0

    def draw_it(draw: st.DrawFn) -> Violation:
        one = b.at_least_one_value(plan)
        n = draw(st.integers(max(b.needed(), one.rows_needed()), max(b.high(), b.needed())))
        drawn = b.table(draw, n, overrides={name: one})
        column = drawn.columns[name]
        first = _first_present(column, nonempty=True)
        assert first is not None
        rows = [first]
        for i, v in enumerate(column):
            if v is None or (isinstance(v, list) and not v):
                continue
            if every or i == first or draw(st.booleans()):
                if i not in rows:
                    rows.append(i)
                column[i] = (
                    [value] * len(v)
                    if every and isinstance(v, list)
                    else ([value, *v[1:]] if isinstance(v, list) else value)
                )
        return _violation(drawn, stats_code, name, code, sorted(rows), what)

    return _Kind(description=what, draw=draw_it)


# --- list lengths ----------------------------------------------------------------------------


def _length_kinds(b: _Builder, plan: FeaturePlan) -> list[_Kind]:
    vc, name = plan.feature.value_count, plan.feature.name
    if vc is None:
        return []
    kinds = []
    if vc.min is not None and vc.min >= 1:
        kinds.append(
            _length_kind(
                b,
                plan,
                vc.min - 1,
                C.FEATURE_TYPE_LOW_NUMBER_VALUES,
                f"{name} a list of {vc.min - 1} values, min {vc.min}",
            )
        )
    if vc.max is not None and plan.size > 0:
        kinds.append(
            _length_kind(
                b,
                plan,
                vc.max + 1,
                C.FEATURE_TYPE_HIGH_NUMBER_VALUES,
                f"{name} a list of {vc.max + 1} values, max {vc.max}",
            )
        )
    return kinds


def _length_kind(
    b: _Builder, plan: FeaturePlan, length: int, code: AnomalyCode, what: str
) -> _Kind:
    name = plan.feature.name

    def draw_it(draw: st.DrawFn) -> Violation:
        one = b.at_least_one_value(plan, values=False)
        n = draw(st.integers(max(b.needed(), one.rows_needed()), max(b.high(), b.needed())))
        drawn = b.table(draw, n, overrides={name: one})
        column = drawn.columns[name]
        row = _first_present(column, nonempty=False)
        assert row is not None
        values = column[row]
        # Shorter: keep a prefix. Longer: add values the domain allows.
        extra = length - len(values)
        column[row] = (
            values[:length]
            if extra < 0
            else values + draw(st.lists(plan.values, min_size=extra, max_size=extra))
        )
        return _violation(drawn, code, name, code, [row], what)

    return _Kind(description=what, draw=draw_it)


# --- types -----------------------------------------------------------------------------------


def _type_kind(b: _Builder, plan: FeaturePlan) -> _Kind:
    f = plan.feature
    name = f.name
    text_like = f.type in (FeatureType.STRING, FeatureType.BYTES)
    # A value no coercion reads as the feature's type: text for numbers, bools, dates; an int
    # for text.
    wrong, wrong_type = (7, pa.int64()) if text_like else ("x", pa.string())
    row_code = (
        C.BOOL_TYPE_UNEXPECTED_STRING if f.type is FeatureType.BOOL else (C.UNEXPECTED_DATA_TYPE)
    )
    what = f"{name} holds {wrong_type} values, expected {f.type}"

    def draw_it(draw: st.DrawFn) -> Violation:
        n = draw(st.integers(b.needed(), max(b.high(), b.needed())))
        drawn = b.table(draw, n)
        column = drawn.columns[name]
        if plan.is_list:
            new: list[Any] = [None if v is None else [wrong] * len(v) for v in column]
            if _first_present(new, nonempty=True) is None and plan.length_high != 0:
                # Every list is empty or missing: give the first row values (presence and
                # lengths allow it), so that a row shows the wrong type.
                new[0] = [wrong] * max(1, plan.length_low)
        else:
            new = [None if v is None else wrong for v in column]
            if all(v is None for v in new):
                new[0] = wrong
        drawn.columns[name] = new
        drawn.types[name] = pa.list_(wrong_type) if plan.is_list else wrong_type
        rows = [i for i, v in enumerate(new) if v is not None and v != []]
        # Text where no value reads as a bool is a type change for the profile; row checks
        # name the unreadable text.
        return _violation(
            drawn, C.UNEXPECTED_DATA_TYPE, name, row_code if rows else None, rows, what
        )

    return _Kind(description=what, draw=draw_it)


# --- time zones ------------------------------------------------------------------------------


def _zone_kinds(b: _Builder, plan: FeaturePlan) -> list[_Kind]:
    """A timestamp column in another zone than the schema records (naive if it is zoned)."""
    f = plan.feature
    if f.type is not FeatureType.TIMESTAMP or f.time is None:
        return []
    unit, other = f.time.unit, "Asia/Tokyo" if f.time.zone is None else None
    what = f"{f.name} in time zone {other}, expected {f.time.zone}"

    def draw_it(draw: st.DrawFn) -> Violation:
        n = draw(st.integers(b.needed(), max(b.high(), b.needed())))
        drawn = b.table(draw, n)
        moved = pa.timestamp(unit, tz=other)
        drawn.types[f.name] = pa.list_(moved) if plan.is_list else moved
        rows = [i for i, v in enumerate(drawn.columns[f.name]) if v is not None and v != []]
        code = C.TIMESTAMP_TIME_ZONE_CHANGED
        return _violation(drawn, code, f.name, code if rows else None, rows, what)

    return [_Kind(description=what, draw=draw_it)]


# --- presence --------------------------------------------------------------------------------


def _presence_kinds(b: _Builder, plan: FeaturePlan) -> list[_Kind]:
    f, name = plan.feature, plan.feature.name
    p = f.presence
    kinds: list[_Kind] = []
    required = p.required
    row_code = C.FEATURE_TYPE_NOT_PRESENT if required else None
    wants = p.min_fraction > 0 or p.min_count > 0
    others = [q for q in b.checked if q.feature.name != name]
    if wants and others:
        kinds.append(_missing_kind(b, plan))
    if wants and plan.distinct_low == 0:
        what = f"{name} missing in every row"

        def no_values(draw: st.DrawFn) -> Violation:
            n = draw(st.integers(b.needed(without=name), max(b.high(), b.needed(without=name))))
            drawn = b.table(draw, n, exact={name: 0})
            return _violation(
                drawn, C.FEATURE_TYPE_NOT_PRESENT, name, row_code, list(range(n)), what
            )

        kinds.append(_Kind(description=what, draw=no_values))
    kf = max(p.min_count, plan.rows_for_values(plan.distinct_low), 1)
    if p.min_fraction > 0 and kf / p.min_fraction < MAX_VIOLATION_ROWS:
        nf = max(math.floor(kf / p.min_fraction) + 1, b.needed(without=name))
        while kf / nf >= p.min_fraction:
            nf += 1
        high = (
            MAX_VIOLATION_ROWS if b.schema_high is None else min(MAX_VIOLATION_ROWS, b.schema_high)
        )
        if nf <= high:
            kinds.append(
                _pinned_presence(
                    b,
                    name,
                    kf,
                    nf,
                    C.FEATURE_TYPE_LOW_FRACTION_PRESENT,
                    row_code,
                    f"{name} present in {kf} of {nf} rows, min fraction {p.min_fraction}",
                )
            )
    if p.min_count >= 2 and plan.rows_for_values(plan.distinct_low) <= p.min_count - 1:
        kc = p.min_count - 1
        nc = max(b.needed(without=name), kc)
        # More rows than present ones may break the fraction; then this kind is not offered.
        if kc / nc >= p.min_fraction and (b.schema_high is None or nc <= b.schema_high):
            kinds.append(
                _pinned_presence(
                    b,
                    name,
                    kc,
                    nc,
                    C.FEATURE_TYPE_LOW_NUMBER_PRESENT,
                    row_code,
                    f"{name} present in {kc} rows, min count {p.min_count}",
                )
            )
    return kinds


def _pinned_presence(
    b: _Builder,
    name: str,
    present: int,
    rows: int,
    code: AnomalyCode,
    row_code: AnomalyCode | None,
    what: str,
) -> _Kind:
    """``rows`` rows of which exactly the first ``present`` hold feature ``name``."""

    def draw_it(draw: st.DrawFn) -> Violation:
        drawn = b.table(draw, rows, exact={name: present})
        return _violation(drawn, code, name, row_code, list(range(present, rows)), what)

    return _Kind(description=what, draw=draw_it)


def _missing_kind(b: _Builder, plan: FeaturePlan) -> _Kind:
    name = plan.feature.name
    # A missing column is the dataset's anomaly; rows fail for it only with strict_columns.
    row_code = None
    what = f"column {name} missing"

    def draw_it(draw: st.DrawFn) -> Violation:
        # Rows enough for the dropped feature too: it is drawn, then dropped.
        n = draw(st.integers(b.needed(), max(b.high(), b.needed())))
        drawn = b.table(draw, n)
        del drawn.columns[name]
        del drawn.types[name]
        return _violation(drawn, C.SCHEMA_MISSING_COLUMN, name, row_code, [], what)

    return _Kind(description=what, draw=draw_it)


# --- distinct counts (strings) ---------------------------------------------------------------


def _unique_kinds(b: _Builder, plan: FeaturePlan) -> list[_Kind]:
    f, name = plan.feature, plan.feature.name
    u = f.unique
    if u is None or f.type is not FeatureType.STRING:
        return []
    kinds = []
    full = FeaturePlan.of(f, checked=True)
    unbounded = replace(
        full, distinct_high=None, size=FeaturePlan.of(replace(f, unique=None), checked=True).size
    )
    if u.max is not None and u.max + 1 <= min(unbounded.size, 50):
        target = u.max + 1
        high_plan = replace(unbounded, distinct_low=target, distinct_high=target)
        kinds.append(
            _distinct_kind(
                b,
                high_plan,
                C.FEATURE_TYPE_HIGH_UNIQUE,
                f"{name} has {target} distinct values, max {u.max}",
            )
        )
    if u.min is not None and u.min >= 2:
        target = u.min - 1
        low_plan = replace(full, distinct_low=target, distinct_high=target)
        kinds.append(
            _distinct_kind(
                b,
                low_plan,
                C.FEATURE_TYPE_LOW_UNIQUE,
                f"{name} has {target} distinct values, min {u.min}",
            )
        )
    return kinds


def _distinct_kind(b: _Builder, plan: FeaturePlan, code: AnomalyCode, what: str) -> _Kind:
    name = plan.feature.name
    one = b.at_least_one_value(plan)

    def draw_it(draw: st.DrawFn) -> Violation:
        low = max(b.needed(without=name), one.rows_needed())
        n = draw(st.integers(low, max(low, b.high())))
        drawn = b.table(draw, n, overrides={name: one})
        return _violation(drawn, code, name, None, [], what)

    return _Kind(description=what, draw=draw_it)


# --- row counts ------------------------------------------------------------------------------


def _row_kinds(b: _Builder) -> list[_Kind]:
    d = b.s.schema.dataset
    kinds = []
    floor = max([1, *(p.rows_needed() for p in b.checked)])
    if d.min_row_count is not None and d.min_row_count - 1 >= floor and b.checked:
        n_low = d.min_row_count - 1
        what = f"{n_low} rows, min row count {d.min_row_count}"
        kinds.append(
            _Kind(
                description=what,
                draw=lambda draw: _violation(
                    b.table(draw, n_low), C.DATASET_LOW_NUM_EXAMPLES, None, None, [], what
                ),
            )
        )
    if d.max_row_count is not None and d.max_row_count + 1 <= MAX_VIOLATION_ROWS and b.checked:
        n_high = max(d.max_row_count + 1, floor)
        what_high = f"{n_high} rows, max row count {d.max_row_count}"
        kinds.append(
            _Kind(
                description=what_high,
                draw=lambda draw: _violation(
                    b.table(draw, n_high), C.DATASET_HIGH_NUM_EXAMPLES, None, None, [], what_high
                ),
            )
        )
    return kinds


# --- the strategy ----------------------------------------------------------------------------


def _kinds(b: _Builder) -> list[_Kind]:
    kinds: list[_Kind] = []
    for plan in b.checked:
        # Empty text lists read as bools (there is nothing to misread): no type to break.
        if not (plan.feature.type is FeatureType.BOOL and plan.length_high == 0):
            kinds.append(_type_kind(b, plan))
        kinds += _zone_kinds(b, plan)
        kinds += _presence_kinds(b, plan)
        if plan.feature.unique is None:
            # Changing values or lengths could change a distinct count too: features with
            # distinct-count bounds are broken through those bounds instead.
            if plan.length_high != 0:
                kinds += [_value_kind(b, plan, *bad) for bad in _bad_values(plan.feature)]
            kinds += _length_kinds(b, plan)
        kinds += _unique_kinds(b, plan)
    kinds += _row_kinds(b)
    # Imported here: it builds on this module. Row checks: see _row_violations.
    from datacheck.testing._row_violations import row_check_kinds

    kinds += row_check_kinds(b)
    # Patterns and unique keys: see _pattern_violations (imported here for the same reason).
    from datacheck.testing._pattern_violations import pattern_key_kinds

    kinds += pattern_key_kinds(b)
    return kinds


def violating(schema: Schema, *, environment: str | None = None) -> st.SearchStrategy[Violation]:
    """Data that breaks exactly one constraint of ``schema``, with the anomaly it must give.

    Each draw picks one breakable constraint (a range, a domain, NaN or infinities, a list
    length, a type, presence, a distinct count, a row count) and returns a :class:`Violation`:
    the table, the code and feature :func:`~datacheck.validate.validate_statistics` must report,
    and the code and rows :func:`~datacheck.validate.validate_batches` must quarantine (for
    row-level constraints). Everything else in the table satisfies the schema, except row
    checks: the data is not drawn to satisfy them; a row check itself is broken when the
    schema has that one, a comparison of numeric columns (or of one with a number), and
    custom checks are not generated (see ``_row_violations.py``). A pattern is broken by a
    value that does not match it, a unique key by a later row that repeats an earlier row's
    key (see ``_pattern_violations.py``); both are reported by
    :func:`~datacheck.validate.check_dataset`, as no profile can.

    Args:
        schema: the schema to break.
        environment: break it as data for this environment.

    Raises:
        OptionError: the schema has no constraint that data can break (no active feature), or
            ``environment`` is not one it defines.
        SchemaFormatError: a feature no data can satisfy (see :func:`from_schema`).
    """
    builder = _Builder(SchemaStrategies(schema, environment=environment))
    kinds = _kinds(builder)
    if not kinds:
        raise OptionError(
            "violating(): the schema has no active feature or row-count bound to break; "
            "add a feature (or pick the environment its features are expected in)"
        )
    return st.sampled_from(kinds).flatmap(lambda kind: st.composite(kind.draw)())
