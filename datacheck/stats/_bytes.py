"""Binary statistics: byte lengths and how many values are not valid UTF-8."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck.stats._profile import BytesStatistics

__all__ = ["BytesAccumulator", "count_invalid_utf8"]

#: Below this many values, invalid UTF-8 is counted value by value rather than by bisection.
_SMALL = 32


def count_invalid_utf8(values: pa.Array) -> int:
    """How many non-null values of a binary array are not valid UTF-8.

    A whole-array cast checks the common all-valid case in one Arrow call; only arrays that
    hold invalid bytes are bisected, so the cost grows with the number of bad values.
    """
    if len(values) == 0:
        return 0
    with contextlib.suppress(pa.ArrowInvalid):  # invalid bytes: count them below
        values.cast(pa.large_string())
        return 0
    if len(values) <= _SMALL:
        bad = 0
        for value in values.to_pylist():
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
        return bad
    half = len(values) // 2
    return count_invalid_utf8(values.slice(0, half)) + count_invalid_utf8(values.slice(half))


class BytesAccumulator:
    """Mutable, picklable state of one binary feature."""

    __slots__ = ("max_length", "min_length", "num_invalid_utf8", "num_values", "sum_length")

    def __init__(self) -> None:
        self.num_values = 0
        self.sum_length = 0
        self.min_length: int | None = None
        self.max_length: int | None = None
        self.num_invalid_utf8 = 0

    def add(self, values: pa.Array, weights: np.ndarray | None) -> None:
        """Add one batch of values (weights do not change byte statistics)."""
        del weights
        if values.null_count:
            values = pc.drop_null(values)
        if len(values) == 0:
            return
        if pa.types.is_fixed_size_binary(values.type):
            values = values.cast(pa.large_binary())
        lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
        self.num_values += len(values)
        self.sum_length += int(lengths.sum())
        lo, hi = int(lengths.min()), int(lengths.max())
        self.min_length = lo if self.min_length is None else min(self.min_length, lo)
        self.max_length = hi if self.max_length is None else max(self.max_length, hi)
        self.num_invalid_utf8 += count_invalid_utf8(values)

    def merge(self, other: BytesAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.num_values += other.num_values
        self.sum_length += other.sum_length
        self.num_invalid_utf8 += other.num_invalid_utf8
        if other.min_length is not None:
            self.min_length = (
                other.min_length
                if self.min_length is None
                else min(self.min_length, other.min_length)
            )
        if other.max_length is not None:
            self.max_length = (
                other.max_length
                if self.max_length is None
                else max(self.max_length, other.max_length)
            )

    def extract(self) -> BytesStatistics:
        """The statistics of everything added so far."""
        return BytesStatistics(
            num_values=self.num_values,
            min_length=self.min_length,
            max_length=self.max_length,
            mean_length=self.sum_length / self.num_values if self.num_values else None,
            num_invalid_utf8=self.num_invalid_utf8,
        )

    @classmethod
    def from_output(cls, stats: BytesStatistics) -> BytesAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls()
        acc.num_values = stats.num_values
        acc.sum_length = round((stats.mean_length or 0.0) * stats.num_values)
        acc.min_length, acc.max_length = stats.min_length, stats.max_length
        acc.num_invalid_utf8 = stats.num_invalid_utf8
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
