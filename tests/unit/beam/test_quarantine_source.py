"""check_dataset_on_beam's rows: the same quarantine (with file and row) and valid rows as in
memory, the same per-reason counts, and a missing column quarantined only when strict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from datacheck.beam import beam_pipeline_options, check_dataset_on_beam
from datacheck.schema import Feature, FeatureType, IntDomain, Presence, Schema
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    CheckedBatch,
    check_dataset,
)

SCHEMA = Schema(
    features=(
        Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=-40, max=40)),
        Feature(name="gone", type=FeatureType.INT, presence=Presence(min_fraction=1.0)),
    )
)


def _rows(
    run: str, parts: list[str], strict: bool = False
) -> tuple[list[tuple[str, int, int, str]], list[float], dict[str, Any]]:
    checked: list[CheckedBatch] = []
    valid: list[pa.RecordBatch] = []
    kwargs = {"on_quarantine": checked.append, "on_valid": valid.append, "strict_columns": strict}
    if run == "beam":
        options = beam_pipeline_options("DirectRunner", [])
        done = check_dataset_on_beam(parts, SCHEMA, options, **kwargs)  # type: ignore[arg-type]
    else:
        done = check_dataset(parts, SCHEMA, **kwargs)  # type: ignore[arg-type]
    bad = sorted(
        (Path(f).name, r, n, str(reasons))
        for c in checked
        for f, r, n, reasons in zip(
            c.quarantined.column(SOURCE_FILE_COLUMN).to_pylist(),
            c.quarantined.column(SOURCE_ROW_COLUMN).to_pylist(),
            c.quarantined.column("n").to_pylist(),
            c.quarantined.column(REASONS_COLUMN).to_pylist(),
            strict=True,
        )
    )
    good = sorted(v for b in valid for v in b.column("w").to_pylist())
    return bad, good, done.report.to_dict()["summary"]


def test_beam_quarantines_the_rows_of_memory_with_their_sources(
    parquet_parts: list[str], table: pa.Table
) -> None:
    memory, beam = _rows("memory", parquet_parts), _rows("beam", parquet_parts)
    assert beam == memory
    bad, good, summary = memory
    assert bad and len(bad) + len(good) == 150
    n = table.column("n").to_numpy()
    expected = {"INT_TYPE_SMALL_INT": int((n < -40).sum()), "INT_TYPE_BIG_INT": int((n > 40).sum())}
    assert summary["quarantined_by_code"] == expected
    # part-i holds rows 50 i .. 50 i + 49 of the table
    assert all(table.column("n")[50 * int(f[5]) + r].as_py() == v for f, r, v, _ in bad)
    assert {name for name, *_ in bad} == {"part-0.parquet", "part-1.parquet", "part-2.parquet"}


def test_beam_strict_columns_quarantines_every_row(parquet_parts: list[str]) -> None:
    bad, good, summary = _rows("beam", parquet_parts, strict=True)
    assert len(bad) == 150 and good == []
    assert summary["quarantined_by_code"]["SCHEMA_MISSING_COLUMN"] == 150
