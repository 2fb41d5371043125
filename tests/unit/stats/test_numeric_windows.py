"""Numeric profiles: exact value counts of small-cardinality features, and the row order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datacheck.stats import (
    DatasetProfile,
    StatsOptions,
    generate_statistics,
    merge_profiles,
)

vega = pytest.importorskip("vega_datasets")


def _day_of_month() -> pd.Series:
    t = vega.data.seattle_temps()
    return pd.to_datetime(t["date"]).dt.day


def test_day_of_month_counts_are_exact() -> None:
    days = _day_of_month()
    n = generate_statistics(pa.table({"day": days.to_numpy()})).features["day"].numeric
    assert n is not None and n.exact_counts is not None
    assert n.exact_counts == days.value_counts().to_dict()


def test_counts_are_dropped_past_the_cap() -> None:
    t = pa.table({"x": np.arange(50)})
    n = generate_statistics(t, StatsOptions(exact_counts_cap=10)).features["x"].numeric
    assert n is not None and n.distinct_counts is None and n.exact_counts is None


def test_float_counts_join_minus_zero_and_leave_out_nan() -> None:
    t = pa.table({"x": [0.0, -0.0, 1.5, float("nan"), 1.5, 1.5]})
    n = generate_statistics(t).features["x"].numeric
    assert n is not None and n.exact_counts == {0.0: 2, 1.5: 3}


def test_counts_do_not_depend_on_batches() -> None:
    days = _day_of_month().to_numpy()
    whole = generate_statistics(pa.table({"day": days}))
    small = generate_statistics(pa.table({"day": days}), StatsOptions(batch_size=97))
    assert whole.features["day"].numeric.exact_counts == (
        small.features["day"].numeric.exact_counts
    )


def test_row_order_of_a_counter_and_of_a_shuffle() -> None:
    rng = np.random.default_rng(1)
    x = np.arange(200, dtype=np.int64)
    counter = generate_statistics(pa.table({"x": x})).features["x"].numeric
    shuffled = generate_statistics(pa.table({"x": rng.permutation(x)})).features["x"].numeric
    assert counter.row_order is not None and counter.row_order.nondecreasing
    assert counter.row_order.successive_sq_diff == 199.0
    assert (counter.row_order.first, counter.row_order.last) == (0.0, 199.0)
    assert shuffled.row_order is not None and not shuffled.row_order.nondecreasing


def test_row_order_skips_nulls_nan_and_infinities() -> None:
    t = pa.table({"x": [1.0, None, float("nan"), 2.0, float("inf"), 4.0]})
    order = generate_statistics(t).features["x"].numeric.row_order
    assert order is not None and order.nondecreasing
    assert order.successive_sq_diff == 1.0 + 4.0


def test_row_order_merges_in_order() -> None:
    x = np.array([5, 1, 2, 2, 9, 3], dtype=np.int64)
    whole = generate_statistics(pa.table({"x": x}))
    merged = merge_profiles(
        generate_statistics(pa.table({"x": x[:3]})), generate_statistics(pa.table({"x": x[3:]}))
    )
    assert merged.features["x"].numeric.row_order == whole.features["x"].numeric.row_order


def test_profile_json_round_trips_counts_and_order() -> None:
    p = generate_statistics(pa.table({"x": [3, 1, 3, 2]}))
    back = DatasetProfile.from_dict(json.loads(json.dumps(p.to_dict())))
    assert back.features["x"].numeric == p.features["x"].numeric


def _without_new_fields(p: DatasetProfile) -> dict:
    document = p.to_dict()
    for f in document["features"]:
        if f.get("numeric"):
            f["numeric"].pop("distinct_counts", None)
            f["numeric"].pop("row_order", None)
    return document


def test_a_profile_written_before_loads_and_merges_without_them() -> None:
    new = generate_statistics(pa.table({"x": [3, 1, 3, 2]}))
    old = DatasetProfile.from_dict(_without_new_fields(new))
    n = old.features["x"].numeric
    assert n.distinct_counts is None and n.row_order is None
    merged = merge_profiles(old, new).features["x"].numeric
    # Counts and order of the older half are unknown, so the merged ones are too.
    assert merged.distinct_counts is None and merged.row_order is None
    assert merged.distinct_values == (1, 2, 3)
