"""The text output of stats, validate and schema diff fits 80 columns, coloured only on a tty."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from datacheck.cli import main

LONG = "a_really_long_feature_name_that_goes_on_and_on_well_past_the_edge_of_the_terminal"


def _write(path: Path, seed: int, shift: float, extra: bool) -> Path:
    rng = np.random.default_rng(seed)
    columns = {
        f"{LONG}_train": rng.normal(shift, 1, 300),
        f"{LONG}_test": rng.integers(0, 5 + int(4 * shift), 300),
        f"{LONG}_category": rng.choice(
            [
                "a_category_value_that_is_long_enough_to_overflow_a_line_by_itself"
                * (1 + int(shift)),
                "b",
            ],
            300,
        ),
    }
    if extra:
        columns[f"{LONG}_new"] = rng.normal(0, 1, 300)
    pacsv.write_csv(pa.table(columns), path)
    return path


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    base = _write(tmp_path / "base.csv", 1, 0.0, extra=False)
    new = _write(tmp_path / "new.csv", 2, 1.0, extra=True)
    for name, data in (("base", base), ("new", new)):
        assert main(["infer", str(data), "-o", str(tmp_path / f"{name}.schema.json")]) == 0
    return {"base": base, "new": new, "dir": tmp_path}


def _output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    main(list(args))
    return capsys.readouterr().out


def _commands(files: dict[str, Path]) -> list[list[str]]:
    d = files["dir"]
    return [
        ["stats", str(files["new"])],
        [
            "validate",
            str(files["new"]),
            "--schema",
            str(d / "base.schema.json"),
            "--baseline",
            str(files["base"]),
        ],
        ["schema", "diff", str(d / "base.schema.json"), str(d / "new.schema.json")],
    ]


def test_no_line_is_wider_than_80_columns(files, capsys):
    for command in _commands(files):
        out = _output(capsys, *command)
        assert LONG[:10] in out
        too_wide = [line for line in out.splitlines() if len(line) > 80]
        assert too_wide == [], command[0]


def test_long_names_that_differ_at_the_end_stay_distinct(files, capsys):
    out = _output(capsys, "stats", str(files["new"]))
    assert "_train" in out and "_test" in out


def test_no_colour_outside_a_terminal(files, capsys):
    for command in _commands(files):
        assert "\x1b[" not in _output(capsys, *command)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal(files, monkeypatch):
    for name in ("CI", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    screen = _Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    command = _commands(files)[1]
    assert main(command) == 1
    assert "\x1b[31m" in screen.getvalue()
