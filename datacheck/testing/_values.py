"""Value strategies for one feature: the Arrow type of its values, values its domain allows,
any values of its type (for unchecked features), and the domain's size.

Every strategy is built from bounds, never by filtering, so hypothesis shrinks each value
towards the simplest one its domain allows (0, the lowest domain value, the empty string).
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.schema import BoolDomain, Feature, FloatDomain, IntDomain, StringDomain
from datacheck.testing._patterns import matches, pattern_values
from datacheck.testing._time_values import date_bounds, timestamp_bounds

__all__ = [
    "DECIMAL_LIMIT",
    "DECIMAL_PLACES",
    "INT64_MAX",
    "INT64_MIN",
    "any_values",
    "arrow_type",
    "domain_size",
    "valid_values",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: digits after the point of generated decimals (the Arrow type is decimal128(18, 6))
DECIMAL_PLACES = 6
#: generated decimals stay strictly inside (-DECIMAL_LIMIT, DECIMAL_LIMIT): their unscaled
#: integers stay below 2**53, so Arrow's cast to float64 rounds them exactly as Python does
DECIMAL_LIMIT = 10**9
_MAX_TEXT = 8

_ARROW_TYPES: dict[FeatureType, pa.DataType] = {
    FeatureType.INT: pa.int64(),
    FeatureType.FLOAT: pa.float64(),
    FeatureType.DECIMAL: pa.decimal128(18, DECIMAL_PLACES),
    FeatureType.STRING: pa.string(),
    FeatureType.BYTES: pa.binary(),
    FeatureType.BOOL: pa.bool_(),
    FeatureType.DATE: pa.date32(),
    FeatureType.TIMESTAMP: pa.timestamp("us"),
    FeatureType.DURATION: pa.duration("us"),
    FeatureType.NULL: pa.null(),
}

#: microseconds per unit, for the units Python's datetime and timedelta cannot go below
_MICROS = {"s": 1_000_000, "ms": 1_000}
#: nanosecond timestamps span 1677-09-21 to 2262-04-11 (int64 nanoseconds since 1970)
_NS_DATES = (datetime.datetime(1678, 1, 1), datetime.datetime(2261, 12, 31))
#: 100,000 days is 8.64e18 ns, inside int64 in every unit
_MAX_DURATION = datetime.timedelta(days=100_000)


def arrow_type(feature: Feature) -> pa.DataType:
    """The Arrow type of the column generated for ``feature`` (a list type for list features);
    a timestamp or duration in the unit and zone its schema records."""
    t = _ARROW_TYPES[feature.type]
    time = feature.time
    if time is not None and feature.type is FeatureType.TIMESTAMP:
        t = pa.timestamp(time.unit, tz=time.zone)
    elif time is not None and feature.type is FeatureType.DURATION:
        t = pa.duration(time.unit)
    return pa.list_(t) if feature.value_count is not None else t


def _whole_units(feature: Feature, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Datetimes or timedeltas that the feature's unit holds exactly (whole seconds for s)."""
    step = _MICROS.get("us" if feature.time is None else feature.time.unit)
    if step is None:
        return values
    if feature.type is FeatureType.DURATION:
        return values.map(lambda d: d - datetime.timedelta(microseconds=d.microseconds % step))
    return values.map(lambda d: d.replace(microsecond=d.microsecond - d.microsecond % step))


def _times(feature: Feature) -> st.SearchStrategy[Any]:
    ns = feature.time is not None and feature.time.unit == "ns"
    if feature.type is FeatureType.DURATION:
        values: st.SearchStrategy[Any] = st.timedeltas(-_MAX_DURATION, _MAX_DURATION)
    else:
        low, high = timestamp_bounds(
            feature, *(_NS_DATES if ns else (datetime.datetime.min, datetime.datetime.max))
        )
        if low > high:
            return st.nothing()
        # Rounding to whole units may step below a time domain's min: those are redrawn.
        return _whole_units(feature, st.datetimes(low, high)).filter(lambda v: v >= low)
    return _whole_units(feature, values)


def _finite(bound: float | None) -> float | None:
    # An infinite bound is no bound: every finite value lies on its side.
    return None if bound is None or math.isinf(bound) else bound


def _int_bounds(d: IntDomain | None) -> tuple[int, int]:
    low = INT64_MIN if d is None or d.min is None else max(d.min, INT64_MIN)
    high = INT64_MAX if d is None or d.max is None else min(d.max, INT64_MAX)
    return low, high


def _decimal_bounds(d: FloatDomain | None) -> tuple[Decimal, Decimal]:
    # Exact decimal images of the float bounds, moved inwards to the generated grid.
    unit = Decimal(1).scaleb(-DECIMAL_PLACES)
    low = Decimal(-DECIMAL_LIMIT) + unit
    high = Decimal(DECIMAL_LIMIT) - unit
    bound_low = None if d is None else _finite(d.min)
    bound_high = None if d is None else _finite(d.max)
    # Validation compares a decimal as the float nearest to it, so a grid point whose float
    # equals the bound is inside (0.010000 is float 0.01, which is a hair above 0.01).
    if bound_low is not None:
        edge = Decimal(bound_low).quantize(unit, rounding="ROUND_FLOOR")
        low = max(low, edge if float(edge) >= bound_low else edge + unit)
    if bound_high is not None:
        edge = Decimal(bound_high).quantize(unit, rounding="ROUND_CEILING")
        high = min(high, edge if float(edge) <= bound_high else edge - unit)
    return low, high


