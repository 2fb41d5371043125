"""Laws of the drift distances: identity, bounds, symmetry where it holds."""

from __future__ import annotations

import numpy as np
from datasketches import kll_doubles_sketch
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import ComparatorMethod as M
from datacheck.validate._distances import (
    CATEGORICAL_DISTANCES,
    NUMERIC_DISTANCES,
    CategoricalCounts,
    CountsPair,
    SketchPair,
    jensen_shannon,
    l_infinity,
    psi,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
samples = st.lists(finite, min_size=1, max_size=300)
masses = st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=2, max_size=12)
counts = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 1000), min_size=1)


def _sketch(values: list[float]) -> kll_doubles_sketch:
    s = kll_doubles_sketch(200)
    s.update(np.asarray(values, dtype=np.float64))
    return s


def _normalized(a: list[float], b: list[float]) -> tuple[np.ndarray, np.ndarray] | None:
    n = min(len(a), len(b))
    p, q = np.asarray(a[:n]), np.asarray(b[:n])
    if p.sum() == 0 or q.sum() == 0:
        return None
    return p / p.sum(), q / q.sum()


@given(samples)
def test_numeric_distance_of_a_sample_to_itself_is_zero(values: list[float]) -> None:
    s = _sketch(values)
    for fn in NUMERIC_DISTANCES.values():
        assert fn(SketchPair(s, s)) == 0.0


@given(samples, samples)
def test_numeric_bounded_distances_stay_in_unit_interval(a: list[float], b: list[float]) -> None:
    pair = SketchPair(_sketch(a), _sketch(b))
    for method in (M.JENSEN_SHANNON, M.KS, M.L_INFINITY):
        assert 0.0 <= NUMERIC_DISTANCES[method](pair) <= 1.0


@given(samples, samples)
def test_numeric_psi_and_wasserstein_are_non_negative(a: list[float], b: list[float]) -> None:
    pair = SketchPair(_sketch(a), _sketch(b))
    assert NUMERIC_DISTANCES[M.PSI](pair) >= 0.0
    assert NUMERIC_DISTANCES[M.WASSERSTEIN](pair) >= 0.0


@given(samples, samples)
def test_ks_is_symmetric(a: list[float], b: list[float]) -> None:
    sa, sb = _sketch(a), _sketch(b)
    ks = NUMERIC_DISTANCES[M.KS]
    assert abs(ks(SketchPair(sa, sb)) - ks(SketchPair(sb, sa))) < 1e-12


@given(masses, masses)
def test_jsd_is_symmetric_and_in_unit_interval(a: list[float], b: list[float]) -> None:
    pq = _normalized(a, b)
    if pq is None:
        return
    p, q = pq
    d = jensen_shannon(p, q)
    assert 0.0 <= d <= 1.0
    assert abs(d - jensen_shannon(q, p)) < 1e-9


@given(masses, masses)
def test_psi_and_l_infinity_are_symmetric(a: list[float], b: list[float]) -> None:
    pq = _normalized(a, b)
    if pq is None:
        return
    p, q = pq
    assert abs(psi(p, q) - psi(q, p)) < 1e-9
    assert abs(l_infinity(p, q) - l_infinity(q, p)) < 1e-12


@given(counts, st.booleans())
def test_categorical_distance_to_itself_is_zero(c: dict[str, int], exact: bool) -> None:
    side = CategoricalCounts(counts=c, total=sum(c.values()) * (1 if exact else 2), exact=exact)
    for fn in CATEGORICAL_DISTANCES.values():
        assert fn(CountsPair(side, side)) == 0.0


@given(counts, counts)
def test_categorical_l_infinity_and_jsd_in_unit_interval(
    a: dict[str, int], b: dict[str, int]
) -> None:
    ca = CategoricalCounts(counts=a, total=sum(a.values()), exact=True)
    cb = CategoricalCounts(counts=b, total=sum(b.values()), exact=True)
    for method in (M.L_INFINITY, M.JENSEN_SHANNON):
        assert 0.0 <= CATEGORICAL_DISTANCES[method](CountsPair(ca, cb)) <= 1.0
