"""WriteProfile and WriteReport: one file, replaced atomically, no temporary file left."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pyarrow as pa

from datacheck.beam import GenerateStatistics, WriteProfile, beam_pipeline_options, run_pipeline
from datacheck.stats import load_profile


def test_write_profile_replaces_the_file_and_leaves_nothing_else(
    table: pa.Table, tmp_path: Path
) -> None:
    out = tmp_path / "profile.json"
    out.write_text("old", encoding="utf-8")
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    _ = pipeline | beam.Create(table.to_batches()) | GenerateStatistics() | WriteProfile(out)
    run_pipeline(pipeline)
    assert load_profile(out).num_rows == table.num_rows
    assert [p.name for p in tmp_path.iterdir()] == ["profile.json"]
