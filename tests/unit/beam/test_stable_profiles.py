"""On Beam too, one input read in the same bundles gives one profile, byte for byte."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from datacheck.beam import (
    GenerateStatistics,
    ReadBatches,
    WriteProfile,
    beam_pipeline_options,
    run_pipeline,
)
from datacheck.stats import StatsOptions


def _profile_bytes(data: Path, out: Path, options: StatsOptions) -> bytes:
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    _ = pipeline | ReadBatches(data) | GenerateStatistics(options) | WriteProfile(out)
    run_pipeline(pipeline)
    return out.read_bytes()


def test_two_runs_over_the_same_bundles_give_the_same_bytes(tmp_path: Path) -> None:
    # 20,000 rows in 10 row groups: every sketch compacts, within bundles and across them.
    rows = 20_000
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "v": rng.lognormal(0.0, 1.0, rows),
            "c": rng.integers(0, 3_000, rows).astype(str),
            "k": np.array(["p", "q"])[rng.integers(0, 2, rows)],
            "w": rng.uniform(0.5, 2.0, rows),
        }
    )
    data = tmp_path / "data.parquet"
    pq.write_table(table, data, row_group_size=2_000)
    options = StatsOptions(weight="w", slice_by=("k",))
    first = _profile_bytes(data, tmp_path / "first.json", options)
    second = _profile_bytes(data, tmp_path / "second.json", options)
    assert first == second