def _floats(d: FloatDomain | None) -> st.SearchStrategy[float]:
    low = None if d is None else _finite(d.min)
    high = None if d is None else _finite(d.max)
    nan = d is None or not d.disallow_nan
    inf = d is None or not d.disallow_inf
    values: st.SearchStrategy[float] = st.floats(
        min_value=low, max_value=high, allow_nan=False, allow_infinity=False
    )
    # An infinity lies inside the domain only on a side without a bound; NaN is outside no
    # range (it compares false both ways). Both come after the finite values, so that
    # shrinking prefers finite ones.
    extra = [
        x for x, ok in ((math.inf, inf and high is None), (-math.inf, inf and low is None)) if ok
    ]
    if nan:
        extra.append(math.nan)
    return values | st.sampled_from(extra) if extra else values


def _length_bounds(feature: Feature) -> tuple[int, int]:
    """The characters a generated string may have: its string_length, short where open."""
    sl = feature.string_length
    low = 0 if sl is None or sl.min is None else sl.min
    high = max(low, _MAX_TEXT) if sl is None or sl.max is None else sl.max
    return low, high


def _domain_values(feature: Feature, d: StringDomain) -> tuple[str, ...]:
    """The domain's values that also meet the feature's string length."""
    sl = feature.string_length
    if feature.type is not FeatureType.STRING:
        return d.values
    pattern = feature.pattern
    return tuple(
        v
        for v in d.values
        if (sl is None or sl.min is None or len(v) >= sl.min)
        and (sl is None or sl.max is None or len(v) <= sl.max)
        and (pattern is None or matches(pattern.regex, v))
    )


def valid_values(feature: Feature) -> st.SearchStrategy[Any]:
    """Python values of ``feature``'s type that its domain allows (st.nothing() if none)."""
    t, d = feature.type, feature.domain
    if t is FeatureType.INT:
        low, high = _int_bounds(d if isinstance(d, IntDomain) else None)
        return st.integers(low, high) if low <= high else st.nothing()
    if t is FeatureType.FLOAT:
        fd = d if isinstance(d, FloatDomain) else None
        if fd is not None and fd.min is not None and fd.max is not None and fd.min > fd.max:
            return st.nothing()
        return _floats(fd)
    if t is FeatureType.DECIMAL:
        low_d, high_d = _decimal_bounds(d if isinstance(d, FloatDomain) else None)
        if low_d > high_d:
            return st.nothing()
        return st.decimals(
            min_value=low_d,
            max_value=high_d,
            places=DECIMAL_PLACES,
            allow_nan=False,
            allow_infinity=False,
        )
    if t in (FeatureType.STRING, FeatureType.BYTES):
        if isinstance(d, StringDomain):
            allowed = _domain_values(feature, d)
            if not allowed:
                return st.nothing()
            if t is FeatureType.BYTES:
                return st.sampled_from([v.encode() for v in allowed])
            return st.sampled_from(allowed)
        if t is FeatureType.BYTES:
            return st.binary(max_size=_MAX_TEXT)
        low, high = _length_bounds(feature)
        if low > high:
            return st.nothing()
        if t is FeatureType.STRING and feature.pattern is not None:
            # A pattern bounds the values itself: no short default length.
            sl = feature.string_length
            bounded = sl is not None and sl.max is not None
            return pattern_values(feature, low, high if bounded else 10**6)
        return st.text(min_size=low, max_size=high)
    if t is FeatureType.BOOL:
        return st.booleans()
    if t is FeatureType.DATE:
        first, last = date_bounds(feature)
        return st.dates(first, last) if first <= last else st.nothing()
    if t in (FeatureType.TIMESTAMP, FeatureType.DURATION):
        return _times(feature)
    if t is FeatureType.NULL and feature.value_count is not None:
        return st.none()
    return st.nothing()


def any_values(feature: Feature) -> st.SearchStrategy[Any]:
    """Python values of ``feature``'s type, whatever its domain (for unchecked features)."""
    unconstrained = Feature(
        name=feature.name, type=feature.type, value_count=feature.value_count, time=feature.time
    )
    return valid_values(unconstrained)


def domain_size(feature: Feature) -> float:
    """How many distinct values ``feature`` may hold (math.inf when more than can be drawn)."""
    t, d = feature.type, feature.domain
    if t is FeatureType.NULL:
        # A list of a null feature holds null elements; a scalar one holds nothing.
        return 1 if feature.value_count is not None else 0
    if t is FeatureType.BOOL or isinstance(d, BoolDomain):
        return 2
    if isinstance(d, StringDomain) and t in (FeatureType.STRING, FeatureType.BYTES):
        return len(_domain_values(feature, d))
    if t is FeatureType.STRING and feature.string_length is not None:
        low, high = _length_bounds(feature)
        # Only the empty string has no characters; any longer length allows more strings
        # than a test can draw.
        return 0 if low > high else 1 if high == 0 else math.inf
    if t is FeatureType.INT:
        low, high = _int_bounds(d if isinstance(d, IntDomain) else None)
        return max(0, high - low + 1)
    if t is FeatureType.FLOAT and isinstance(d, FloatDomain) and None not in (d.min, d.max):
        assert d.min is not None and d.max is not None
        if d.min > d.max:
            return 0
        if d.min == d.max:
            return 1 + (not d.disallow_nan)
    if t is FeatureType.DECIMAL:
        low_d, high_d = _decimal_bounds(d if isinstance(d, FloatDomain) else None)
        return max(0, int((high_d - low_d).scaleb(DECIMAL_PLACES)) + 1)
    return math.inf
