"""The command prints a core error about a parameter with the flag that set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from datacheck.cli import _error_line, main
from datacheck.errors import OptionError


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    return path


def _err(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def test_missing_weight_column_is_printed_with_its_flag(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _err(capsys, "stats", str(data), "--weight", "w") == (
        "datacheck: error: --weight w: no such column; the columns are: a, b\n"
    )


def test_missing_slice_column_is_printed_with_its_flag(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _err(capsys, "stats", str(data), "--slice-by", "a", "--slice-by", "nope")
    assert err.startswith("datacheck: error: --slice-by nope: no such column")


def test_unknown_environment_is_printed_with_its_flag(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "s.json"
    assert main(["infer", str(data), "-o", str(schema)]) == 0
    capsys.readouterr()
    err = _err(capsys, "validate", str(data), "--schema", str(schema), "--environment", "PROD")
    assert err.startswith("datacheck: error: --environment PROD: not defined by the schema")


def test_missing_skew_key_is_printed_with_its_flag(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _err(capsys, "skew", str(data), str(data), "--key", "id")
    assert err.startswith("datacheck: error: --key id: key column 'id' is not in")


def test_several_values_are_printed_comma_separated() -> None:
    error = OptionError("more than 2 slices", parameter="slice_by", value=("a", "b"))
    assert _error_line(error) == "--slice-by a,b: more than 2 slices"


def test_a_parameter_without_a_flag_is_printed_as_python_spells_it() -> None:
    error = OptionError("must be at least 1", parameter="batch_size", value=0)
    assert _error_line(error) == "batch_size=0: must be at least 1"
