"""ReadBatches: the rows and schema read_batches gives, split by row group and file; bad files."""

from __future__ import annotations

import uuid
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pytest
from apache_beam.testing.util import assert_that, equal_to

from datacheck.beam import ReadBatches, beam_pipeline_options, run_pipeline
from datacheck.errors import InputError, InputNotFoundError, OptionError
from datacheck.io import MIXED_TYPES_KEY, read_batches

TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
MANY_BUNDLES = ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]


def _collect(source: object, tmp_path: Path, beam_args: list[str] | None = None) -> pa.Table:
    """The batches ReadBatches gives, written to Arrow IPC files by the pipeline, as a table."""
    out = tmp_path / "out"
    out.mkdir()

    def write(batch: pa.RecordBatch) -> None:
        path = out / f"{uuid.uuid4().hex}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as w:
            w.write_batch(batch)

    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", beam_args or []))
    _ = pipeline | ReadBatches(source) | beam.Map(write)
    run_pipeline(pipeline)
    tables = [pa.ipc.open_file(str(p)).read_all() for p in sorted(out.iterdir())]
    return pa.concat_tables(tables)


def _assert_same_rows(got: pa.Table, expected: pa.Table, key: str) -> None:
    """Equal rows in any order (NaN equal to NaN, which Table.equals does not allow)."""
    got, expected = got.sort_by(key), expected.sort_by(key)
    assert got.num_rows == expected.num_rows
    for name in expected.column_names:
        a, b = got.column(name), expected.column(name)
        if pa.types.is_floating(b.type):
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
        else:
            assert a.equals(b), name


def test_parquet_row_groups_give_the_rows_of_read_batches(
    parquet_parts: list[str], tmp_path: Path
) -> None:
    got = _collect(parquet_parts, tmp_path, MANY_BUNDLES)
    expected = pa.Table.from_batches(list(read_batches(parquet_parts)))
    # field metadata (mixed-type marks) compared; the schema metadata is each batch's origin
    assert got.schema.remove_metadata().equals(
        expected.schema.remove_metadata(), check_metadata=True
    )
    _assert_same_rows(got, expected, "w")


def test_csv_files_read_with_one_unified_schema(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("id,v\n1,1\n2,2\n", encoding="utf-8")
    (data / "b.csv").write_text("id,v\n3,2.5\n4,\n", encoding="utf-8")
    (data / "c.csv").write_text("id,v\n5,high\n", encoding="utf-8")
    got = _collect(str(data), tmp_path)
    expected = pa.Table.from_batches(list(read_batches(str(data))))
    # field metadata (mixed-type marks) compared; the schema metadata is each batch's origin
    assert got.schema.remove_metadata().equals(
        expected.schema.remove_metadata(), check_metadata=True
    )
    assert got.schema.field("v").metadata == {MIXED_TYPES_KEY: b"true"}
    _assert_same_rows(got, expected, "id")


def test_a_pattern_matching_nothing_fails_when_the_pipeline_is_built(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="matches no file"):
        ReadBatches(str(tmp_path / "*.csv"))


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="unknown format"):
        ReadBatches(str(tmp_path), format="xml")


@pytest.mark.parametrize(
    "beam_args",
    [[], pytest.param(TWO_PROCESSES, marks=pytest.mark.slow)],
    ids=["in-memory", "two-processes"],
)
def test_a_ragged_row_mid_file_fails_naming_file_and_line(
    ragged_csv: Path, beam_args: list[str]
) -> None:
    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", beam_args))
    counted = pipeline | ReadBatches(ragged_csv) | beam.Map(lambda b: b.num_rows)
    assert_that(counted | beam.CombineGlobally(sum), equal_to([1000]))
    with pytest.raises(InputError, match=rf"{ragged_csv.name}: line 501 has 3 fields") as info:
        run_pipeline(pipeline)
    assert "while running" not in str(info.value)


def test_a_corrupt_parquet_file_fails_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: not a readable Parquet file"):
        ReadBatches(bad)


def test_json_lines_file_gives_the_rows_of_read_batches(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(f'{{"id": {i}, "tag": "{"ab"[i % 2]}", "v": {i / 4}}}\n' for i in range(50)),
        encoding="utf-8",
    )
    got = _collect(str(data), tmp_path)
    expected = pa.Table.from_batches(list(read_batches(str(data))))
    # field metadata (mixed-type marks) compared; the schema metadata is each batch's origin
    assert got.schema.remove_metadata().equals(
        expected.schema.remove_metadata(), check_metadata=True
    )
    _assert_same_rows(got, expected, "id")
