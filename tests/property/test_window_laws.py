"""Laws of what drift across time windows rests on.

- Exact value counts and the row order merge: the profiles of consecutive splits, merged in
  order, give the whole's (counts also in any order).
- :class:`ExactDistribution` answers as a KLL sketch that kept every value does.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from datasketches import kll_doubles_sketch
from hypothesis import given
from hypothesis import strategies as st

from datacheck.stats import generate_statistics, merge_profiles
from datacheck.validate._distances import ExactDistribution

SMALL_INTS = st.lists(st.integers(-20, 20), min_size=1, max_size=120)
FLOATS = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=120
)


@given(st.one_of(SMALL_INTS, FLOATS), st.lists(st.integers(1, 119), max_size=4))
def test_consecutive_splits_merged_in_order_give_the_whole(values: list, cuts: list[int]) -> None:
    column = pa.array(values)
    edges = sorted({c for c in cuts if c < len(values)})
    bounds = list(zip([0, *edges], [*edges, len(values)], strict=True))
    parts = [generate_statistics(pa.table({"x": column[a:b]})) for a, b in bounds]
    merged = parts[0]
    for part in parts[1:]:
        merged = merge_profiles(merged, part)
    whole = generate_statistics(pa.table({"x": column})).features["x"].numeric
    got = merged.features["x"].numeric
    assert whole is not None and got is not None
    assert got.exact_counts == whole.exact_counts
    w, g = whole.row_order, got.row_order
    assert w is not None and g is not None
    assert (g.first, g.last, g.nondecreasing) == (w.first, w.last, w.nondecreasing)
    assert math.isclose(g.successive_sq_diff, w.successive_sq_diff, rel_tol=1e-9, abs_tol=1e-6)


@given(SMALL_INTS, st.integers(1, 119))
def test_counts_merge_in_any_order(values: list[int], cut: int) -> None:
    a = generate_statistics(pa.table({"x": pa.array(values[:cut], pa.int64())}))
    b = generate_statistics(pa.table({"x": pa.array(values[cut:], pa.int64())}))
    ab = merge_profiles(a, b).features["x"].numeric
    ba = merge_profiles(b, a).features["x"].numeric
    assert ab is not None and ba is not None and ab.exact_counts == ba.exact_counts


RANKS = [0.0, 0.01, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.9, 0.99, 1.0]


@given(st.one_of(SMALL_INTS, FLOATS))
def test_exact_distribution_answers_as_an_uncompacted_sketch(values: list) -> None:
    sketch = kll_doubles_sketch(200)  # keeps every one of at most 120 values
    for v in values:
        sketch.update(float(v))
    keys, counts = np.unique(np.asarray(values, dtype=np.float64), return_counts=True)
    exact = ExactDistribution(keys.tolist(), counts.tolist())
    points = sorted({*keys.tolist(), float(keys[0]) - 1, float(keys[-1]) + 1, 0.5})
    assert exact.n == sketch.n
    for inclusive in (False, True):
        assert exact.get_quantiles(RANKS, inclusive) == sketch.get_quantiles(RANKS, inclusive)
        assert np.allclose(exact.get_cdf(points, inclusive), sketch.get_cdf(points, inclusive))
        assert np.allclose(exact.get_pmf(points, inclusive), sketch.get_pmf(points, inclusive))
