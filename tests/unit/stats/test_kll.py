"""Sorted batches built straight into KLL sketches: valid images, exact n, bounded rank error."""

from __future__ import annotations

import datasketches as ds
import numpy as np
import pytest

from datacheck.stats._kll import kll_add


def _fed(values: np.ndarray, k: int = 200, batch: int = 65_536):
    sketch = ds.kll_doubles_sketch(k)
    for start in range(0, values.size, batch):
        part = values[start : start + batch]
        kll_add(sketch, part, k, part.min(), part.max())
    return sketch


def test_the_built_image_is_one_datasketches_reads_and_writes_back() -> None:
    sketch = _fed(np.random.default_rng(0).normal(size=10_000))
    image = sketch.serialize()
    assert ds.kll_doubles_sketch.deserialize(image).serialize() == image


def test_count_min_and_max_are_exact() -> None:
    values = np.random.default_rng(1).lognormal(size=300_001)
    sketch = _fed(values)
    assert sketch.n == values.size
    assert (sketch.get_min_value(), sketch.get_max_value()) == (values.min(), values.max())


@pytest.mark.parametrize("batch", [1_000, 65_536])
def test_rank_error_is_within_the_kll_bound(batch: int) -> None:
    values = np.random.default_rng(2).standard_t(3, size=400_000)
    sketch = _fed(values, batch=batch)
    ordered = np.sort(values)
    ranks = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    estimates = sketch.get_quantiles(ranks)
    errors = [
        abs(np.searchsorted(ordered, q) / values.size - r)
        for q, r in zip(estimates, ranks, strict=True)
    ]
    assert max(errors) <= sketch.normalized_rank_error(False)


def test_small_batches_are_kept_exactly() -> None:
    sketch = _fed(np.array([3.0, 1.0, 2.0]))
    assert sketch.get_quantiles([0.0, 0.5, 1.0]) == [1.0, 2.0, 3.0]


def test_merges_with_a_sketch_fed_value_by_value() -> None:
    rng = np.random.default_rng(3)
    built = _fed(rng.uniform(size=50_000))
    plain = ds.kll_doubles_sketch(200)
    plain.update(rng.uniform(size=50_000))
    built.merge(plain)
    assert built.n == 100_000
    assert built.get_quantile(0.5) == pytest.approx(0.5, abs=0.02)


def test_sketched_floats_are_the_data_s_own_values() -> None:
    # Rounded copies would split ties between profiles (5.6 as 5.59999981 and 5.60000038).
    values = np.random.default_rng(4).choice([5.6, 7.1, 12.3], size=50_000)
    sketch = _fed(values)
    assert set(sketch.get_quantiles([i / 20 for i in range(21)])) <= {5.6, 7.1, 12.3}


def test_sketched_ints_are_exact() -> None:
    values = np.random.default_rng(5).integers(10**12, 10**12 + 1000, size=50_000)
    quantiles = _fed(values).get_quantiles([0.1, 0.5, 0.9])
    assert all(q == int(q) and 10**12 <= q < 10**12 + 1000 for q in quantiles)
