"""read_batches on bad input: each raises an InputError naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import InputError, InputNotFoundError, OptionError
from datacheck.io import read_batches


def _parquet(path: Path) -> Path:
    pq.write_table(pa.table({"x": list(range(1000))}), path)
    return path


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputNotFoundError, match=r"nope\.csv: no such file"):
        read_batches(path)


def test_missing_file_is_also_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_batches(tmp_path / "nope.csv")


def test_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match=r"\*.csv: the pattern matches no file"):
        read_batches(str(tmp_path / "*.csv"))


def test_truncated_parquet_names_the_file(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "t.parquet")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError, match=r"t.parquet: not a readable Parquet file"):
        read_batches(path)


def test_corrupt_parquet_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    path.write_bytes(b"this is not parquet at all" * 10)
    with pytest.raises(InputError, match=r"c.parquet: not a readable Parquet file"):
        read_batches(path)


def test_ragged_csv_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    with pytest.raises(InputError, match=r"r.csv: line 3 has 3 fields but the header has 2"):
        list(read_batches(path))


def test_ragged_row_after_the_first_block_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n" + "1,2\n" * 300_000 + "3\n")
    with pytest.raises(InputError, match=r"r.csv: line 300002 has 1 fields"):
        list(read_batches(path))


def test_invalid_utf8_in_the_first_block_names_line_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b"a,b\n1,x\n2,\xff\n")
    with pytest.raises(InputError, match=r"u.csv: invalid UTF-8 at line 3 \(byte offset 10\)"):
        list(read_batches(path))


def test_invalid_utf8_after_the_first_block_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b"a,b\n" + b"1,x\n" * 300_000 + b"2,\xfe\n")
    with pytest.raises(InputError, match=r"u.csv: invalid UTF-8 at line 300002"):
        list(read_batches(path))


@pytest.mark.parametrize("name", ["e.csv", "e.parquet", "e.jsonl"])
def test_zero_byte_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match=rf"{name}: file is empty \(0 bytes\)"):
        read_batches(path)


def test_broken_json_line_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(InputError, match=r"b.jsonl: line 2 is not a JSON object"):
        list(read_batches(path))


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"data.xlsx: unknown file extension '.xlsx'"):
        read_batches(path)


def test_directory_without_data_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"holds no \.csv, \.tsv, \.parquet or \.jsonl file"):
        read_batches(tmp_path)


def test_unknown_column_names_it_and_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(
        OptionError, match=r"columns='zz': no such column in .*; the columns are: a, b"
    ):
        read_batches(path, columns=["zz"])


def test_unknown_format_name() -> None:
    with pytest.raises(OptionError, match="format='xls': unknown format; use one of"):
        read_batches("x.xls", format="xls")


def test_unreadable_source_object() -> None:
    with pytest.raises(InputError, match="cannot read a int"):
        read_batches(42)


def test_errors_are_raised_before_the_first_batch_is_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(InputError):
        read_batches(path)
