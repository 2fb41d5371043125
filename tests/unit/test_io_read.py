"""read_batches over every source kind: files, directories, globs and in-memory data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datacheck.io
from datacheck.io import MIXED_TYPES_KEY, read_batches


def _table(batches: list[pa.RecordBatch]) -> pa.Table:
    return pa.Table.from_batches(batches)


def _write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def test_csv_reads_all_rows_with_inferred_types(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "x,name", [f"{i},n{i}" for i in range(1000)])
    table = _table(list(read_batches(path)))
    assert table.num_rows == 1000
    assert table.schema.field("x").type == pa.int64()
    assert table.column("x").to_pylist() == list(range(1000))


def test_batches_hold_at_most_batch_size_rows(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "x", [str(i) for i in range(1000)])
    sizes = [b.num_rows for b in read_batches(path, batch_size=300)]
    assert max(sizes) <= 300
    assert sum(sizes) == 1000


def test_parquet_reads_by_batch(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": list(range(5000))}), path, row_group_size=1000)
    batches = list(read_batches(path, batch_size=700))
    assert max(b.num_rows for b in batches) <= 700
    assert _table(batches).column("x").to_pylist() == list(range(5000))


def test_jsonl_reads_objects(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"x": 1, "s": "a"}\n{"x": 2, "s": null}\n')
    table = _table(list(read_batches(path)))
    assert table.column("x").to_pylist() == [1, 2]
    assert table.column("s").to_pylist() == ["a", None]


def test_format_argument_overrides_extension(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "data.txt", "x", ["1", "2"])
    assert _table(list(read_batches(path, format="csv"))).num_rows == 2


def test_directory_reads_files_in_sorted_order(tmp_path: Path) -> None:
    _write_csv(tmp_path / "b.csv", "x", ["2"])
    _write_csv(tmp_path / "a.csv", "x", ["1"])
    (tmp_path / "_SUCCESS").write_text("")
    assert _table(list(read_batches(tmp_path))).column("x").to_pylist() == [1, 2]


def test_glob_reads_matching_files(tmp_path: Path) -> None:
    _write_csv(tmp_path / "p1.csv", "x", ["1"])
    _write_csv(tmp_path / "p2.csv", "x", ["2"])
    _write_csv(tmp_path / "other.csv", "x", ["9"])
    table = _table(list(read_batches(str(tmp_path / "p*.csv"))))
    assert table.column("x").to_pylist() == [1, 2]


def test_list_of_paths_reads_every_file(tmp_path: Path) -> None:
    a = _write_csv(tmp_path / "a.csv", "x", ["1"])
    b = tmp_path / "b.parquet"
    pq.write_table(pa.table({"x": [2]}), b)
    assert _table(list(read_batches([a, b]))).column("x").to_pylist() == [1, 2]


def test_files_with_different_types_share_one_widened_schema(tmp_path: Path) -> None:
    _write_csv(tmp_path / "a.csv", "x,y", ["1,a"])
    _write_csv(tmp_path / "b.csv", "x,z", ["1.5,b"])
    batches = list(read_batches(tmp_path))
    # one schema; the schema metadata differs only by each batch's origin (file, rows)
    assert {b.schema.remove_metadata() for b in batches} == {batches[0].schema.remove_metadata()}
    assert batches[0].schema.field("x").type == pa.float64()
    assert _table(batches).column("z").to_pylist() == [None, "b"]


def test_files_mixing_numbers_and_text_give_a_marked_string_column(tmp_path: Path) -> None:
    _write_csv(tmp_path / "a.csv", "x", ["1"])
    _write_csv(tmp_path / "b.csv", "x", ["abc"])
    field = next(read_batches(tmp_path)).schema.field("x")
    assert field.type == pa.string()
    assert field.metadata[MIXED_TYPES_KEY] == b"true"


def test_csv_text_after_the_first_block_becomes_a_marked_string_column(tmp_path: Path) -> None:
    rows = [f"{i},x" for i in range(300_000)] + ["oops,y"]
    path = _write_csv(tmp_path / "a.csv", "n,s", rows)
    batches = list(read_batches(path, batch_size=10_000))
    # one schema; the schema metadata differs only by each batch's origin (file, rows)
    assert {b.schema.remove_metadata() for b in batches} == {batches[0].schema.remove_metadata()}
    field = batches[0].schema.field("n")
    assert field.type == pa.string()
    assert field.metadata[MIXED_TYPES_KEY] == b"true"
    assert _table(batches).column("n").to_pylist()[-1] == "oops"


def test_csv_int_column_with_a_late_decimal_becomes_float(tmp_path: Path) -> None:
    rows = [str(i) for i in range(200_000)] + ["1.5"]
    path = _write_csv(tmp_path / "a.csv", "n", rows)
    field = next(read_batches(path, batch_size=10_000)).schema.field("n")
    assert field.type == pa.float64()
    assert field.metadata is None


def test_csv_column_empty_in_the_first_block_takes_the_later_type(tmp_path: Path) -> None:
    rows = [","] * 300_000 + ["7,1"]
    path = _write_csv(tmp_path / "a.csv", "a,b", rows)
    table = _table(list(read_batches(path)))
    assert table.schema.field("a").type == pa.int64()
    assert table.column("a").to_pylist()[-1] == 7


def test_csv_numbers_and_text_in_the_first_block_are_marked(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "code", ["12", "A7", "13"])
    field = next(read_batches(path)).schema.field("code")
    assert field.metadata[MIXED_TYPES_KEY] == b"true"


def test_csv_plain_text_column_is_not_marked(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "name", ["ann", "bob"])
    assert next(read_batches(path)).schema.field("name").metadata is None


def test_jsonl_column_changing_json_type_becomes_marked_text(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n' * 100_000 + '{"a": "x"}\n')
    batches = list(read_batches(path))
    # one schema; the schema metadata differs only by each batch's origin (file, rows)
    assert {b.schema.remove_metadata() for b in batches} == {batches[0].schema.remove_metadata()}
    field = batches[0].schema.field("a")
    assert field.type == pa.string()
    assert field.metadata[MIXED_TYPES_KEY] == b"true"
    assert _table(batches).num_rows == 100_001


def test_header_only_csv_is_an_empty_dataset_with_its_columns(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "x,y", [])
    batches = list(read_batches(path))
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema.names == ["x", "y"]


def test_columns_selects_and_orders(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "a,b,c", ["1,2,3"])
    assert next(read_batches(path, columns=["c", "a"])).schema.names == ["c", "a"]


def test_columns_selects_from_parquet(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": [1], "b": [2]}), path)
    assert next(read_batches(path, columns=["b"])).schema.names == ["b"]


def test_pandas_dataframe(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1, 2, 3], "s": ["a", None, "c"]})
    table = _table(list(read_batches(frame)))
    assert table.column("x").to_pylist() == [1, 2, 3]
    assert table.column("s").to_pylist() == ["a", None, "c"]


def test_pandas_object_column_mixing_types_is_marked_text() -> None:
    frame = pd.DataFrame({"m": pd.Series([1, "two", None], dtype=object), "x": [1, 2, 3]})
    batch = next(read_batches(frame))
    assert batch.schema.field("m").metadata[MIXED_TYPES_KEY] == b"true"
    assert batch.column("m").to_pylist() == ["1", "two", None]
    assert batch.schema.field("x").type == pa.int64()


def test_arrow_table_is_cut_into_batches() -> None:
    table = pa.table({"x": list(range(10))})
    assert [b.num_rows for b in read_batches(table, batch_size=4)] == [4, 4, 2]


def test_record_batch() -> None:
    batch = pa.record_batch({"x": [1, 2]})
    assert _table(list(read_batches(batch))).column("x").to_pylist() == [1, 2]


def test_record_batch_reader() -> None:
    table = pa.table({"x": list(range(6))})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))
    assert _table(list(read_batches(reader))).column("x").to_pylist() == list(range(6))


def test_arrow_c_stream_object_from_polars() -> None:
    frame = pl.DataFrame({"x": [1, 2, 3], "s": ["a", "b", None]})
    table = _table(list(read_batches(frame)))
    assert table.column("x").to_pylist() == [1, 2, 3]
    assert table.column("s").to_pylist() == ["a", "b", None]


def test_empty_in_memory_table_yields_one_empty_batch() -> None:
    table = pa.table({"x": pa.array([], pa.int64())})
    batches = list(read_batches(table))
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema.names == ["x"]


def test_map_column_is_passed_through() -> None:
    column = pa.array([[("k", 1)]], type=pa.map_(pa.string(), pa.int64()))
    batch = next(read_batches(pa.table({"m": column})))
    assert pa.types.is_map(batch.schema.field("m").type)


@pytest.fixture
def no_small_file_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every file twice (check, then read), as files above the cache budget are."""
    monkeypatch.setattr(datacheck.io, "_SMALL_FILES_BUDGET", 0)


