"""Files as people write them: null markers, index columns, compression, delimiters, repeated
names and long fields, each read as pandas reads it (see tests/data/reading/README.md)."""

from __future__ import annotations

import bz2
import gzip
import json
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import InputError, InputWarning, OptionError
from datacheck.io import NULL_VALUES, ReaderOptions, read_batches

READING = Path(__file__).parents[1] / "data" / "reading"
R_CSV = READING / "r_write_csv.csv"
PANDAS_CSV = READING / "pandas_to_csv.csv"


def _table(source: object, **options: object) -> pa.Table:
    return pa.Table.from_batches(list(read_batches(source, **options)))  # type: ignore[arg-type]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Missing values


def test_r_na_is_missing_in_text_and_number_columns() -> None:
    t = _table(R_CSV)
    assert t.column("species").to_pylist() == ["Adelie", "Gentoo", None]
    assert t.column("mass").to_pylist() == [3750, None, 4100]
    assert t.column("mass").type == pa.int64()


def test_a_quoted_marker_is_missing_too_as_in_pandas() -> None:
    # R quotes the string "NA"; pandas reads it as missing all the same.
    assert _table(R_CSV).column("note").to_pylist() == [None, "tagged", None]


@pytest.mark.parametrize("path", [R_CSV, PANDAS_CSV], ids=["r", "pandas"])
def test_missing_values_are_those_pandas_reads(path: Path) -> None:
    ours = _table(path)
    theirs = pd.read_csv(path)
    assert ours.column_names == list(theirs.columns)
    for name in ours.column_names:
        assert ours.column(name).is_null().to_pylist() == theirs[name].isna().tolist(), name


def test_the_default_markers_are_pandas_na_values() -> None:
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(NULL_VALUES) == STR_NA_VALUES


def test_nan_in_a_float_column_is_missing_as_in_pandas(tmp_path: Path) -> None:
    t = _table(_write(tmp_path / "f.csv", "x\n1.5\nNaN\nnan\n"))
    assert t.column("x").to_pylist() == [1.5, None, None]


def test_null_values_without_nan_reads_a_float_nan(tmp_path: Path) -> None:
    t = _table(_write(tmp_path / "f.csv", "x,y\n1.5,a\nNaN,b\n,c\n"), null_values=[""])
    first, nan, empty = t.column("x").to_pylist()
    assert (first, nan != nan, empty) == (1.5, True, None)


def test_empty_null_values_read_every_field_as_written(tmp_path: Path) -> None:
    t = _table(_write(tmp_path / "s.csv", "s,n\nNA,1\n,2\n"), null_values=[])
    assert t.column("s").to_pylist() == ["NA", ""]


def test_keep_values_keeps_a_marker_as_data_in_its_column_only() -> None:
    t = _table(PANDAS_CSV, keep_values={"code": ["NA"]})
    assert t.column("code").to_pylist() == ["NA", "FR", None, None]  # N/A is still missing
    assert t.column("population").to_pylist() == [2540905, 67750000, None, None]


def test_keep_values_on_a_column_the_data_lacks_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="keep_values='nope': no such column"):
        read_batches(PANDAS_CSV, keep_values={"nope": ["NA"]})


def test_json_lines_text_is_not_a_null_marker(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", '{"s": "NA"}\n{"s": null}\n')
    assert _table(path).column("s").to_pylist() == ["NA", None]


# Index columns


@pytest.mark.parametrize("path", [R_CSV, PANDAS_CSV], ids=["r", "pandas"])
def test_a_column_with_an_empty_header_is_named_as_pandas_names_it(path: Path) -> None:
    assert _table(path).column_names[0] == "Unnamed: 0"


def test_exclude_leaves_the_index_column_out() -> None:
    assert _table(R_CSV, exclude=["Unnamed: 0"]).column_names == ["species", "mass", "note"]


def test_columns_and_exclude_apply_to_a_dataframe() -> None:
    frame = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    assert _table(frame, exclude=["b"]).column_names == ["a", "c"]
    assert _table(frame, columns=["c", "a"]).column_names == ["c", "a"]


def test_excluding_a_column_the_data_lacks_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="exclude='id': no such column"):
        read_batches(R_CSV, exclude=["id"])


