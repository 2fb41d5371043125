"""GenerateStatistics gives generate_statistics' profile: many bundles, two processes, slices."""

from __future__ import annotations

import pickle
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import Metrics, MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from datacheck.beam import (
    GenerateStatistics,
    ProfileCombineFn,
    ReadBatches,
    WriteProfile,
    beam_pipeline_options,
    run_pipeline,
)
from datacheck.errors import OptionError
from datacheck.stats import QUANTILE_RANKS, StatsOptions, generate_statistics, load_profile
from tests.strategies import assert_profiles_equivalent

MANY_BUNDLES = ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]
TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


class _CountBundles(beam.DoFn):  # type: ignore[misc]
    def start_bundle(self) -> None:
        Metrics.counter("test", "bundles").inc()

    def process(self, batch: pa.RecordBatch):  # type: ignore[no-untyped-def]
        yield batch


def _profile_in_pipeline(batches, options, beam_args, out: Path, *, count_bundles=False):
    pipeline = BeamTestPipeline(options=beam_pipeline_options("DirectRunner", beam_args))
    stream = pipeline | "Batches" >> beam.Create(batches)
    if count_bundles:
        stream = stream | "CountBundles" >> beam.ParDo(_CountBundles())
    _ = stream | "Stats" >> GenerateStatistics(options) | "Write" >> WriteProfile(out)
    result = pipeline.run()
    result.wait_until_finish()
    return load_profile(out), result


def test_many_bundles_give_the_in_memory_profile(table: pa.Table, tmp_path: Path) -> None:
    batches = table.to_batches(max_chunksize=7)
    options = StatsOptions(slice_by=("k",), weight="w")
    profile, result = _profile_in_pipeline(
        batches, options, MANY_BUNDLES, tmp_path / "p.json", count_bundles=True
    )
    bundles = result.metrics().query(MetricsFilter().with_name("bundles"))["counters"]
    assert sum(c.committed for c in bundles) >= 4
    assert_profiles_equivalent(profile, generate_statistics(table, options))
    assert profile.options == options


@pytest.mark.slow
def test_two_processes_give_the_in_memory_profile(parquet_parts: list[str], tmp_path: Path) -> None:
    options = StatsOptions(slice_by=("k",))
    out = tmp_path / "p.json"
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", TWO_PROCESSES))
    _ = (
        pipeline
        | "Read" >> ReadBatches(parquet_parts)
        | "Stats" >> GenerateStatistics(options)
        | "Write" >> WriteProfile(out)
    )
    run_pipeline(pipeline)
    assert_profiles_equivalent(load_profile(out), generate_statistics(parquet_parts, options))


def test_sketch_fields_agree_within_their_error_bounds(tmp_path: Path) -> None:
    # 20,000 values: the KLL sketches compact, so quantiles are estimates on both paths.
    rng = np.random.default_rng(3)
    values = rng.lognormal(0.0, 1.0, 20_000)
    table = pa.table({"v": values, "c": rng.integers(0, 3000, 20_000).astype(str)})
    data = tmp_path / "data.parquet"
    pq.write_table(table, data, row_group_size=1000)
    out = tmp_path / "p.json"
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", MANY_BUNDLES))
    _ = pipeline | ReadBatches(data) | GenerateStatistics() | WriteProfile(out)
    run_pipeline(pipeline)
    profile, memory = load_profile(out), generate_statistics(data)
    epsilon = 2 * 1.65 / StatsOptions().kll_k  # twice the sketch's normalized rank error
    ordered = np.sort(values)
    numeric = profile.features["v"].numeric
    assert numeric is not None and numeric.num_values == 20_000
    for rank, q in zip(QUANTILE_RANKS, numeric.quantiles, strict=True):
        measured = np.searchsorted(ordered, q, side="right") / len(ordered)
        assert abs(measured - rank) <= epsilon + 1 / len(ordered), (rank, q, measured)
    strings, expected = profile.features["c"].string, memory.features["c"].string
    assert strings is not None and expected is not None
    assert strings.num_values == expected.num_values
    assert strings.distinct_lower_bound <= 3000 <= strings.distinct_upper_bound
    assert strings.distinct_lower_bound <= expected.distinct <= strings.distinct_upper_bound


def test_combine_fn_forwards_to_the_generator(table: pa.Table) -> None:
    fn = ProfileCombineFn(StatsOptions())
    fn.setup()
    left = fn.add_input(fn.create_accumulator(), table.to_batches()[0].slice(0, 60))
    right = fn.add_input(fn.create_accumulator(), table.to_batches()[0].slice(60))
    merged = fn.merge_accumulators([left, pickle.loads(pickle.dumps(fn.compact(right)))])
    fn.teardown()
    assert_profiles_equivalent(fn.extract_output(merged), generate_statistics(table))


def test_combine_fn_pickles_without_its_thread_pool() -> None:
    fn = ProfileCombineFn(StatsOptions(threads=2))
    fn.setup()
    copy = pickle.loads(pickle.dumps(fn))
    fn.teardown()
    assert copy._pool is None


def test_zero_rows_give_the_in_memory_profile_of_zero_rows(tmp_path: Path) -> None:
    empty = pa.RecordBatch.from_pydict({"x": pa.array([], pa.int64())})
    profile, _ = _profile_in_pipeline([empty], StatsOptions(), [], tmp_path / "p.json")
    assert profile.num_rows == 0 and list(profile.features) == ["x"]
    assert_profiles_equivalent(profile, generate_statistics(empty))


def test_no_batch_at_all_gives_an_empty_profile(tmp_path: Path) -> None:
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    out = tmp_path / "p.json"
    _ = pipeline | beam.Create([]) | GenerateStatistics() | WriteProfile(out)
    run_pipeline(pipeline)
    profile = load_profile(out)
    assert profile.num_rows == 0 and not profile.features


def test_missing_slice_column_fails_with_option_error(table: pa.Table) -> None:
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    _ = (
        pipeline
        | beam.Create(table.to_batches())
        | GenerateStatistics(StatsOptions(slice_by=("nope",)))
    )
    with pytest.raises(OptionError, match="slice_by='nope': no such column"):
        run_pipeline(pipeline)


def test_too_many_slices_fail_with_option_error(table: pa.Table) -> None:
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    _ = (
        pipeline
        | beam.Create(table.to_batches())
        | GenerateStatistics(StatsOptions(slice_by=("k",), max_slices=2))
    )
    with pytest.raises(OptionError, match="more than 2 slices"):
        run_pipeline(pipeline)
