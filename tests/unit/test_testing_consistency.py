"""datacheck.testing.assert_generator_consistent: passes a lawful generator, catches broken ones."""

from __future__ import annotations

import pyarrow as pa
import pytest

from datacheck.testing import assert_generator_consistent

BATCHES = [pa.record_batch({"x": v}) for v in ([1, 2], [3], [4, 5, 6])]


class SumOfX:
    """A lawful generator: the sum and count of column x."""

    def create_accumulator(self) -> list[int]:
        return [0, 0]

    def add_input(self, acc: list[int], batch: pa.RecordBatch) -> list[int]:
        acc[0] += sum(batch.column("x").to_pylist())
        acc[1] += batch.num_rows
        return acc

    def merge_accumulators(self, accs: list[list[int]]) -> list[int]:
        first, *rest = accs
        for other in rest:
            first[0] += other[0]
            first[1] += other[1]
        return first

    def compact(self, acc: list[int]) -> list[int]:
        return acc

    def extract_output(self, acc: list[int]) -> tuple[int, int]:
        return acc[0], acc[1]


class DropsTheLastMerged(SumOfX):
    def merge_accumulators(self, accs: list[list[int]]) -> list[int]:
        return super().merge_accumulators(accs[:-1]) if len(accs) > 1 else accs[0]


class MutatesTheSecond(SumOfX):
    def merge_accumulators(self, accs: list[list[int]]) -> list[int]:
        merged = super().merge_accumulators(accs)
        for other in accs[1:]:
            other[1] = -1
        return merged


def test_a_lawful_generator_passes_and_returns_the_reference() -> None:
    assert assert_generator_consistent(SumOfX(), BATCHES) == (21, 6)


@pytest.mark.parametrize("broken", [DropsTheLastMerged, MutatesTheSecond])
def test_a_broken_generator_fails(broken: type[SumOfX]) -> None:
    with pytest.raises(AssertionError):
        assert_generator_consistent(broken(), BATCHES)


def test_a_custom_comparison_is_used() -> None:
    seen: list[str] = []

    def record(got: tuple[int, int], expected: tuple[int, int], where: str) -> None:
        seen.append(where)

    assert_generator_consistent(SumOfX(), BATCHES, equal=record)
    assert len(seen) >= 4
