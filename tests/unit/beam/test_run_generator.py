"""RunGenerator: any statistics generator on Beam gives what run_generator gives in memory."""

from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from datacheck.beam import RunGenerator, beam_pipeline_options
from datacheck.stats import run_generator

BATCHES = pa.table({"x": list(range(1000))}).to_batches(max_chunksize=37)


class SumAndCount:
    """A generator with a structured accumulator: the sum of x and the row count."""

    def create_accumulator(self) -> list[int]:
        return [0, 0]

    def add_input(self, acc: list[int], batch: pa.RecordBatch) -> list[int]:
        acc[0] += sum(batch.column("x").to_pylist())
        acc[1] += batch.num_rows
        return acc

    def merge_accumulators(self, accs: list[list[int]]) -> list[int]:
        first, *rest = accs
        for other in rest:
            first[0], first[1] = first[0] + other[0], first[1] + other[1]
        return first

    def compact(self, acc: list[int]) -> list[int]:
        return acc

    def extract_output(self, acc: list[int]) -> tuple[int, int]:
        return acc[0], acc[1]


def test_a_plugin_generator_gives_on_beam_what_it_gives_in_memory() -> None:
    expected = run_generator(SumAndCount(), BATCHES)
    options = beam_pipeline_options(
        "DirectRunner", ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]
    )
    with BeamTestPipeline(options=options) as p:
        out = p | beam.Create(BATCHES, reshuffle=True) | RunGenerator(SumAndCount())
        assert_that(out, equal_to([expected]))
    assert expected == (sum(range(1000)), 1000)
