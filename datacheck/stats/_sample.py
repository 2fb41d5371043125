"""A bounded weighted sample whose bytes depend only on its input, for weighted quantiles.

Weighted numeric statistics kept a DataSketches VarOpt sample, which draws from an unseeded
random generator inside its C++ code once it holds more than ``k`` items: one input gave a
different sample, and different weighted quantiles, on every run (issue 12). This sample uses
priority sampling (Duffield, Lund and Thorup, "Priority sampling for estimation of arbitrary
subset sums", J. ACM 2007) instead: each item gets the priority ``w / u``, ``u`` uniform in
``(0, 1]``; the ``k`` items of largest priority are kept, each with the weight ``max(w, tau)``,
``tau`` the ``k+1``-th largest priority. Every subset's total weight is then estimated without
bias, and stays so when a sample is sampled again with the adjusted weights (the next batch,
a merge), which is how VarOpt merges too. Each ``u`` is a splitmix64 hash of the item's
position (how many items came before this step, and its index in the step), so one input in
one order always gives one sample. Every step is a few numpy calls over the batch, where the
VarOpt sample took one Python call per value.

The bytes are a VarOpt image all the same (``var_opt_sketch`` of size ``k`` holding the kept
items with their adjusted weights: VarOpt holds up to ``k`` items exactly, and exactly is
deterministic), so the profile format is unchanged and profiles written before read as before.
"""

from __future__ import annotations

from typing import Any

import datasketches as ds
import numpy as np

__all__ = ["WeightedSample"]

_SERDE = ds.PyDoublesSerDe()
_MASK = (1 << 64) - 1
#: what a step's hash key starts with: a batch added, or two samples merged
_ADD, _MERGE = 1, 2


def _mix(x: int) -> int:
    """splitmix64's finaliser on a Python integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _uniforms(count: int, keys: tuple[int, ...]) -> np.ndarray:
    """``count`` numbers in ``(0, 1]``, a splitmix64 hash of ``keys`` and each index."""
    seed = 0
    for key in keys:
        seed = _mix(seed ^ (key & _MASK))
    # uint64 arithmetic on arrays wraps modulo 2**64, as splitmix64 wants.
    x = np.arange(count, dtype=np.uint64) + np.uint64(seed)
    x += np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return ((x >> np.uint64(11)).astype(np.float64) + 1.0) / float(2**53)


class WeightedSample:
    """At most ``k`` (value, adjusted weight) pairs whose weights estimate any subset's weight.

    Mutable; merge into the first sample only. Its arrays are never changed in place.

    Args:
        k: The most items kept (the options' ``weighted_sample_size``).
    """

    __slots__ = ("k", "n", "values", "weights")

    def __init__(self, k: int) -> None:
        self.k = k
        #: items offered so far (those of positive, finite weight)
        self.n = 0
        self.values = np.empty(0, dtype=np.float64)
        self.weights = np.empty(0, dtype=np.float64)

    def add(self, values: np.ndarray, weights: np.ndarray) -> None:
        """Offer ``values`` with their ``weights``; weights that are not positive and finite
        are left out (as VarOpt refused them)."""
        keep = np.isfinite(weights) & (weights > 0)
        values = values[keep].astype(np.float64, copy=False)
        weights = weights[keep].astype(np.float64, copy=False)
        if values.size == 0:
            return
        before = self.n
        self.n += int(values.size)
        self._keep(
            np.concatenate((self.values, values)),
            np.concatenate((self.weights, weights)),
            (_ADD, before, self.n),
        )

    def merge(self, other: WeightedSample) -> None:
        """Fold ``other`` into this sample; ``other`` is not changed."""
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.values, self.weights = other.n, other.values, other.weights
            return
        small = min(self.n, other.n)
        self.n += other.n
        self._keep(
            np.concatenate((self.values, other.values)),
            np.concatenate((self.weights, other.weights)),
            (_MERGE, small, self.n),
        )

    def _keep(self, values: np.ndarray, weights: np.ndarray, keys: tuple[int, ...]) -> None:
        """Keep the ``k`` items of largest priority among ``values``, with adjusted weights."""
        k = self.k
        if values.size <= k:
            self.values, self.weights = values, weights
            return
        priority = weights / _uniforms(values.size, keys)
        order = np.argpartition(-priority, k)
        tau = priority[order[k]]
        kept = np.sort(order[:k])
        self.values, self.weights = values[kept], np.maximum(weights[kept], tau)

    def to_bytes(self) -> bytes:
        """The sample as a DataSketches VarOpt image of size ``k`` (held exactly)."""
        sketch = ds.var_opt_sketch(self.k)
        update = sketch.update
        for value, weight in zip(self.values.tolist(), self.weights.tolist(), strict=True):
            update(value, weight)
        return bytes(sketch.serialize(_SERDE))

    @classmethod
    def from_bytes(cls, image: bytes) -> WeightedSample:
        """The sample of a VarOpt image (this class's, or one VarOpt itself sampled)."""
        sketch: Any = ds.var_opt_sketch.deserialize(image, _SERDE)
        sample = cls(int(sketch.k))
        pairs = list(sketch)
        sample.n = int(sketch.n)
        sample.values = np.array([v for v, _ in pairs], dtype=np.float64)
        sample.weights = np.array([w for _, w in pairs], dtype=np.float64)
        return sample
