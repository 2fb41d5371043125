"""How numbers, shares and feature values read, in reports and terminal summaries alike.

Every function here returns plain text; escaping for HTML happens where the text is placed.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence

from datacheck._types import FeatureType, time_of
from datacheck.stats import FeatureStatistics

__all__ = ["DASH", "fmt_count", "fmt_names", "fmt_number", "fmt_share", "value_formatter"]

#: what an absent value reads as
DASH = "\u2013"


def fmt_count(value: float | None) -> str:
    """A count: thousands separators; sketch estimates (fractional) rounded."""
    if value is None:
        return DASH
    if isinstance(value, float) and not math.isfinite(value):
        return fmt_number(value)
    return f"{round(value):,}"


def fmt_names(names: Sequence[str], limit: int = 20) -> str:
    """Names joined by commas, the first ``limit`` of them and ``... and N more`` after, so
    that a long list never reads as if it were whole."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... and {len(names) - limit} more"


def fmt_number(value: float | None) -> str:
    """A measurement to four significant digits; ints exact; NaN and infinities by name."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "\u2212∞"
    if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
        return f"{value:.3e}"
    if float(value).is_integer() and abs(value) < 1e7:
        return f"{int(value):,}"
    return f"{value:,.4g}"


def fmt_share(fraction: float | None) -> str:
    """A fraction as a percentage; a tiny non-zero share never reads as 0%."""
    if fraction is None or math.isnan(fraction):
        return DASH
    if 0 < fraction < 0.001:
        return "<0.1%"
    if 0.999 < fraction < 1:
        return ">99.9%"
    return f"{fraction:.1%}"


#: units since the epoch -> seconds per unit
_SECONDS = {"D": 86_400.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_EPOCH = datetime.datetime(1970, 1, 1)


def _epoch_formatter(unit: str, kind: str) -> Callable[[float], str]:
    def fmt(value: float) -> str:
        if not math.isfinite(value):
            return fmt_number(value)
        try:
            stamp = _EPOCH + datetime.timedelta(seconds=round(value) * _SECONDS[unit])
        except OverflowError:
            return fmt_number(value)
        return stamp.date().isoformat() if kind == "date" else stamp.isoformat(" ", "seconds")

    return fmt


def value_formatter(stats: FeatureStatistics) -> Callable[[float], str]:
    """How to show one value of a numeric feature: dates and timestamps as calendar text,
    durations as a number of their unit.

    The profile describes dates as days, timestamps as units since the epoch and durations as
    units; the unit is in the Arrow type (``timestamp[ms, tz=UTC]``, ``duration[s]``).
    """
    if stats.type is FeatureType.DATE:
        unit = "ms" if "date64" in stats.arrow_type else "D"
        return _epoch_formatter(unit, "date")
    time = time_of(stats.arrow_type)
    if stats.type is FeatureType.TIMESTAMP:
        return _epoch_formatter(time[0] if time else "us", "timestamp")
    if stats.type is FeatureType.DURATION and time is not None:
        unit = time[0]
        return lambda value: f"{fmt_number(value)} {unit}"
    return fmt_number
