"""Distinct counts of numeric features: exact under the cap, a lower bound above it."""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
from pathlib import Path

import jsonschema
import pyarrow as pa

from datacheck.stats import (
    DatasetProfile,
    ProfileGenerator,
    StatsOptions,
    generate_statistics,
    merge_profiles,
)

_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas" / "statistics.v1.json").read_text()
)


def _numeric(values: pa.Array, cap: int = 1000, batch_size: int = 65_536):
    options = StatsOptions(exact_counts_cap=cap, batch_size=batch_size)
    numeric = generate_statistics(pa.table({"x": values}), options).features["x"].numeric
    assert numeric is not None
    return numeric


def test_ints_are_counted_exactly() -> None:
    stats = _numeric(pa.array([3, 1, None, 3, 2, 1]))
    assert (stats.distinct, stats.distinct_exact) == (3, True)
    assert stats.distinct_values == (1, 2, 3)
    assert stats.distinct_lower_bound == stats.distinct_upper_bound == 3


def test_nan_is_not_a_value_but_infinities_are() -> None:
    stats = _numeric(pa.array([1.0, math.nan, math.inf, -math.inf, 1.0, math.nan]))
    assert stats.distinct_values == (-math.inf, 1.0, math.inf)


def test_zero_and_negative_zero_are_one_value() -> None:
    assert _numeric(pa.array([-0.0, 0.0, 0.0])).distinct_values == (0.0,)


def test_dates_count_their_days() -> None:
    days = [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 1)]
    assert _numeric(pa.array(days, pa.date32())).distinct == 2


def test_a_count_at_the_cap_is_still_exact() -> None:
    stats = _numeric(pa.array(range(10)), cap=10)
    assert (stats.distinct, stats.distinct_exact) == (10, True)


def test_past_the_cap_only_a_lower_bound_is_known() -> None:
    stats = _numeric(pa.array([float(i) for i in range(11)] + [math.nan]), cap=10)
    assert (stats.distinct, stats.distinct_exact, stats.distinct_values) == (None, False, None)
    assert (stats.distinct_lower_bound, stats.distinct_upper_bound) == (11, 11)


def test_batches_that_together_pass_the_cap_drop_the_set() -> None:
    stats = _numeric(pa.array(range(30)), cap=20, batch_size=8)
    assert stats.distinct is None
    assert stats.distinct_lower_bound == 21


def test_merging_two_exact_counts_is_their_union() -> None:
    a = generate_statistics(pa.table({"x": [1, 2, 3]}))
    b = generate_statistics(pa.table({"x": [3, 4]}))
    numeric = merge_profiles(a, b).features["x"].numeric
    assert numeric is not None
    assert (numeric.distinct, numeric.distinct_values) == (4, (1, 2, 3, 4))


def test_merging_past_the_cap_keeps_only_the_bound() -> None:
    options = StatsOptions(exact_counts_cap=3)
    a = generate_statistics(pa.table({"x": [1, 2, 3]}), options)
    b = generate_statistics(pa.table({"x": [4, 5]}), options)
    numeric = merge_profiles(a, b).features["x"].numeric
    assert numeric is not None
    assert (numeric.distinct, numeric.distinct_lower_bound) == (None, 4)


def test_a_bound_merged_with_an_exact_count_stays_a_bound() -> None:
    options = StatsOptions(exact_counts_cap=3)
    a = generate_statistics(pa.table({"x": [1, 2, 3, 4]}), options)
    b = generate_statistics(pa.table({"x": [9]}), options)
    numeric = merge_profiles(b, a).features["x"].numeric
    assert numeric is not None
    assert (numeric.distinct, numeric.distinct_lower_bound) == (None, 4)


def test_an_accumulator_past_the_cap_stays_small() -> None:
    gen = ProfileGenerator(StatsOptions(exact_counts_cap=5))
    acc = gen.add_input(gen.create_accumulator(), pa.record_batch({"x": list(range(50_000))}))
    # The KLL sketch is a few kB; 50,000 kept values would be 400 kB.
    assert len(pickle.dumps(acc)) < 20_000


def test_json_round_trip_keeps_exact_values_and_validates() -> None:
    profile = generate_statistics(pa.table({"x": [1.5, math.inf, 1.5], "i": [7, 8, None]}))
    document = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    jsonschema.Draft202012Validator(_SCHEMA).validate(document)
    assert document["features"][0]["numeric"]["distinct_values"] == [1.5, "Infinity"]
    assert DatasetProfile.from_dict(document) == profile


def test_json_round_trip_past_the_cap() -> None:
    profile = generate_statistics(pa.table({"x": range(5)}), StatsOptions(exact_counts_cap=2))
    document = json.loads(json.dumps(profile.to_dict()))
    numeric = document["features"][0]["numeric"]
    assert (numeric["distinct"], numeric["distinct_exact"], numeric["distinct_values"]) == (
        None,
        False,
        None,
    )
    assert DatasetProfile.from_dict(document) == profile


def test_a_document_without_distinct_counts_reads_as_not_counted() -> None:
    document = generate_statistics(pa.table({"x": [1, 2, 2]})).to_dict()
    for key in (
        "distinct",
        "distinct_lower_bound",
        "distinct_upper_bound",
        "distinct_exact",
        "distinct_values",
    ):
        del document["features"][0]["numeric"][key]
    numeric = DatasetProfile.from_dict(document).features["x"].numeric
    assert numeric is not None
    assert (numeric.distinct, numeric.distinct_lower_bound, numeric.distinct_upper_bound) == (
        None,
        0,
        3,
    )


def test_a_long_batch_counts_the_values_after_its_first_thousands() -> None:
    # The first 4,096 values are probed alone; the rest of the batch must still count.
    stats = _numeric(pa.array([0] * 5000 + list(range(1, 50))), cap=100)
    assert stats.distinct == 50


def test_a_long_batch_passes_the_cap_after_its_first_thousands() -> None:
    stats = _numeric(pa.array([0] * 5000 + list(range(1, 200))), cap=100)
    assert (stats.distinct, stats.distinct_lower_bound) == (None, 101)
