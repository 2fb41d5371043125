"""Every datacheck transform builds a portable pipeline (the Runner API proto that Flink, Spark
and Dataflow's job servers receive), with no DirectRunner-only piece, and the proto round-trips.

Every PTransform ``datacheck.beam`` exports is in the pipeline (a test fails when a new one is
not), and so is each shape a transform takes: ValidateBatches with unique keys is a keyed
combine and a side input, not the plain row check.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_runner_api_pb2

import datacheck.beam
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
    _ = profile | "ValidateServing" >> ValidateStatistics(schema, serving=profile)
    checked = batches | "Rows" >> ValidateBatches(schema)
    _ = checked.quarantine | "CountBad" >> beam.Map(lambda b: b.num_rows)
    keyed = dataclasses.replace(schema, unique_keys=(("s",),))
    checked_keys = batches | "RowsKeyed" >> ValidateBatches(keyed)
    _ = checked_keys.quarantine | "CountDuplicates" >> beam.Map(lambda b: b.num_rows)
    _ = batches | "Generator" >> RunGenerator(ProfileGenerator())
    return pipeline.to_runner_api()


#: each exported transform, and the labels it has in the pipeline above
COVERED = {
    ReadBatches: ("Read",),
    GenerateStatistics: ("Stats",),
    WriteProfile: ("Write",),
    InferSchema: ("Infer",),
    ValidateStatistics: ("Validate", "ValidateServing"),
    WriteReport: ("Report",),
    ValidateBatches: ("Rows", "RowsKeyed"),
    RunGenerator: ("Generator",),
}


def test_every_transform_builds_a_portable_pipeline(tmp_path: Path) -> None:
    proto = _proto(tmp_path)
    names = {t.unique_name for t in proto.components.transforms.values()}
    for labels in COVERED.values():
        for name in labels:
            assert name in names, name
    # The keyed check is its own graph: a keyed combine over the workers, read as a side input.
    assert any(n.startswith("RowsKeyed/") and "Occurrences" in n for n in names), names
    assert any(
        t.unique_name.startswith("RowsKeyed/")
        and t.spec.urn == "beam:transform:pardo:v1"
        and any(
            p.side_inputs for p in [beam_runner_api_pb2.ParDoPayload.FromString(t.spec.payload)]
        )
        for t in proto.components.transforms.values()
    )
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


def test_every_exported_transform_is_in_the_portable_pipeline() -> None:
    exported = {
        value
        for name in datacheck.beam.__all__
        if isinstance(value := getattr(datacheck.beam, name), type)
        and issubclass(value, beam.PTransform)
    }
    assert exported == set(COVERED), exported ^ set(COVERED)
