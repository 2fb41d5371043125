"""Dates and timestamps inside, and just outside, a feature's time domain.

Bounds are read as validation reads them (``datacheck._timebounds``): a zoned bound as its UTC
instant, a naive one as UTC wall time, which is how pyarrow stores the naive datetimes the
strategies draw.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from datacheck._timebounds import micros, parse_bound
from datacheck._types import FeatureType
from datacheck.schema import Feature, TimeDomain, TimeType

__all__ = ["date_bounds", "outside_times", "time_domains", "timestamp_bounds"]

_EPOCH = dt.datetime(1970, 1, 1)
#: the step of each timestamp unit that a Python datetime can hold (ns: one microsecond)
#: the datetimes int64 nanoseconds since 1970 can hold, a day inside each end
_NS_SPAN = (dt.datetime(1677, 9, 22), dt.datetime(2262, 4, 10))
_STEP = {"s": dt.timedelta(seconds=1), "ms": dt.timedelta(milliseconds=1)}


def _naive_utc(text: str, ftype: FeatureType) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros(parse_bound(text, ftype)))


def date_bounds(feature: Feature) -> tuple[dt.date, dt.date]:
    """The earliest and latest dates the feature's time domain allows."""
    d = feature.domain
    low, high = dt.date.min, dt.date.max
    if isinstance(d, TimeDomain) and d.min is not None:
        low = dt.date.fromisoformat(d.min)
    if isinstance(d, TimeDomain) and d.max is not None:
        high = dt.date.fromisoformat(d.max)
    return low, high


def timestamp_bounds(
    feature: Feature, low: dt.datetime, high: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """``(low, high)`` (naive, UTC) narrowed to the feature's time domain."""
    d = feature.domain
    if isinstance(d, TimeDomain) and d.min is not None:
        low = max(low, _naive_utc(d.min, feature.type))
    if isinstance(d, TimeDomain) and d.max is not None:
        high = min(high, _naive_utc(d.max, feature.type))
    return low, high


def _step(feature: Feature) -> dt.timedelta:
    unit = "us" if feature.time is None else feature.time.unit
    return _STEP.get(unit, dt.timedelta(microseconds=1))


def _holds(feature: Feature, value: dt.datetime) -> bool:
    """Whether the feature's unit holds ``value`` (nanoseconds reach 1677 to 2262 only)."""
    ns = feature.time is not None and feature.time.unit == "ns"
    return not ns or _NS_SPAN[0] <= value <= _NS_SPAN[1]


def outside_times(feature: Feature) -> list[tuple[dt.date | dt.datetime, str]]:
    """(value, side) for a value just before the min and just after the max, where the
    feature's type can hold one: a day for dates, a whole unit for timestamps."""
    d = feature.domain
    if not isinstance(d, TimeDomain):
        return []
    out: list[tuple[dt.date | dt.datetime, str]] = []
    for side, text in (("min", d.min), ("max", d.max)):
        if text is None:
            continue
        sign = -1 if side == "min" else 1
        try:
            if feature.type is FeatureType.DATE:
                day = dt.date.fromisoformat(text) + sign * dt.timedelta(days=1)
                out.append((day, side))
            else:
                step = _step(feature)
                edge = _naive_utc(text, feature.type)
                # The nearest whole unit strictly outside the bound.
                units = (edge - _EPOCH) // step
                value = _EPOCH + (units - 1 if side == "min" else units + 1) * step
                if _holds(feature, value):
                    out.append((value, side))
        except OverflowError:
            continue  # a bound at the calendar's edge: nothing lies beyond it
    return out


_DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
_OFFSETS = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))])


def _text(day: dt.date, seconds: int, ftype: FeatureType, zone: dt.tzinfo | None) -> str:
    if ftype is FeatureType.DATE:
        return day.isoformat()
    moment = dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=seconds)
    return (moment if zone is None else moment.replace(tzinfo=zone)).isoformat()


@st.composite
def time_domains(draw: st.DrawFn, ftype: FeatureType, time: TimeType | None) -> TimeDomain | None:
    """None, or a time domain for a date or timestamp feature: bounds between 1900 and 2100
    in whole seconds (so that every unit holds the bounds themselves), zoned exactly when the
    feature's time type is (either, when it records none)."""
    if ftype not in (FeatureType.DATE, FeatureType.TIMESTAMP) or not draw(st.booleans()):
        return None
    zoned = draw(st.booleans()) if time is None else time.zone is not None
    zone = draw(_OFFSETS) if zoned and ftype is FeatureType.TIMESTAMP else None
    seconds = st.integers(0, 86_399)
    low, high = sorted([(draw(_DAYS), draw(seconds)), (draw(_DAYS), draw(seconds))])
    bounds = [None if draw(st.booleans()) else _text(*b, ftype, zone) for b in (low, high)]
    return TimeDomain(min=bounds[0], max=bounds[1])
