"""Real data: seattle-weather (vega_datasets), split by time, through the whole command.

Baseline: 2013-04-01 to 2014-03-31; current: the next twelve months (whole years, so the
seasons match; the date column is the split key and is left out). With the schema inferred
from the baseline and every default, the undrifted current year has no error-level anomaly,
and each injected corruption gives its expected code on its feature and nothing else at error
level.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from datacheck.cli import main

vega = pytest.importorskip("vega_datasets")


def _years(start: str, end: str) -> pd.DataFrame:
    w = vega.data.seattle_weather()
    w["date"] = pd.to_datetime(w["date"])
    return w[(w.date >= start) & (w.date < end)].drop(columns="date").reset_index(drop=True)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("weather")
    baseline = root / "baseline.csv"
    _years("2013-04-01", "2014-04-01").to_csv(baseline, index=False)
    schema = root / "schema.json"
    assert main(["infer", str(baseline), "-o", str(schema)]) == 0
    return baseline, schema, _years("2014-04-01", "2015-04-01")


def _errors(
    setup: tuple[Path, Path, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
    change: Callable[[pd.DataFrame], pd.DataFrame],
    name: str,
) -> tuple[int, list[tuple[str, str]]]:
    baseline, schema, current = setup
    path = baseline.parent / f"{name}.csv"
    change(current.copy()).to_csv(path, index=False)
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(path),
            "--schema",
            str(schema),
            "--baseline",
            str(baseline),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    errors = [(a["code"], a["path"]) for a in report["anomalies"] if a["severity"] == "error"]
    return code, errors


def test_undrifted_year_has_no_error(setup, capsys) -> None:
    assert _errors(setup, capsys, lambda d: d, "same") == (0, [])


def _new_category(d: pd.DataFrame) -> pd.DataFrame:
    fog = d.index[d.weather == "fog"][:7]
    d.loc[fog, "weather"] = "hail"
    return d


def _missing_values(d: pd.DataFrame) -> pd.DataFrame:
    d.loc[d.index[::5], "temp_min"] = None
    return d


def _text_in_numbers(d: pd.DataFrame) -> pd.DataFrame:
    d["precipitation"] = d.precipitation.astype(object)
    d.loc[d.index[:4], "precipitation"] = "trace"
    return d


def _fahrenheit(d: pd.DataFrame) -> pd.DataFrame:
    d["temp_max"] = d.temp_max * 1.8 + 32
    return d


def _collapsed(d: pd.DataFrame) -> pd.DataFrame:
    d.loc[d.weather == "fog", "weather"] = "sun"
    return d


def _new_column(d: pd.DataFrame) -> pd.DataFrame:
    d["humidity"] = 0.5
    return d


CORRUPTIONS = {
    "new_category": (_new_category, ("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "weather")),
    "dropped_column": (lambda d: d.drop(columns="wind"), ("SCHEMA_MISSING_COLUMN", "wind")),
    "new_column": (_new_column, ("SCHEMA_NEW_COLUMN", "humidity")),
    "missing_values": (_missing_values, ("FEATURE_TYPE_LOW_FRACTION_PRESENT", "temp_min")),
    "text_in_numbers": (_text_in_numbers, ("UNEXPECTED_DATA_TYPE", "precipitation")),
    "shifted_numbers": (_fahrenheit, ("COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH", "temp_max")),
    "collapsed_categories": (_collapsed, ("COMPARATOR_L_INFTY_HIGH", "weather")),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_gives_its_code_and_nothing_else(setup, capsys, name: str) -> None:
    change, expected = CORRUPTIONS[name]
    assert _errors(setup, capsys, change, name) == (1, [expected])
