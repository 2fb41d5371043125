"""The weighted sample behind weighted quantiles: bounded, unbiased, one input giving one sample."""

from __future__ import annotations

import datasketches as ds
import numpy as np
import pytest

from datacheck.stats._sample import WeightedSample


def _sampled(values: np.ndarray, weights: np.ndarray, k: int = 512, batch: int = 5_000):
    sample = WeightedSample(k)
    for start in range(0, values.size, batch):
        sample.add(values[start : start + batch], weights[start : start + batch])
    return sample


def _data(seed: int, n: int = 60_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.exponential(size=n)


def test_holds_at_most_k_items() -> None:
    sample = _sampled(*_data(0))
    assert sample.values.size == sample.weights.size == 512


def test_a_small_input_is_kept_exactly() -> None:
    sample = _sampled(np.array([3.0, 1.0, 2.0]), np.array([1.0, 0.0, 2.5]))
    assert sample.values.tolist() == [3.0, 2.0]
    assert sample.weights.tolist() == [1.0, 2.5]


def test_weights_that_are_not_positive_and_finite_are_left_out() -> None:
    sample = _sampled(np.arange(4.0), np.array([np.nan, np.inf, -1.0, 2.0]))
    assert sample.values.tolist() == [3.0]


def test_subset_weights_are_estimated_without_bias() -> None:
    values, weights = _data(1)
    estimates = []
    for seed_shift in range(20):  # different inputs: the sample's coins follow its input
        v, w = values[seed_shift:], weights[seed_shift:]
        sample = _sampled(v, w)
        estimates.append(sample.weights[sample.values > 1.0].sum() / w[v > 1.0].sum())
    assert abs(np.mean(estimates) - 1.0) < 0.05


def test_weighted_median_is_close() -> None:
    values, weights = _data(2)
    sample = _sampled(values, weights)
    order = np.argsort(sample.values)
    cum = np.cumsum(sample.weights[order])
    median = sample.values[order][np.searchsorted(cum, cum[-1] / 2)]
    truth_order = np.argsort(values)
    truth_cum = np.cumsum(weights[truth_order])
    rank = truth_cum[np.searchsorted(values[truth_order], median)] / truth_cum[-1]
    assert abs(rank - 0.5) < 0.05


def test_the_same_input_gives_the_same_bytes() -> None:
    assert _sampled(*_data(3)).to_bytes() == _sampled(*_data(3)).to_bytes()


def test_merging_the_same_samples_in_the_same_order_gives_the_same_bytes() -> None:
    parts = [_sampled(*_data(10 + i, 3_000)).to_bytes() for i in range(6)]

    def merged() -> bytes:
        sample = WeightedSample(512)
        for image in parts:
            sample.merge(WeightedSample.from_bytes(image))
        return sample.to_bytes()

    assert len({merged() for _ in range(3)}) == 1


def test_merging_an_empty_sample_changes_nothing() -> None:
    full = _sampled(*_data(4))
    image = full.to_bytes()
    full.merge(WeightedSample(512))
    empty = WeightedSample(512)
    empty.merge(full)
    assert full.to_bytes() == empty.to_bytes() == image


def test_reads_a_sample_that_varopt_itself_drew() -> None:
    # Profiles written before held DataSketches' own VarOpt samples.
    sketch = ds.var_opt_sketch(64)
    for i in range(1_000):
        sketch.update(float(i), 1.0)
    sample = WeightedSample.from_bytes(bytes(sketch.serialize(ds.PyDoublesSerDe())))
    assert sample.values.size == 64
    assert sample.weights.sum() == pytest.approx(1_000.0)
