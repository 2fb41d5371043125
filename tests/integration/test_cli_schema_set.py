"""``datacheck schema set NAME FEATURE --drift off|warn|error``: a new version in the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.schema import NUMERIC_DRIFT, SchemaStore

CSV = "day,temp\n2024-01-01,3.5\n2024-01-02,4.0\n2024-01-03,2.5\n2024-01-04,5.0\n"


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "days.csv"
    data.write_text(CSV)
    root = tmp_path / "store"
    assert main(["infer", str(data), "--store", str(root), "--name", "days"]) == 0
    capsys.readouterr()
    return root


def _set(store: Path, feature: str, level: str) -> int:
    return main(["schema", "set", "days", feature, "--drift", level, "--store", str(store)])


def test_warn_saves_the_next_version(store: Path, capsys) -> None:
    assert _set(store, "temp", "warn") == 0
    assert "saved days@2 (drift of temp: error -> warning)" in capsys.readouterr().out
    s = SchemaStore(store)
    assert s.latest("days").feature("temp").drift_level == "warning"
    assert s.get("days", 1).feature("temp").drift_level == "error"
    assert s.history("days")[-1].parent == 1


def test_error_on_a_date_gives_it_the_default_comparator(store: Path, capsys) -> None:
    assert SchemaStore(store).latest("days").feature("day").drift_comparator is None
    assert _set(store, "day", "error") == 0
    assert "none -> error" in capsys.readouterr().out
    assert SchemaStore(store).latest("days").feature("day").drift_comparator == NUMERIC_DRIFT


def test_the_same_level_saves_nothing(store: Path, capsys) -> None:
    assert _set(store, "temp", "error") == 0
    assert "already error" in capsys.readouterr().out
    assert SchemaStore(store).versions("days") == [1]


def test_an_unknown_feature_is_one_line_and_exit_2(store: Path, capsys) -> None:
    assert _set(store, "wind", "off") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "feature='wind'" in err[0] and "no such feature" in err[0]
    assert SchemaStore(store).versions("days") == [1]


def test_a_level_outside_the_choices_is_a_usage_error(store: Path, capsys) -> None:
    assert _set(store, "temp", "loud") == 2
    assert "invalid choice: 'loud'" in capsys.readouterr().err
