"""Boolean statistics: true and false counts, and their weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck.stats._profile import BoolStatistics

__all__ = ["BoolAccumulator"]


class BoolAccumulator:
    """Mutable, picklable state of one boolean feature."""

    __slots__ = ("num_false", "num_true", "weighted_false", "weighted_true")

    def __init__(self, *, weighted: bool) -> None:
        self.num_true = 0
        self.num_false = 0
        self.weighted_true: float | None = 0.0 if weighted else None
        self.weighted_false: float | None = 0.0 if weighted else None

    def add(self, values: pa.Array, weights: np.ndarray | None) -> None:
        """Add one batch of values; ``weights`` (aligned with ``values``) only when weighted."""
        present = len(values) - values.null_count
        true = int(pc.sum(values.cast(pa.int64())).as_py() or 0)
        self.num_true += true
        self.num_false += present - true
        if weights is not None and self.weighted_true is not None:
            is_true = pc.fill_null(values, False).to_numpy(zero_copy_only=False)
            is_false = pc.fill_null(pc.invert(values), False).to_numpy(zero_copy_only=False)
            self.weighted_true += float(weights[is_true].sum())
            self.weighted_false = (self.weighted_false or 0.0) + float(weights[is_false].sum())

    def merge(self, other: BoolAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.num_true += other.num_true
        self.num_false += other.num_false
        if self.weighted_true is not None and other.weighted_true is not None:
            self.weighted_true += other.weighted_true
            self.weighted_false = (self.weighted_false or 0.0) + (other.weighted_false or 0.0)

    def extract(self) -> BoolStatistics:
        """The statistics of everything added so far."""
        return BoolStatistics(
            num_true=self.num_true,
            num_false=self.num_false,
            weighted_num_true=self.weighted_true,
            weighted_num_false=self.weighted_false,
        )

    @classmethod
    def from_output(cls, stats: BoolStatistics) -> BoolAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls(weighted=stats.weighted_num_true is not None)
        acc.num_true, acc.num_false = stats.num_true, stats.num_false
        acc.weighted_true, acc.weighted_false = stats.weighted_num_true, stats.weighted_num_false
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