@pytest.mark.usefixtures("no_small_file_cache")
def test_uncached_csv_text_after_the_first_block_is_marked(tmp_path: Path) -> None:
    rows = [f"s,{i},{i}" for i in range(300_000)] + ["s,1,oops"]
    path = _write_csv(tmp_path / "a.csv", "s,a,b", rows)
    batches = list(read_batches(path, columns=["b", "a"]))
    # one schema; the schema metadata differs only by each batch's origin (file, rows)
    assert {b.schema.remove_metadata() for b in batches} == {batches[0].schema.remove_metadata()}
    assert batches[0].schema.field("b").metadata[MIXED_TYPES_KEY] == b"true"
    assert batches[0].schema.field("a").type == pa.int64()
    assert _table(batches).column("b").to_pylist()[-1] == "oops"


@pytest.mark.usefixtures("no_small_file_cache")
def test_uncached_csv_reads_every_row_once(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "a.csv", "x,s", [f"{i},t{i}" for i in range(300_000)])
    assert _table(list(read_batches(path))).column("x").to_pylist() == list(range(300_000))


@pytest.mark.usefixtures("no_small_file_cache")
def test_uncached_jsonl_column_changing_type_is_marked(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n' * 100_000 + '{"a": "x"}\n')
    field = next(read_batches(path)).schema.field("a")
    assert field.metadata[MIXED_TYPES_KEY] == b"true"
