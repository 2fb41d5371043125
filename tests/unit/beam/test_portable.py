"""Every datacheck transform builds a portable pipeline (the Runner API proto that Flink, Spark
and Dataflow's job servers receive), with no DirectRunner-only piece, and the proto round-trips."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_runner_api_pb2

from datacheck.beam import (
    GenerateStatistics,
    InferSchema,
    ReadBatches,
    RunGenerator,
    ValidateBatches,
    ValidateStatistics,
    WriteProfile,
    WriteReport,
)
from datacheck.schema import infer_schema
from datacheck.stats import ProfileGenerator, generate_statistics


def _proto(tmp_path: Path) -> beam_runner_api_pb2.Pipeline:
    data = tmp_path / "data.parquet"
    table = pa.table({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "a"]})
    pq.write_table(table, data)
    schema = infer_schema(generate_statistics(table))
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=PortableRunner"]))
    batches = pipeline | "Read" >> ReadBatches(str(data))
    profile = batches | "Stats" >> GenerateStatistics()
    _ = profile | "Write" >> WriteProfile(tmp_path / "p.json")
    _ = profile | "Infer" >> InferSchema()
    _ = (
        profile
        | "Validate" >> ValidateStatistics(schema, baseline=profile)
        | "Report" >> WriteReport(tmp_path / "r.json")
    )
    checked = batches | "Rows" >> ValidateBatches(schema)
    _ = checked.quarantine | "CountBad" >> beam.Map(lambda b: b.num_rows)
    _ = batches | "Generator" >> RunGenerator(ProfileGenerator())
    return pipeline.to_runner_api()


def test_every_transform_builds_a_portable_pipeline(tmp_path: Path) -> None:
    proto = _proto(tmp_path)
    names = {t.unique_name for t in proto.components.transforms.values()}
    for name in ("Read", "Stats", "Write", "Infer", "Validate", "Report", "Rows", "Generator"):
        assert name in names, name
    # Every transform's Python code travels as a portable payload in the proto, and the
    # proto reads back into a pipeline (what a job server does with it).
    again = beam.Pipeline.from_runner_api(
        beam_runner_api_pb2.Pipeline.FromString(proto.SerializeToString()),
        runner=None,
        options=PipelineOptions(),
    )
    assert {t.unique_name for t in again.to_runner_api().components.transforms.values()} >= names
    urns = {t.spec.urn for t in proto.components.transforms.values() if t.spec.urn}
    assert not any("direct" in urn.lower() for urn in urns), urns
