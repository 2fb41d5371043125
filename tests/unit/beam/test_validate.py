"""ValidateBatches keeps every row (valid + quarantine = input); ValidateStatistics, InferSchema."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from datacheck.beam import (
    GenerateStatistics,
    InferSchema,
    ReadBatches,
    ValidateBatches,
    ValidateStatistics,
    WriteReport,
    beam_pipeline_options,
    run_pipeline,
)
from datacheck.errors import OptionError
from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    ValidationReport,
    validate_batches,
    validate_statistics,
)

TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def _with_bad_rows(table: pa.Table) -> pa.Table:
    """The table with every 7th ``s`` out of its domain and every 10th ``n`` missing."""
    s = [("purple" if i % 7 == 0 else v) for i, v in enumerate(table.column("s").to_pylist())]
    n = [(None if i % 10 == 0 else v) for i, v in enumerate(table.column("n").to_pylist())]
    return table.set_column(2, "s", pa.array(s)).set_column(1, "n", pa.array(n, pa.int64()))


@pytest.mark.slow
def test_every_row_comes_out_once_in_two_processes(table: pa.Table, tmp_path: Path) -> None:
    schema = infer_schema(generate_statistics(table))
    bad = _with_bad_rows(table)
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"part-{i}.parquet")
        pq.write_table(bad.slice(i * 50, 50), paths[-1], row_group_size=10)
    expected_bad = sum(c.quarantined.num_rows for c in validate_batches(bad.to_batches(), schema))
    assert 0 < expected_bad < bad.num_rows

    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", TWO_PROCESSES))
    checked = pipeline | ReadBatches(paths) | ValidateBatches(schema)
    valid = checked.valid | "CountValid" >> beam.Map(lambda b: b.num_rows)
    quarantined = checked.quarantine | "CountBad" >> beam.Map(lambda b: b.num_rows)
    reasons = checked.quarantine | "Reasons" >> beam.Map(
        lambda b: (tuple(b.schema.names[-3:]), b.column(REASONS_COLUMN).null_count)
    )
    assert_that(
        valid | "SumValid" >> beam.CombineGlobally(sum),
        equal_to([bad.num_rows - expected_bad]),
        label="ValidRows",
    )
    assert_that(
        quarantined | "SumBad" >> beam.CombineGlobally(sum),
        equal_to([expected_bad]),
        label="QuarantinedRows",
    )
    assert_that(
        reasons | "AllReasons" >> beam.Distinct(),
        equal_to([((REASONS_COLUMN, *SOURCE_COLUMNS), 0)]),
        label="EveryRowHasReasons",
    )
    run_pipeline(pipeline)


def test_unknown_environment_is_refused_when_the_pipeline_is_built(table: pa.Table) -> None:
    schema = infer_schema(generate_statistics(table))
    with pytest.raises(OptionError):
        ValidateBatches(schema, environment="NOWHERE")


def test_validate_statistics_reports_as_in_memory(table: pa.Table, tmp_path: Path) -> None:
    schema = infer_schema(generate_statistics(table))
    bad = _with_bad_rows(table)
    out = tmp_path / "report.json"
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    baseline = (
        pipeline
        | "Baseline" >> beam.Create(table.to_batches())
        | ("BaselineStats" >> GenerateStatistics())
    )
    _ = (
        pipeline
        | "Data" >> beam.Create(bad.to_batches(max_chunksize=40))
        | "Stats" >> GenerateStatistics()
        | "Validate" >> ValidateStatistics(schema, baseline=baseline)
        | "Write" >> WriteReport(out)
    )
    run_pipeline(pipeline)
    report = ValidationReport.from_dict(json.loads(out.read_text(encoding="utf-8")))
    expected = validate_statistics(
        generate_statistics(bad), schema, baseline=generate_statistics(table)
    )
    assert sorted((a.code, a.path) for a in report.anomalies) == sorted(
        (a.code, a.path) for a in expected.anomalies
    )
    assert report.verdict == expected.verdict == "fail"
    assert report.summary.baseline_row_count == table.num_rows


def test_infer_schema_in_a_pipeline_equals_infer_schema(table: pa.Table) -> None:
    expected = infer_schema(generate_statistics(table))
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner"))
    schema = pipeline | beam.Create(table.to_batches()) | GenerateStatistics() | InferSchema()
    assert_that(schema, equal_to([expected]))
    run_pipeline(pipeline)
