"""Numeric statistics: exact values on small tables."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import pyarrow as pa
import pytest

from datacheck.stats import StatsOptions, generate_statistics


def _numeric(values: list[object], arrow_type: pa.DataType, **options: object):
    profile = generate_statistics(
        pa.table({"x": pa.array(values, arrow_type)}),
        StatsOptions(**options),  # type: ignore[arg-type]
    )
    return profile.features["x"]


def test_mean_and_population_std_dev() -> None:
    stats = _numeric([1.0, 2.0, 3.0, 4.0], pa.float64()).numeric
    assert stats.mean == 2.5
    assert stats.std_dev == pytest.approx(math.sqrt(1.25))


def test_nan_and_infinities_are_counted_not_averaged() -> None:
    stats = _numeric([1.0, math.nan, math.inf, -math.inf, 3.0], pa.float64()).numeric
    assert (stats.num_nan, stats.num_pos_inf, stats.num_neg_inf) == (1, 1, 1)
    assert stats.mean == 2.0
    assert (stats.min, stats.max) == (-math.inf, math.inf)


def test_nulls_are_missing_not_values() -> None:
    feature = _numeric([1, None, 3], pa.int64())
    assert (feature.num_present, feature.num_missing) == (2, 1)
    assert feature.presence == pytest.approx(2 / 3)
    assert feature.numeric.num_values == 2


def test_zeros_are_counted() -> None:
    assert _numeric([0, 0, 5, -0.0], pa.float64()).numeric.num_zeros == 3


def test_int_min_and_max_are_exact_ints() -> None:
    big = 2**62 + 1
    stats = _numeric([big, -big], pa.int64()).numeric
    assert (stats.min, stats.max) == (-big, big)
    assert isinstance(stats.min, int)


def test_quantiles_end_at_min_and_max() -> None:
    stats = _numeric(list(range(1, 1001)), pa.int64()).numeric
    assert stats.quantiles[0] == 1 and stats.quantiles[-1] == 1000
    assert stats.median == pytest.approx(500, abs=15)


def test_histograms_hold_every_value() -> None:
    stats = _numeric([float(i) for i in range(100)], pa.float64()).numeric
    assert sum(b.count for b in stats.histogram.buckets) == pytest.approx(100)
    assert len(stats.histogram.buckets) == 10
    assert stats.histogram.buckets[0].low == 0 and stats.histogram.buckets[-1].high == 99
    assert sum(b.count for b in stats.quantile_histogram.buckets) == pytest.approx(100)


def test_all_null_float_column_has_no_moments() -> None:
    feature = _numeric([None, None], pa.float64())
    assert feature.num_present == 0
    assert feature.numeric.mean is None and feature.numeric.min is None
    assert feature.numeric.quantiles == ()


def test_dates_keep_their_type_and_count_days() -> None:
    feature = _numeric([dt.date(1970, 1, 2), dt.date(1970, 1, 11)], pa.date32())
    assert feature.type == "date"
    assert (feature.numeric.min, feature.numeric.max) == (1, 10)


def test_timestamps_use_their_unit() -> None:
    feature = _numeric([1000, 3000], pa.timestamp("ms"))
    assert feature.type == "timestamp" and feature.arrow_type == "timestamp[ms]"
    assert (feature.numeric.min, feature.numeric.max) == (1000, 3000)


def test_decimals_are_numeric() -> None:
    feature = _numeric([decimal.Decimal("1.50"), decimal.Decimal("2.50")], pa.decimal128(5, 2))
    assert feature.type == "decimal"
    assert feature.numeric.mean == 2.0


def test_weighted_mean_and_quantiles() -> None:
    table = pa.table({"x": [1.0, 2.0, 10.0], "w": [1.0, 1.0, 2.0]})
    stats = generate_statistics(table, StatsOptions(weight="w")).features["x"].numeric
    assert stats.weighted.total_weight == 4.0
    assert stats.weighted.mean == pytest.approx(23 / 4)
    assert stats.weighted.median == 2.0
    assert stats.weighted.quantiles[-1] == 10.0
    assert stats.mean == pytest.approx(13 / 3)


def test_mean_of_values_near_the_float_maximum_does_not_overflow() -> None:
    big = 8.98846567431158e307
    stats = _numeric([big, big, big], pa.float64()).numeric
    assert stats.mean == pytest.approx(big) and stats.std_dev == 0.0
