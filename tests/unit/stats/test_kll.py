"""datacheck's own KLL sketch: valid DataSketches images, exact n, bounded rank error, and one
input giving one sketch, byte for byte."""

from __future__ import annotations

import pickle

import datasketches as ds
import numpy as np
import pytest

from datacheck.stats._kll import KllSketch


def _own(values: np.ndarray, k: int = 200, batch: int = 65_536) -> KllSketch:
    sketch = KllSketch(k)
    for start in range(0, values.size, batch):
        part = values[start : start + batch]
        sketch.add(part, part.min(), part.max())
    return sketch


def _fed(values: np.ndarray, k: int = 200, batch: int = 65_536):
    return _own(values, k, batch).view()


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
    # A profile written before datacheck had its own KLL holds DataSketches' own images.
    rng = np.random.default_rng(3)
    built = _own(rng.uniform(size=50_000))
    plain = ds.kll_doubles_sketch(200)
    plain.update(rng.uniform(size=50_000))
    built.merge(KllSketch.from_bytes(plain.serialize()))
    assert built.n == 100_000
    assert built.view().get_quantile(0.5) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("values", [[], [2.5], [3.0, 1.0, 2.0]])
def test_small_sketches_have_datasketches_own_bytes(values: list[float]) -> None:
    plain = ds.kll_doubles_sketch(200)
    for value in values:
        plain.update(value)
    own = _own(np.array(values, dtype=np.float64)) if values else KllSketch(200)
    assert own.view().get_quantiles([0.0, 0.5, 1.0]) == plain.get_quantiles([0.0, 0.5, 1.0])
    if len(values) < 2:  # larger ones differ in level zero's order only
        assert own.to_bytes() == plain.serialize()


def test_a_datasketches_image_reads_back_to_the_same_quantiles() -> None:
    plain = ds.kll_doubles_sketch(200)
    plain.update(np.random.default_rng(6).normal(size=30_000))
    own = KllSketch.from_bytes(plain.serialize())
    ranks = [i / 20 for i in range(21)]
    assert own.n == plain.n
    assert own.view().get_quantiles(ranks) == plain.get_quantiles(ranks)


def test_bytes_that_are_not_a_kll_sketch_are_refused() -> None:
    with pytest.raises(ValueError, match="not a KLL sketch"):
        KllSketch.from_bytes(b"\x05\x01\x0f")
    with pytest.raises(ValueError, match="not a KLL sketch"):
        KllSketch.from_bytes(ds.kll_doubles_sketch(200).serialize()[:4] + b"\x00" * 40)


def test_the_same_batches_give_the_same_bytes() -> None:
    values = np.random.default_rng(7).lognormal(size=300_000)
    assert _own(values, batch=7_000).to_bytes() == _own(values, batch=7_000).to_bytes()


def test_merging_the_same_sketches_in_the_same_order_gives_the_same_bytes() -> None:
    # DataSketches' own merge gave 5 byte strings in 5 runs of this (issue 12).
    rng = np.random.default_rng(8)
    parts = [_own(rng.normal(i, 1, size=1_000 + 500 * i)).to_bytes() for i in range(10)]

    def merged() -> bytes:
        sketch = KllSketch(200)
        for image in parts:
            sketch.merge(KllSketch.from_bytes(image))
        return sketch.to_bytes()

    assert len({merged() for _ in range(5)}) == 1


def test_merge_is_commutative() -> None:
    rng = np.random.default_rng(9)
    a, b = _own(rng.normal(size=40_000)), _own(rng.normal(1, 2, size=25_000))
    left = KllSketch.from_bytes(a.to_bytes())
    left.merge(b)
    right = KllSketch.from_bytes(b.to_bytes())
    right.merge(a)
    assert left.to_bytes() == right.to_bytes()


def test_merging_an_empty_sketch_changes_nothing() -> None:
    full = _own(np.random.default_rng(10).normal(size=20_000))
    image = full.to_bytes()
    full.merge(KllSketch(200))
    empty = KllSketch(200)
    empty.merge(full)
    assert full.to_bytes() == empty.to_bytes() == image


def test_merge_does_not_change_its_argument() -> None:
    rng = np.random.default_rng(11)
    a, b = _own(rng.normal(size=30_000)), _own(rng.normal(size=30_000))
    image = b.to_bytes()
    a.merge(b)
    assert b.to_bytes() == image


def test_merged_shards_stay_within_the_kll_bound() -> None:
    values = np.random.default_rng(12).standard_t(3, size=400_000)
    shards = [_own(part, batch=3_000) for part in np.array_split(values, 64)]
    while len(shards) > 1:  # a balanced tree of merges, as a distributed runner makes
        pairs = [shards[i : i + 2] for i in range(0, len(shards), 2)]
        for a, *rest in pairs:
            for b in rest:
                a.merge(b)
        shards = [a for a, *_ in pairs]
    sketch, ordered = shards[0].view(), np.sort(values)
    ranks = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    errors = [
        abs(np.searchsorted(ordered, q) / values.size - r)
        for q, r in zip(sketch.get_quantiles(ranks), ranks, strict=True)
    ]
    assert sketch.n == values.size
    assert max(errors) <= sketch.normalized_rank_error(False)


def test_pickles_to_the_same_sketch() -> None:
    sketch = _own(np.random.default_rng(13).normal(size=10_000))
    assert pickle.loads(pickle.dumps(sketch)).to_bytes() == sketch.to_bytes()


def test_sketched_floats_are_the_data_s_own_values() -> None:
    # Rounded copies would split ties between profiles (5.6 as 5.59999981 and 5.60000038).
    values = np.random.default_rng(4).choice([5.6, 7.1, 12.3], size=50_000)
    sketch = _fed(values)
    assert set(sketch.get_quantiles([i / 20 for i in range(21)])) <= {5.6, 7.1, 12.3}


def test_sketched_ints_are_exact() -> None:
    values = np.random.default_rng(5).integers(10**12, 10**12 + 1000, size=50_000)
    quantiles = _fed(values).get_quantiles([0.1, 0.5, 0.9])
    assert all(q == int(q) and 10**12 <= q < 10**12 + 1000 for q in quantiles)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32])
def test_narrow_ints_spanning_their_half_range_keep_their_order(dtype: type) -> None:
    # Offsets from the minimum once wrapped in the column's own width (100 - -100 as -56).
    values = np.tile(np.arange(-100, 101), 5).astype(dtype)
    sketch = _own(values, batch=1_005)
    assert sketch.view().get_quantile(0.5) == pytest.approx(0.0, abs=3)