def test_excluding_every_column_is_an_option_error(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="leaves no column"):
        read_batches(_write(tmp_path / "a.csv", "a\n1\n"), exclude=["a"])


def test_the_index_pandas_writes_into_parquet_is_not_a_column(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"x": [1, 2]}, index=[10, 20]).to_parquet(path)
    assert "__index_level_0__" in pq.read_schema(path).names
    assert _table(path).column_names == ["x"]


def test_a_named_parquet_index_is_read_only_when_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": ["u1", "u7"], "x": [1, 2]}).set_index("id").to_parquet(path)
    assert _table(path).column_names == ["x"]
    assert _table(path, columns=["id", "x"]).column("id").to_pylist() == ["u1", "u7"]


# File shapes


def _framed(codec: str, data: bytes) -> bytes:
    out = pa.BufferOutputStream()
    with pa.CompressedOutputStream(out, codec) as stream:
        stream.write(data)
    return out.getvalue().to_pybytes()


@pytest.mark.parametrize(
    ("suffix", "codec"), [("gz", "gzip"), ("bz2", "bz2"), ("zst", "zstd"), ("lz4", "lz4")]
)
def test_a_compressed_csv_reads_as_the_plain_file(tmp_path: Path, suffix: str, codec: str) -> None:
    text = b"a,b\n1,x\nNA,y\n"
    path = tmp_path / f"d.csv.{suffix}"
    path.write_bytes(_framed(codec, text))
    plain = _table(_write(tmp_path / "d.csv", text.decode()))
    assert _table(path).equals(plain)


