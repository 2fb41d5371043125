"""QuarantineWriter: the format from the extension, atomic, every failed row kept."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import OptionError
from datacheck.io import QuarantineWriter, write_quarantine
from datacheck.validate import REASONS_COLUMN, REASONS_TYPE

REASONS = pa.array([[{"code": "X", "feature": "f"}]] * 3, REASONS_TYPE)
BATCH = pa.record_batch({"f": [1.5, math.nan, math.inf], REASONS_COLUMN: REASONS})


@pytest.mark.parametrize("name", ["q.parquet", "q.PQ", "q.jsonl", "q.ndjson"])
def test_rows_are_written_in_the_format_of_the_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_quarantine([BATCH, BATCH.slice(0, 0), BATCH], path) == 6
    if path.suffix.lower() in (".parquet", ".pq"):
        assert pq.read_table(path).num_rows == 6
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == 6 and rows[0][REASONS_COLUMN] == [{"code": "X", "feature": "f"}]


def test_an_unknown_extension_names_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(OptionError) as caught:
        QuarantineWriter(tmp_path / "q.txt")
    assert caught.value.parameter == "path"
    assert "use .parquet, .jsonl or .csv" in str(caught.value)


def test_a_failure_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), QuarantineWriter(path) as out:
        out.write(BATCH)
        raise RuntimeError("the validation failed midway")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.jsonl"]


def test_an_empty_parquet_quarantine_keeps_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "q.parquet"
    assert write_quarantine([BATCH.slice(0, 0)], path) == 0
    assert pq.read_table(path).column_names == ["f", REASONS_COLUMN]


def test_a_parquet_quarantine_needs_a_batch(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="no batch was written"):
        write_quarantine([], tmp_path / "q.parquet")
    assert list(tmp_path.iterdir()) == []
