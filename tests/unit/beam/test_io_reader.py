"""ReadBatches reads with the same ReaderOptions as read_batches: same columns, same values."""

from __future__ import annotations

import uuid
from pathlib import Path

import apache_beam as beam
import pandas as pd
import pyarrow as pa

from datacheck.beam import ReadBatches, beam_pipeline_options, run_pipeline
from datacheck.io import ReaderOptions, read_batches


def _collect(source: object, tmp_path: Path, options: ReaderOptions) -> pa.Table:
    out = tmp_path / "out"
    out.mkdir()

    def write(batch: pa.RecordBatch) -> None:
        path = out / f"{uuid.uuid4().hex}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as w:
            w.write_batch(batch)

    pipeline = beam.Pipeline(options=beam_pipeline_options("DirectRunner", []))
    _ = pipeline | ReadBatches(source, options=options) | beam.Map(write)
    run_pipeline(pipeline)
    tables = [pa.ipc.open_file(str(p)).read_all() for p in sorted(out.iterdir())]
    return pa.concat_tables(tables)


def _expected(source: object, options: ReaderOptions) -> pa.Table:
    return pa.Table.from_batches(list(read_batches(source, options=options)))


def test_parquet_row_groups_leave_out_pandas_index_and_excluded_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": range(6), "x": [1.0] * 6, "y": list("abcdef")}, index=[9] * 6)
    for part in (0, 1):
        frame.to_parquet(tmp_path / f"p{part}.parquet", row_group_size=2)
    source = [str(tmp_path / "p0.parquet"), str(tmp_path / "p1.parquet")]
    options = ReaderOptions(exclude=("y",))
    got = _collect(source, tmp_path, options)
    assert got.column_names == ["id", "x"]
    assert got.sort_by("id").equals(_expected(source, options).sort_by("id"))


def test_csv_files_read_with_the_delimiter_and_null_markers_asked_for(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("id;code\n1;NA\n2;FR\n", encoding="utf-8")
    (data / "b.csv").write_text("id;code\n3;\n", encoding="utf-8")
    options = ReaderOptions(delimiter=";", keep_values={"code": ("NA",)}, columns=("code", "id"))
    got = _collect(str(data), tmp_path, options)
    assert got.sort_by("id").equals(_expected(str(data), options).sort_by("id"))
    assert got.sort_by("id").column("code").to_pylist() == ["NA", "FR", None]


def test_a_profile_made_on_beam_records_its_reader(tmp_path: Path) -> None:
    from datacheck.beam import profile_on_beam
    from datacheck.stats import StatsOptions

    path = tmp_path / "d.csv"
    path.write_text("Unnamed: 0,a\n0,NA\n1,x\n", encoding="utf-8")
    reader = ReaderOptions(exclude=("Unnamed: 0",))
    options = beam_pipeline_options("DirectRunner", [])
    profile = profile_on_beam(str(path), StatsOptions(reader=reader), options)
    assert profile.reader == reader
    assert list(profile.features) == ["a"]
    assert profile.features["a"].num_missing == 1
