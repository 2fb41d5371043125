"""How a date or timestamp bound (ISO 8601 text) compares with the integers Arrow stores.

The one owner of that rule, for the schema's checks and inference
(``datacheck.schema._timedomain``), the row checks and the dataset checks: a bound becomes the
data's stored integer (days, or units since the epoch) exactly, a min rounded up and a max
down; a naive bound is UTC wall time (as Arrow stores naive timestamps), a date its midnight.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from datacheck._types import FeatureType, time_of

__all__ = ["DAY_US", "bound_value", "format_time", "micros", "parse_bound", "unit_of"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: microseconds in a day
DAY_US = 86_400_000_000
#: microseconds per unit; ns is finer than a Python datetime
_US_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1}
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bound(text: str, ftype: FeatureType) -> dt.date | dt.datetime:
    """The bound ``text`` as a date (date features) or a datetime (timestamp features).

    Raises:
        ValueError: not ISO 8601, or a timestamp given for a date feature.
    """
    if ftype is FeatureType.DATE:
        if not _DATE_TEXT.match(text):
            raise ValueError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD)")
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text)


def micros(bound: dt.date | dt.datetime) -> int:
    """Microseconds since the epoch: a naive bound as UTC wall time, a date as its midnight."""
    if not isinstance(bound, dt.datetime):
        bound = dt.datetime(bound.year, bound.month, bound.day)
    if bound.tzinfo is None:
        bound = bound.replace(tzinfo=dt.UTC)
    # Integer arithmetic on timedeltas: exact over the whole datetime range.
    return (bound - _EPOCH) // dt.timedelta(microseconds=1)


def unit_of(arrow_type: pa.DataType | str) -> tuple[str, int]:
    """The stored unit and the microseconds in one: ("day", DAY_US) for date32, ("ms", 1000)
    for date64, (unit, µs per unit) for timestamps; ``ns`` gives 0 (a thousandth of a µs)."""
    # A list feature's type names its values' (``list<item: date32[day]>``).
    text = str(arrow_type)
    if "date32[" in text:
        return "day", DAY_US
    if "date64[" in text:
        return "ms", 1_000
    found = time_of(arrow_type)
    unit = "us" if found is None else found[0]
    return unit, _US_PER_UNIT.get(unit, 0)


def bound_value(text: str, ftype: FeatureType, arrow_type: pa.DataType | str, side: str) -> int:
    """The bound as the integer Arrow stores for ``arrow_type`` (days, or units since the
    epoch): rounded up for ``side="min"``, down for ``"max"``, so that ``value < min`` and
    ``value > max`` on the stored integers are exact."""
    us = micros(parse_bound(text, ftype))
    _, per = unit_of(arrow_type)
    if per == 0:  # nanoseconds
        return us * 1000
    return -(-us // per) if side == "min" else us // per


def format_time(value: float, arrow_type: str, *, up: bool = False) -> str:
    """A profile's stored integer (days, or units since the epoch) as ISO text; a zoned
    timestamp in UTC with its offset. Nanoseconds round to microseconds, down (or ``up``)."""
    unit, per = unit_of(arrow_type)
    us = int(value) * per if per else (-(-int(value) // 1000) if up else int(value) // 1000)
    if unit == "day":
        return (_EPOCH + dt.timedelta(microseconds=us)).date().isoformat()
    found = time_of(arrow_type)
    moment = _EPOCH + dt.timedelta(microseconds=us)
    if found is None or found[1] is None:
        moment = moment.replace(tzinfo=None)
    return moment.isoformat()
