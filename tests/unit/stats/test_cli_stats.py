"""``datacheck stats`` through ``main``: summary, JSON output, profile file, option errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from datacheck.cli import main
from datacheck.cli._cmd_stats import summary
from datacheck.stats import StatsOptions, generate_statistics, load_profile

_CSV = "x,s,w,k\n1,a,1.0,p\n2,b,2.0,q\n3,a,0.5,p\n,c,1.0,p\n"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(_CSV)
    return path


def test_summary_fits_80_columns_and_says_where_the_profile_went(data, tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    assert main(["stats", str(data), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("4 rows, 4 features")
    # Every line but the file path itself, which is as long as it is.
    assert all(len(line) <= 80 for line in text.splitlines()[:-1])
    assert f"profile written to {out}" in text
    assert load_profile(out).num_rows == 4


def test_summary_shows_missing_share_and_top_value(data, capsys) -> None:
    main(["stats", str(data)])
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "25.0%" in lines["x"] and "1 / 2 / 3" in lines["x"]
    assert "'a' 50%" in lines["s"]


def test_json_format_prints_only_the_profile(data, capsys) -> None:
    assert main(["stats", str(data), "--format", "json", "--slice-by", "k"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["num_rows"] == 4 and len(document["slices"]) == 2
    assert captured.err == ""


def test_weight_column(data, capsys) -> None:
    assert main(["stats", str(data), "--weight", "w", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["weighted_num_rows"] == 4.5


@pytest.mark.parametrize("flag", ["--weight", "--slice-by"])
def test_unknown_column_is_one_line_and_exit_2(flag, data, capsys) -> None:
    assert main(["stats", str(data), flag, "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{flag} nope: no such column" in err


def test_header_only_file_profiles_zero_rows(tmp_path, capsys) -> None:
    path, out = tmp_path / "empty.csv", tmp_path / "p.json"
    path.write_text("a,b\n")
    assert main(["stats", str(path), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("0 rows, 2 features") and "nan" not in text.lower()
    assert load_profile(out).num_rows == 0


def test_mixed_type_columns_are_flagged_in_the_summary(tmp_path, capsys) -> None:
    path = tmp_path / "m.csv"
    path.write_text("a,b\n1,x\nfoo,y\n")
    assert main(["stats", str(path)]) == 0
    assert "a (mixed)" in capsys.readouterr().out


def test_summary_counts_distinct_numbers(data, capsys) -> None:
    main(["stats", str(data)])
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["x"].split()[3] == "3"


def _unique_column(table: pa.Table, cap: int) -> dict[str, str]:
    lines = summary(generate_statistics(table, StatsOptions(exact_counts_cap=cap))).splitlines()
    return {line.split()[0]: line.split()[3] for line in lines[1:]}


def test_summary_writes_exact_counts_with_thousands_separators() -> None:
    table = pa.table({"y": [i % 1500 for i in range(5000)]})
    assert _unique_column(table, 2000)["y"] == "1,500"


def test_summary_shows_numbers_past_the_cap_as_more_than_the_cap() -> None:
    assert _unique_column(pa.table({"x": range(5000)}), 2000)["x"] == ">2,000"
