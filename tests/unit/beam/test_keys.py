"""Unique keys and patterns on Beam: the keyed combine quarantines the rows the in-memory
check quarantines, with the same reasons and sources, and reports the same anomalies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.beam import beam_pipeline_options, check_dataset_on_beam
from datacheck.schema import Feature, FeatureType, Schema, StringPattern
from datacheck.validate import CheckedBatch, check_dataset

MANY_BUNDLES = ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]

SCHEMA = Schema(
    features=(
        Feature(name="id", type=FeatureType.STRING, pattern=StringPattern(regex=r"[a-z]\d")),
        Feature(name="n", type=FeatureType.INT),
    ),
    unique_keys=(("id",), ("id", "n")),
)


def _parts(tmp_path: Path) -> Path:
    """120 rows over 3 Parquet files (row groups of 15): keys repeat within and across files,
    some are missing, some break the pattern."""
    rng = np.random.default_rng(3)
    ids = np.array([f"{c}{d}" for c in "abc" for d in range(10)] + ["bad", "Z9"])
    rows = 120
    id_values = ids[rng.integers(0, ids.size, rows)].tolist()
    for i in range(0, rows, 13):
        id_values[i] = None
    table = pa.table({"id": id_values, "n": rng.integers(0, 3, rows)})
    directory = tmp_path / "data"
    directory.mkdir()
    for i, start in enumerate(range(0, rows, 40)):
        pq.write_table(table.slice(start, 40), directory / f"part-{i}.parquet", row_group_size=15)
    return directory


def _rows(checked: list[CheckedBatch]) -> dict[tuple[str, int], Any]:
    out = {}
    for c in checked:
        for row in c.quarantined.to_pylist():
            file = Path(row["datacheck_source_file"]).name
            out[(file, row["datacheck_source_row"])] = (
                row["id"],
                row["n"],
                row["datacheck_reasons"],
            )
    return out


def _ours(report: Any) -> list[tuple[str, str | None, Any]]:
    codes = {"STRING_PATTERN_MISMATCH", "DUPLICATE_KEY", "KEY_NOT_CHECKED"}
    return [(str(a.code), a.path, a.measured) for a in report.anomalies if str(a.code) in codes]


def test_beam_quarantines_what_memory_quarantines(tmp_path: Path) -> None:
    data = _parts(tmp_path)
    in_memory: list[CheckedBatch] = []
    expected = check_dataset(data, SCHEMA, on_quarantine=in_memory.append).report
    on_beam: list[CheckedBatch] = []
    got = check_dataset_on_beam(
        str(data),
        SCHEMA,
        beam_pipeline_options("DirectRunner", MANY_BUNDLES),
        on_quarantine=on_beam.append,
    ).report
    assert _rows(on_beam) == _rows(in_memory)
    reasons = {r["code"] for *_, rs in _rows(in_memory).values() for r in rs}
    assert reasons == {"STRING_PATTERN_MISMATCH", "DUPLICATE_KEY"}
    assert _ours(got) == _ours(expected) and len(_ours(expected)) == 3


def test_beam_reports_duplicates_when_rows_are_not_wanted(tmp_path: Path) -> None:
    data = _parts(tmp_path)
    expected = check_dataset(data, SCHEMA).report
    got = check_dataset_on_beam(str(data), SCHEMA, beam_pipeline_options("DirectRunner", []))
    assert _ours(got.report) == _ours(expected)
    assert {c for c, *_ in _ours(expected)} == {"STRING_PATTERN_MISMATCH", "DUPLICATE_KEY"}


def test_batches_without_a_source_are_refused(tmp_path: Path) -> None:
    import apache_beam as beam

    from datacheck.beam import ValidateBatches, run_pipeline
    from datacheck.errors import DatacheckError

    batch = pa.record_batch({"id": ["a1", "a1"], "n": [1, 1]})
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", []))
    _ = pipeline | beam.Create([batch]) | ValidateBatches(SCHEMA)
    with pytest.raises(DatacheckError, match="ReadBatches"):
        run_pipeline(pipeline)
