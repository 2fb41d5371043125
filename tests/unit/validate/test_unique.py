"""Distinct-count bounds (FEATURE_TYPE_LOW/HIGH_UNIQUE) on numeric features: exact counts
decide, and past the profile's exact cap only what the lower bound proves is flagged."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from datacheck.schema import Feature, Schema, UniqueConstraints
from datacheck.schema import FeatureType as T
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics
from datacheck.validate import Anomaly, AnomalyCode, validate_statistics

C = AnomalyCode
#: 50 distinct ints, profiled with a cap of 20: only "more than 20" is known
_WIDE = pa.table({"x": list(range(50)) * 2})


def _anomalies(profile: DatasetProfile, **bounds: int) -> list[Anomaly]:
    schema = Schema(features=(Feature(name="x", type=T.INT, unique=UniqueConstraints(**bounds)),))
    return list(validate_statistics(profile, schema).anomalies)


def _capped(cap: int = 20) -> DatasetProfile:
    return generate_statistics(_WIDE, StatsOptions(exact_counts_cap=cap))


def test_an_exact_count_under_the_minimum_is_low_unique() -> None:
    (a,) = _anomalies(generate_statistics(pa.table({"x": [1, 1, 2]})), min=3)
    assert (a.code, a.measured) == (C.FEATURE_TYPE_LOW_UNIQUE, 2)


def test_an_exact_count_over_the_maximum_is_high_unique() -> None:
    (a,) = _anomalies(generate_statistics(pa.table({"x": [1, 2, 3]})), max=2)
    assert (a.code, a.measured) == (C.FEATURE_TYPE_HIGH_UNIQUE, 3)


def test_an_exact_count_inside_the_bounds_passes() -> None:
    assert _anomalies(generate_statistics(pa.table({"x": [1, 2, 3]})), min=3, max=3) == []


def test_past_the_cap_a_minimum_up_to_the_cap_passes() -> None:
    assert _anomalies(_capped(), min=21) == []


def test_past_the_cap_a_maximum_under_the_bound_is_high_unique() -> None:
    (a,) = _anomalies(_capped(), max=20)
    assert a.code == C.FEATURE_TYPE_HIGH_UNIQUE
    assert "more than 20 distinct values" in a.message


def test_past_the_cap_a_maximum_above_the_bound_cannot_be_decided() -> None:
    (a,) = _anomalies(_capped(), max=60)
    assert a.code == C.STATS_NOT_AVAILABLE
    assert "exact_counts_cap of at least 60" in a.message


def test_past_the_cap_a_maximum_of_every_value_passes() -> None:
    # 100 values cannot hold more than 100 distinct ones.
    assert _anomalies(_capped(), max=100) == []


def test_past_the_cap_a_minimum_above_the_bound_cannot_be_decided() -> None:
    (a,) = _anomalies(_capped(), min=40)
    assert a.code == C.STATS_NOT_AVAILABLE


def test_a_profile_without_numeric_counts_cannot_decide() -> None:
    profile = generate_statistics(pa.table({"x": [1, 2, 3]}))
    feature = profile.features["x"]
    assert feature.numeric is not None
    uncounted = replace(
        feature.numeric, distinct=None, distinct_lower_bound=0, distinct_values=None
    )
    old = replace(profile, features={"x": replace(feature, numeric=uncounted)})
    (a,) = _anomalies(old, min=2)
    assert a.code == C.STATS_NOT_AVAILABLE
    assert "profile the data again" in a.message
