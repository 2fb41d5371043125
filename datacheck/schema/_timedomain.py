"""Date and timestamp ranges (:class:`~datacheck.schema.TimeDomain`): reading the bounds, the
schema checks on them, and their inference from a profile.

A bound is ISO 8601 text: a date (``2007-11-01``) for a date feature; a timestamp
(``2007-11-01T08:30:00``, or with an offset, ``2007-11-01T08:30:00+00:00``) or a date (its
midnight, naive) for a timestamp feature. A zoned feature takes zoned bounds and a naive one naive
bounds: a wall time and an instant do not compare (the same rule as
``TIMESTAMP_TIME_ZONE_CHANGED``). Where the schema records no zone, a naive bound is read as
UTC wall time and a zoned one as its instant, as Arrow stores naive timestamps.

Values are compared as the integers Arrow stores (days, or units since the epoch), with the
bound turned into the data's unit exactly: a min rounds up and a max down, so that a bound
finer than the unit (``08:30:00.5`` against seconds) keeps exactly the values on its side.

Inference (:func:`infer_time_domain`) sets a min only: the baseline's earliest value minus its
span (latest minus earliest; at least one day). The next window's values are later, so a max
would fail every one of them; a random split of the same period lies within the span. A
sentinel (``1900-01-01``, the epoch's ``1970-01-01``) or a year typed wrong lies far before and
fails. ``penguins_raw``'s first season (eggs 2007-11-09 to 2007-12-03) gives 2007-10-16; its
next season (2008-11-02 on) passes.
"""

from __future__ import annotations

import datetime as dt

from datacheck._timebounds import DAY_US, bound_value, format_time, micros, parse_bound, unit_of
from datacheck._types import FeatureType, time_of
from datacheck.schema._model import Feature, TimeDomain
from datacheck.stats import FeatureStatistics

__all__ = ["infer_time_domain", "time_domain_problems", "widen_time_domain"]


def time_domain_problems(pointer: str, f: Feature, d: TimeDomain) -> list[tuple[str, str]]:
    """Bounds that are not ISO 8601 for the feature's type, naive against a zoned feature (or
    zoned against a naive one), and a min after the max."""
    problems: list[tuple[str, str]] = []
    parsed: dict[str, int] = {}
    zone = None if f.time is None else f.time.zone
    for side, text in (("min", d.min), ("max", d.max)):
        if text is None:
            continue
        try:
            bound = parse_bound(text, f.type)
        except ValueError:
            what = "date (YYYY-MM-DD)" if f.type is FeatureType.DATE else "date or timestamp"
            problems.append(
                (f"{pointer}/{side}", f"time domain {side} {text!r} is not an ISO 8601 {what}")
            )
            continue
        zoned = isinstance(bound, dt.datetime) and bound.tzinfo is not None
        if f.time is not None and zoned != (zone is not None):
            have, want = ("zoned", "naive") if zoned else ("naive", "zoned")
            problems.append(
                (
                    f"{pointer}/{side}",
                    f"time domain {side} {text!r} is {have} but {f.name!r} holds {want} "
                    "timestamps; "
                    + ("remove the offset" if zoned else "add an offset such as +00:00"),
                )
            )
            continue
        parsed[side] = micros(bound)
    if "min" in parsed and "max" in parsed and parsed["min"] > parsed["max"]:
        problems.append(
            (
                f"{pointer}/min",
                f"time domain min {d.min} is later than max {d.max}; make min <= max",
            )
        )
    return problems


def _earliest_allowed(f: FeatureStatistics) -> int | None:
    """The baseline's earliest value minus its span (at least a day), in its stored unit."""
    n = f.numeric
    if n is None or n.num_values == 0 or n.min is None or n.max is None:
        return None
    _, per = unit_of(f.arrow_type)
    day = DAY_US // per if per else DAY_US * 1000
    span = max(int(n.max) - int(n.min), day)
    return int(n.min) - span


def infer_time_domain(f: FeatureStatistics) -> TimeDomain | None:
    """A min for a date or timestamp feature (see the module docstring); never a max."""
    if f.type not in (FeatureType.DATE, FeatureType.TIMESTAMP):
        return None
    earliest = _earliest_allowed(f)
    if earliest is None:
        return None
    try:
        text = format_time(earliest, f.arrow_type)
    except (OverflowError, ValueError):
        return None  # before year 1: nothing earlier could be written anyway
    if f.type is FeatureType.TIMESTAMP:
        # Whole seconds, rounded down: a readable bound that still admits every value.
        moment = dt.datetime.fromisoformat(text)
        text = moment.replace(microsecond=0).isoformat()
    return TimeDomain(min=text)


def widen_time_domain(d: TimeDomain, f: FeatureStatistics) -> TimeDomain:
    """``d`` relaxed just enough for the profile's values: a min after the data's earliest
    value moves to it, a max before its latest moves to it. Data whose zone differs from the
    bounds' (naive against zoned) leaves them: the zone change is validation's to report."""
    n = f.numeric
    if n is None or n.num_values == 0 or n.min is None or n.max is None:
        return d
    found = time_of(f.arrow_type)
    zoned_data = found is not None and found[1] is not None
    for text in (d.min, d.max):
        bound = None if text is None else parse_bound(text, f.type)
        if isinstance(bound, dt.datetime) and (bound.tzinfo is not None) != zoned_data:
            return d
    low, high = d.min, d.max
    if low is not None and int(n.min) < bound_value(low, f.type, f.arrow_type, "min"):
        low = format_time(n.min, f.arrow_type)
    if high is not None and int(n.max) > bound_value(high, f.type, f.arrow_type, "max"):
        high = format_time(n.max, f.arrow_type, up=True)
    return TimeDomain(min=low, max=high)
