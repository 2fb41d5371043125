"""Distances on known distributions: zero on equal inputs, large on clear shifts."""

from __future__ import annotations

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from datacheck.schema import ComparatorMethod
from datacheck.validate._distances import (
    NUMERIC_DISTANCES,
    CategoricalCounts,
    SketchPair,
    aligned_frequencies,
    jensen_shannon,
    ks_statistic,
    l_infinity,
    psi,
    quantile_bin_masses,
    wasserstein_normalized,
)


def _sketch(values: np.ndarray) -> kll_doubles_sketch:
    s = kll_doubles_sketch(200)
    s.update(values.astype(np.float64))
    return s


def numeric_jensen_shannon(a: kll_doubles_sketch, b: kll_doubles_sketch) -> float:
    return NUMERIC_DISTANCES[ComparatorMethod.JENSEN_SHANNON](SketchPair(a, b))


def numeric_psi(a: kll_doubles_sketch, b: kll_doubles_sketch) -> float:
    return NUMERIC_DISTANCES[ComparatorMethod.PSI](SketchPair(a, b))


RNG = np.random.default_rng(7)
NORMAL = _sketch(RNG.normal(size=50_000))
NORMAL_AGAIN = _sketch(RNG.normal(size=50_000))
SHIFTED = _sketch(RNG.normal(loc=1.0, size=50_000))
LONG_TAIL = _sketch(RNG.lognormal(sigma=2.0, size=50_000))
LONG_TAIL_AGAIN = _sketch(RNG.lognormal(sigma=2.0, size=50_000))


def test_jsd_of_disjoint_distributions_is_one() -> None:
    assert jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)


def test_quantile_bins_hold_equal_baseline_mass() -> None:
    p, _ = quantile_bin_masses(NORMAL, NORMAL_AGAIN)
    assert np.allclose(p, 0.1, atol=0.02)


def test_quantile_jsd_ignores_sampling_noise_on_a_long_tail() -> None:
    assert numeric_jensen_shannon(LONG_TAIL, LONG_TAIL_AGAIN) < 0.005


def test_quantile_jsd_sees_a_one_sigma_shift() -> None:
    assert numeric_jensen_shannon(NORMAL, SHIFTED) > 0.1


def test_ks_of_a_one_sigma_shift_is_the_normal_cdf_gap() -> None:
    # sup |Phi(x) - Phi(x - 1)| = 2 * Phi(0.5) - 1 = 0.3829
    assert ks_statistic(NORMAL, SHIFTED) == pytest.approx(0.383, abs=0.03)


def test_wasserstein_is_the_shift_in_iqr_units() -> None:
    # The normal's IQR is 1.349, so a shift of 1 is 0.741 IQRs.
    assert wasserstein_normalized(NORMAL, SHIFTED) == pytest.approx(0.741, abs=0.05)


def test_psi_of_a_shift_is_over_the_customary_alarm() -> None:
    assert numeric_psi(NORMAL, SHIFTED) > 0.25


def test_psi_of_an_empty_bin_is_finite() -> None:
    assert np.isfinite(psi(np.array([0.5, 0.5]), np.array([1.0, 0.0])))


def test_l_infinity_is_the_largest_frequency_change() -> None:
    assert l_infinity(np.array([0.5, 0.5]), np.array([0.8, 0.2])) == pytest.approx(0.3)


def test_exact_counts_align_on_the_union_of_values() -> None:
    a = CategoricalCounts(counts={"x": 3, "y": 1}, total=4, exact=True)
    b = CategoricalCounts(counts={"x": 2, "z": 2}, total=4, exact=True)
    labels, p, q = aligned_frequencies(a, b)
    assert labels == ["x", "y", "z"]
    assert p.tolist() == [0.75, 0.25, 0.0]
    assert q.tolist() == [0.5, 0.0, 0.5]


def test_top_values_lump_the_unknown_rest_into_other() -> None:
    a = CategoricalCounts(counts={"x": 50, "y": 30}, total=100, exact=False)
    b = CategoricalCounts(counts={"x": 40, "z": 35}, total=100, exact=False)
    labels, p, q = aligned_frequencies(a, b)
    assert labels == ["x", "<other>"]
    assert p.tolist() == [0.5, 0.5]
    assert q.tolist() == [0.4, 0.6]


def test_ties_rounded_two_ways_are_still_ties() -> None:
    # The same 30 tied values, exact on one side and stored as float32 offsets on the other
    # (a few 1e-8 apart); 180 items keep KLL exact, so the check is deterministic.
    values = np.repeat(np.round(np.arange(5.0, 8.0, 0.1), 1), 6)
    rounded = (values - 4.95).astype(np.float32).astype(np.float64) + 4.95
    a, b = _sketch(values), _sketch(rounded)
    assert numeric_jensen_shannon(a, b) == 0.0
    assert ks_statistic(a, b) == 0.0


@pytest.mark.parametrize(
    "values", [[0.0, 1.7976931348623157e308], [-1.7976931348623157e308, 0.0]], ids=["max", "min"]
)
def test_values_at_the_largest_double_do_not_overflow(values: list[float]) -> None:
    # Found by the property tests: the tolerance added to the largest double overflowed.
    sketch = _sketch(np.array(values))
    assert ks_statistic(sketch, sketch) == 0.0
    p, q = quantile_bin_masses(sketch, sketch)
    assert p.tolist() == q.tolist()
