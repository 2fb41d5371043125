"""The StatsGenerator protocol: a Beam-CombineFn-shaped computation over record batches."""

from __future__ import annotations

from typing import Protocol, TypeVar

import pyarrow as pa

__all__ = ["StatsGenerator"]

A = TypeVar("A")
O_co = TypeVar("O_co", covariant=True)


class StatsGenerator(Protocol[A, O_co]):
    """Computes statistics over record batches, in a loop or inside Apache Beam.

    The method names and rules are those of ``apache_beam.CombineFn``: accumulators are
    small, picklable and bounded in size whatever the data; a merge mutates only the first
    accumulator it is given. The same generator gives the same output whether batches are added
    one at a time, or to separate accumulators that are merged afterwards (in any order).
    """

    def create_accumulator(self) -> A:
        """A fresh, empty accumulator: the identity of :meth:`merge_accumulators`."""
        ...

    def add_input(self, accumulator: A, batch: pa.RecordBatch) -> A:
        """Add one record batch to ``accumulator`` and return it."""
        ...

    def merge_accumulators(self, accumulators: list[A]) -> A:
        """Merge accumulators into the first one (the only one mutated) and return it."""
        ...

    def compact(self, accumulator: A) -> A:
        """Shrink ``accumulator`` before it is sent elsewhere; the output does not change."""
        ...

    def extract_output(self, accumulator: A) -> O_co:
        """The statistics of everything added to ``accumulator``."""
        ...
