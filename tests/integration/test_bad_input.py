"""Bad input through ``datacheck stats``: one stderr line naming the file (and line), exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datacheck.cli
from datacheck.cli import main

pytestmark = pytest.mark.skipif(
    "stats" not in datacheck.cli.COMMANDS, reason="the stats command has not landed yet"
)


def _stats(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["stats", *args])
    return code, capsys.readouterr().err


def _assert_one_line(err: str, *parts: str) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("datacheck: error: ")
    assert "Traceback" not in err
    for part in parts:
        assert part in err


def test_missing_file_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "datacheck", "stats", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    _assert_one_line(result.stderr, "missing.csv", "no such file")


def test_glob_matching_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _stats(capsys, str(tmp_path / "*.parquet"))
    assert code == 2
    _assert_one_line(err, "*.parquet", "matches no file")


def test_truncated_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": list(range(1000))}), path)
    path.write_bytes(path.read_bytes()[:200])
    code, err = _stats(capsys, str(path))
    assert code == 2
    _assert_one_line(err, "t.parquet", "not a readable Parquet file")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("r.csv", b"a,b\n1,2\n3,4,5\n", "line 3 has 3 fields"),
        ("u.csv", b"a,b\n1,x\n2,\xff\n", "invalid UTF-8 at line 3"),
        ("e.csv", b"", "empty"),
        ("e.parquet", b"", "empty"),
        ("data.xlsx", b"PK", "unknown file extension"),
        ("b.jsonl", b'{"a": 1}\n{"a":\n', "line 2 is not a JSON object"),
    ],
)
def test_bad_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, needle: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, err = _stats(capsys, str(path))
    assert code == 2
    _assert_one_line(err, name, needle)


def test_directory_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    code, err = _stats(capsys, str(tmp_path))
    assert code == 2
    _assert_one_line(err, str(tmp_path), "no .csv, .tsv, .parquet or .jsonl file", "--input-format")
