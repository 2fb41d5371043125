"""How numbers, shares and dates read in a report."""

from __future__ import annotations

import datetime
import math

import pyarrow as pa

from datacheck._format import DASH, fmt_count, fmt_number, fmt_share, value_formatter
from datacheck.stats import generate_statistics


def test_numbers_read_short_and_ints_exact():
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(3.14159265) == "3.142"
    assert fmt_number(2.0) == "2"
    assert fmt_number(1.5e-7) == "1.500e-07"
    assert fmt_number(None) == DASH


def test_non_finite_numbers_read_by_name():
    assert fmt_number(math.nan) == "NaN"
    assert fmt_number(math.inf) == "∞"
    assert fmt_number(-math.inf) == "\u2212∞"


def test_counts_from_sketches_are_rounded():
    assert fmt_count(1234.6) == "1,235"


def test_a_tiny_share_never_reads_as_zero_or_whole():
    assert fmt_share(0.0004) == "<0.1%"
    assert fmt_share(0.9996) == ">99.9%"
    assert fmt_share(0.0) == "0.0%"
    assert fmt_share(0.125) == "12.5%"


def test_dates_read_as_calendar_dates():
    table = pa.table({"d": pa.array([datetime.date(2024, 2, 29)])})
    stats = generate_statistics(table).features["d"]
    assert stats.numeric is not None and stats.numeric.min is not None
    assert value_formatter(stats)(stats.numeric.min) == "2024-02-29"


def test_timestamps_read_in_their_unit():
    stamp = datetime.datetime(2024, 5, 6, 7, 8, 9)
    table = pa.table({"t": pa.array([stamp], pa.timestamp("ms"))})
    stats = generate_statistics(table).features["t"]
    assert stats.numeric is not None and stats.numeric.max is not None
    assert value_formatter(stats)(stats.numeric.max) == "2024-05-06 07:08:09"
