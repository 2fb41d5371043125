"""String statistics: exact counts under the cap, sketches above it, lengths, weights."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from datacheck.stats import StatsOptions, generate_statistics


def _strings(values: pa.Array, **options: object):
    profile = generate_statistics(pa.table({"s": values}), StatsOptions(**options))  # type: ignore[arg-type]
    return profile.features["s"]


def test_exact_counts_and_top_values() -> None:
    stats = _strings(pa.array(["b", "a", "b", None, "c", "b", "a"])).string
    assert stats.value_counts == {"b": 3, "a": 2, "c": 1}
    assert [(t.value, t.count) for t in stats.top_values] == [("b", 3), ("a", 2), ("c", 1)]
    assert stats.distinct == 3 and stats.distinct_exact and stats.top_values_exact
    assert stats.num_values == 6


def test_lengths_count_characters_and_empty_strings() -> None:
    stats = _strings(pa.array(["", "déjà", "ab"])).string
    assert (stats.min_length, stats.max_length, stats.mean_length) == (0, 4, 2.0)
    assert stats.value_counts[""] == 1


def test_dictionary_arrays_count_like_plain_strings() -> None:
    plain = _strings(pa.array(["x", "y", "x", None])).string
    encoded = _strings(pa.array(["x", "y", "x", None]).dictionary_encode()).string
    assert encoded.value_counts == plain.value_counts
    assert encoded.mean_length == plain.mean_length


def test_unused_dictionary_entries_are_not_values() -> None:
    array = pa.DictionaryArray.from_arrays(pa.array([0, 0]), pa.array(["used", "unused"]))
    assert _strings(array).string.value_counts == {"used": 2}


def test_all_null_string_column() -> None:
    feature = _strings(pa.array([None, None], pa.string()))
    assert feature.num_missing == 2 and feature.string.num_values == 0
    assert feature.string.top_values == () and feature.string.mean_length is None


def test_above_the_cap_distinct_count_is_an_estimate_with_bounds() -> None:
    values = pa.array([f"v{i}" for i in range(5000)])
    stats = _strings(values, exact_counts_cap=100).string
    assert not stats.distinct_exact and stats.value_counts is None
    assert stats.distinct_lower_bound <= 5000 <= stats.distinct_upper_bound
    assert stats.distinct == pytest.approx(5000, rel=0.05)


def test_above_the_cap_top_values_come_from_the_sketch() -> None:
    values = pa.array(["hot"] * 3000 + [f"v{i}" for i in range(3000)])
    stats = _strings(values, exact_counts_cap=100).string
    assert not stats.top_values_exact
    top = stats.top_values[0]
    assert top.value == "hot" and top.lower_bound <= 3000 <= top.upper_bound


def test_top_m_feed_stays_within_twice_the_sketch_error() -> None:
    # Many batches whose tails are cut off by the per-batch top-M feed (M = 2**6 = 64).
    rng = np.random.default_rng(1)
    ranks = rng.zipf(1.3, size=60_000) % 3000
    values = pa.array([f"w{r}" for r in ranks])
    exact = dict(zip(*np.unique([f"w{r}" for r in ranks], return_counts=True), strict=True))
    options = {"exact_counts_cap": 10, "frequent_items_lg_max_map_size": 6, "batch_size": 2000}
    stats = _strings(values, **options).string
    apriori = 3.5 / 64 * 60_000
    assert stats.frequent_items_unfed <= 60_000 / 64
    assert stats.top_values
    for top in stats.top_values:
        true = int(exact[top.value])
        assert abs(top.count - true) <= 2 * apriori
        assert top.lower_bound <= true <= top.upper_bound


def test_weighted_top_values_add_weights() -> None:
    table = pa.table({"s": ["a", "b", "a"], "w": [1.0, 5.0, 1.5]})
    stats = generate_statistics(table, StatsOptions(weight="w")).features["s"].string
    assert stats.weighted.value_counts == {"b": 5.0, "a": 2.5}
    assert stats.weighted.top_values[0].value == "b"
    assert stats.weighted.total_weight == 7.5


def test_weighted_top_values_above_the_cap_come_from_the_weighted_sketch() -> None:
    values = ["heavy"] * 10 + [f"v{i}" for i in range(200)]
    weights = [100.0] * 10 + [1.0] * 200
    table = pa.table({"s": values, "w": weights})
    stats = (
        generate_statistics(table, StatsOptions(weight="w", exact_counts_cap=50))
        .features["s"]
        .string
    )
    assert not stats.weighted.top_values_exact and stats.weighted.value_counts is None
    top = stats.weighted.top_values[0]
    assert top.value == "heavy" and top.lower_bound <= 1000.0 <= top.upper_bound
