"""Row checks on Beam: ValidateBatches quarantines rows failing a row expression or a custom
check, in process (the registry) and on worker processes (the entry point)."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from datacheck.beam import ValidateBatches, beam_pipeline_options, check_dataset_on_beam
from datacheck.errors import RowCheckError
from datacheck.schema import Feature, FeatureType, RowCheck, Schema
from datacheck.validate import (
    CHECKS_ENTRY_POINT_GROUP,
    REASONS_COLUMN,
    AnomalyCode,
    CheckedBatch,
    register_check,
    unregister_check,
)

FEATURES = (Feature(name="start", type=FeatureType.INT), Feature(name="end", type=FeatureType.INT))


def _batches() -> list[pa.RecordBatch]:
    table = pa.table(
        {"start": list(range(20)), "end": [i - 1 if i % 5 == 0 else i + 1 for i in range(20)]}
    )
    batches: list[pa.RecordBatch] = table.to_batches(max_chunksize=6)
    return batches


def _quarantined(schema: Schema, options: PipelineOptions | None = None) -> None:
    with beam.Pipeline(options=options) as p:
        checked = p | beam.Create(_batches()) | ValidateBatches(schema)
        reasons = checked.quarantine | "Reasons" >> beam.FlatMap(
            lambda b: [
                (row["start"], tuple((r["code"], r["feature"]) for r in row[REASONS_COLUMN]))
                for row in b.to_pylist()
            ]
        )
        valid = checked.valid | "Count" >> beam.Map(lambda b: b.num_rows)
        name = schema.row_checks[0].name
        code = "ROW_CHECK_FAILED" if schema.row_checks[0].expression else "CUSTOM_CHECK_FAILED"
        assert_that(reasons, equal_to([(i, ((code, name),)) for i in (0, 5, 10, 15)]), label="Bad")
        assert_that(valid | beam.CombineGlobally(sum), equal_to([16]), label="Valid")


def test_a_row_expression_quarantines_on_beam() -> None:
    _quarantined(
        Schema(features=FEATURES, row_checks=(RowCheck(name="o", expression="end > start"),))
    )


def test_a_registered_custom_check_runs_on_the_in_process_runner() -> None:
    register_check("beam.end_after", lambda b: pc.greater(b.column("end"), b.column("start")))
    try:
        _quarantined(
            Schema(features=FEATURES, row_checks=(RowCheck(name="k", check="beam.end_after"),))
        )
    finally:
        unregister_check("beam.end_after")


def test_an_unregistered_custom_check_fails_when_the_pipeline_is_built() -> None:
    schema = Schema(features=FEATURES, row_checks=(RowCheck(name="k", check="beam.nowhere"),))
    with pytest.raises(RowCheckError, match=r"custom check 'beam\.nowhere' is not registered"):
        ValidateBatches(schema)


@pytest.mark.slow
def test_a_custom_check_declared_by_entry_point_runs_on_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The package declaring the check is installed where the workers run (here: on the
    # PYTHONPATH they inherit); nothing is registered in this process.
    (tmp_path / "beam_shop_checks.py").write_text(
        "import pyarrow.compute as pc\n"
        "def end_after(batch):\n"
        "    return pc.greater(batch.column('end'), batch.column('start'))\n",
        encoding="utf-8",
    )
    info = tmp_path / "beam_shop_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: beam-shop-checks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{CHECKS_ENTRY_POINT_GROUP}]\nshop.end_after = beam_shop_checks:end_after\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    schema = Schema(features=FEATURES, row_checks=(RowCheck(name="k", check="shop.end_after"),))
    options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    try:
        _quarantined(schema, options)
    finally:
        unregister_check("shop.end_after")


@pytest.mark.parametrize("rows_wanted", [False, True])
def test_check_dataset_on_beam_reports_the_failing_share(tmp_path: Path, rows_wanted: bool) -> None:
    data = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_batches(_batches()), data)
    schema = Schema(features=FEATURES, row_checks=(RowCheck(name="o", expression="end > start"),))
    seen: list[CheckedBatch] = []
    got = check_dataset_on_beam(
        str(data),
        schema,
        beam_pipeline_options("DirectRunner", []),
        on_quarantine=seen.append if rows_wanted else None,
    )
    (anomaly,) = got.report.anomalies
    assert anomaly.code is AnomalyCode.ROW_CHECK_FAILED
    assert anomaly.measured == {"check": "o", "failed_rows": 4, "share": 0.2}
    assert sum(c.quarantined.num_rows for c in seen) == (4 if rows_wanted else 0)
