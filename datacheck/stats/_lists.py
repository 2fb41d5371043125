"""Value counts of list features: how many values each present row holds."""

from __future__ import annotations

from typing import Any

import numpy as np

from datacheck.stats._kll import KllSketch
from datacheck.stats._numeric import kll_histograms
from datacheck.stats._options import StatsOptions
from datacheck.stats._profile import ValueCountStatistics

__all__ = ["ValueCountAccumulator"]


class ValueCountAccumulator:
    """Mutable, picklable state of one list feature's values-per-row."""

    __slots__ = ("kll", "max", "min", "num_rows", "num_values", "options")

    def __init__(self, options: StatsOptions) -> None:
        self.options = options
        self.num_rows = 0
        self.num_values = 0
        self.min: int | None = None
        self.max: int | None = None
        self.kll = KllSketch(options.kll_k)

    def add(self, lengths: np.ndarray) -> None:
        """Add the lengths of one batch's present lists."""
        if lengths.size == 0:
            return
        self.num_rows += int(lengths.size)
        self.num_values += int(lengths.sum())
        lo, hi = int(lengths.min()), int(lengths.max())
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        self.kll.add(lengths, lo, hi)

    def merge(self, other: ValueCountAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.num_rows += other.num_rows
        self.num_values += other.num_values
        if other.min is not None:
            self.min = other.min if self.min is None else min(self.min, other.min)
        if other.max is not None:
            self.max = other.max if self.max is None else max(self.max, other.max)
        self.kll.merge(other.kll)

    def extract(self) -> ValueCountStatistics | None:
        """The value counts so far; None when no list was present."""
        if self.min is None or self.max is None:
            return None
        histogram, _ = kll_histograms(
            self.kll.view(), float(self.min), float(self.max), self.options
        )
        return ValueCountStatistics(
            min=self.min,
            max=self.max,
            mean=self.num_values / self.num_rows,
            num_values=self.num_values,
            histogram=histogram,
            kll_sketch=self.kll.to_bytes(),
        )

    @classmethod
    def from_output(
        cls, stats: ValueCountStatistics, options: StatsOptions, num_rows: int
    ) -> ValueCountAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls(options)
        acc.num_rows = num_rows
        acc.num_values = stats.num_values
        acc.min, acc.max = stats.min, stats.max
        acc.kll = KllSketch.from_bytes(stats.kll_sketch)
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