def test_compression_is_found_from_the_first_bytes(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(gzip.compress(b"a\n1\n2\n"))
    assert _table(path).column("a").to_pylist() == [1, 2]


def test_compressed_tsv_and_json_lines(tmp_path: Path) -> None:
    (tmp_path / "d.tsv.gz").write_bytes(gzip.compress(b"a\tb\n1\tx\n"))
    (tmp_path / "d.jsonl.bz2").write_bytes(bz2.compress(b'{"a": 1, "b": "x"}\n'))
    assert _table(tmp_path / "d.tsv.gz").to_pylist() == [{"a": 1, "b": "x"}]
    assert _table(tmp_path / "d.jsonl.bz2").to_pylist() == [{"a": 1, "b": "x"}]


def test_a_parquet_file_with_a_compression_extension_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet.gz"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match=r"unknown file extension '\.gz'"):
        read_batches(path)


def test_a_tsv_file_is_read_with_tabs(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.tsv", "a\tb,c\n1\tx,y\n")
    assert _table(path).to_pylist() == [{"a": 1, "b,c": "x,y"}]


def test_a_tsv_saved_as_csv_is_sniffed_and_said(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "a\tb\n1\tx\n2\ty\n")
    with pytest.warns(InputWarning, match=r"read with delimiter '\\t'.*delimiter='\\t'"):
        t = _table(path)
    assert t.column_names == ["a", "b"]


def test_a_semicolon_txt_file_is_sniffed_quietly(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.txt", "a;b\n1,5;x\n2,5;y\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = _table(path)
    assert t.column("b").to_pylist() == ["x", "y"]


def test_a_given_delimiter_is_used_without_a_word(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "a|b\n1|x\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _table(path, delimiter="|").column_names == ["a", "b"]


def test_the_comma_is_kept_when_it_fits(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "a,b;c;d\n1,x;y;z\n")
    assert _table(path).column_names == ["a", "b;c;d"]


def test_sniffing_is_not_misled_by_a_quoted_field_past_the_sample(tmp_path: Path) -> None:
    rows = "".join(f"{i}\tx\n" for i in range(10_000))  # about 80 KiB: past the sample
    cut = rows[: 64 * 1024 - 10].rfind("\n") + 1
    text = "a\tb\n" + rows[:cut] + '1\t"many\nlines\nhere"\n' + rows[cut:]
    path = _write(tmp_path / "d.txt", text)
    assert _table(path).column_names == ["a", "b"]


def test_a_one_column_csv_stays_one_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text\nhello world\nx;y\n")
    assert _table(path).column_names == ["text"]


def test_the_format_option_reads_any_extension(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.data", "a\tb\n1\tx\n")
    assert _table(path, format="tsv").column_names == ["a", "b"]


def test_a_bad_delimiter_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="delimiter='ab': a delimiter is one character"):
        read_batches(R_CSV, delimiter="ab")


def test_a_txt_file_in_a_folder_is_not_data(tmp_path: Path) -> None:
    _write(tmp_path / "README.txt", "notes")
    _write(tmp_path / "d.csv", "a\n1\n")
    assert _table(tmp_path).num_rows == 1


# Repeated names


def test_repeated_column_names_are_renamed_as_pandas_does(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "a,a,a.1,b\n1,2,3,4\n")
    with pytest.warns(InputWarning, match=r"'a' repeats \(columns 1, 2\); read as 'a', 'a\.2'"):
        t = _table(path)
    assert t.column_names == list(pd.read_csv(path).columns) == ["a", "a.2", "a.1", "b"]
    assert t.to_pylist() == [{"a": 1, "a.2": 2, "a.1": 3, "b": 4}]


def test_a_renamed_column_can_be_selected(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "a,a\n1,2\n")
    with pytest.warns(InputWarning):
        assert _table(path, columns=["a.1"]).to_pylist() == [{"a.1": 2}]


# Long fields


def _long_field_csv(path: Path, size: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,text\n")
        out.writelines(f"{i},short\n" for i in range(2000))
        out.write(f'2000,"{"x" * size}"\n')
        out.writelines(f"{i},short\n" for i in range(2001, 4000))
    return path


def test_a_5_mb_field_reads(tmp_path: Path) -> None:
    t = _table(_long_field_csv(tmp_path / "d.csv", 5 << 20))
    assert t.num_rows == 4000
    assert len(t.column("text")[2000].as_py()) == 5 << 20


def test_a_long_field_in_a_large_file_of_text_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the small-file budget, a file of text columns alone is still read once up front.
    monkeypatch.setattr("datacheck.io._SMALL_FILES_BUDGET", 0)
    path = tmp_path / "d.csv"
    path.write_text("text\n" + "short\n" * 100 + "y" * (3 << 20) + "\nend\n", encoding="utf-8")
    assert [b.num_rows for b in read_batches(path)] != []
    assert _table(path).column("text")[-1].as_py() == "end"


@pytest.mark.slow
def test_a_64_mb_field_reads(tmp_path: Path) -> None:
    t = _table(_long_field_csv(tmp_path / "d.csv", 64 << 20))
    assert len(t.column("text")[2000].as_py()) == 64 << 20


def test_a_long_json_line_reads(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"s": "a"}\n' + json.dumps({"s": "z" * (3 << 20)}) + "\n", encoding="utf-8")
    assert len(_table(path).column("s")[1].as_py()) == 3 << 20


# The options value


def test_reader_options_round_trip_through_json() -> None:
    options = ReaderOptions(
        format="csv",
        delimiter=";",
        null_values=["", "NA"],  # type: ignore[arg-type]  # lists become tuples
        keep_values={"country": ["NA"]},  # type: ignore[dict-item]
        exclude=["Unnamed: 0"],  # type: ignore[arg-type]
    )
    assert ReaderOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options


def test_a_column_both_read_and_excluded_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="both read"):
        ReaderOptions(columns=("a",), exclude=("a",))
