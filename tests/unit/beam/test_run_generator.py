"""RunGenerator: any statistics generator on Beam gives what run_generator gives in memory."""

from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from datacheck.beam import RunGenerator, beam_pipeline_options
from datacheck.stats import run_generator
from tests.unit.test_testing_consistency import SumOfX

BATCHES = pa.table({"x": list(range(1000))}).to_batches(max_chunksize=37)


def test_a_plugin_generator_gives_on_beam_what_it_gives_in_memory() -> None:
    expected = run_generator(SumOfX(), BATCHES)
    options = beam_pipeline_options(
        "DirectRunner", ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]
    )
    with BeamTestPipeline(options=options) as p:
        out = p | beam.Create(BATCHES, reshuffle=True) | RunGenerator(SumOfX())
        assert_that(out, equal_to([expected]))
    assert expected == (sum(range(1000)), 1000)
