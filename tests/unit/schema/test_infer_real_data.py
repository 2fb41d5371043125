"""Inference on real public data (vega_datasets), compared with reviewed, checked-in schemas.

The fixtures under tests/data/schemas/ were inferred with ``--infer-ranges`` and reviewed:
``weather`` (5 values over 1,461 days) and ``Origin`` (3 values over 406 cars) get value
domains; car ``Name`` (311 distinct in 406 rows) does not (``Name`` gets a string
length instead, 1 to 39 characters: the longest name, 36, plus the margin); ``Miles_per_Gallon`` and
``Horsepower`` miss a few values and get a presence bound below 1; every range holds the data
with a margin and does not cross zero where the data does not, nor a natural bound
(``Cylinders`` stays 3 to 8: a margin under one cylinder is none, and a quarter of the cars
have 8; precipitation stays at 0); every feature gets the missingness-drift comparator. The
dates get a time domain with a min only, one span before the earliest date (weather from 2012
to 2015: 2008-01-02; car years 1970 to 1982: 1958-01-01).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from datacheck.schema import InferOptions, Schema, StringDomain, infer_schema, load_schema
from datacheck.stats import generate_statistics
from datacheck.validate import validate_statistics

vega = pytest.importorskip("vega_datasets").data

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "schemas"
RANGES = InferOptions(infer_ranges=True)


def inferred(frame: pd.DataFrame) -> Schema:
    return infer_schema(generate_statistics(frame), RANGES)


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return vega.seattle_weather()


@pytest.fixture(scope="module")
def cars() -> pd.DataFrame:
    return vega.cars()


def test_seattle_weather_matches_the_reviewed_schema(weather: pd.DataFrame) -> None:
    assert inferred(weather) == load_schema(FIXTURES / "seattle_weather.schema.json")


def test_cars_matches_the_reviewed_schema(cars: pd.DataFrame) -> None:
    assert inferred(cars) == load_schema(FIXTURES / "cars.schema.json")


def test_categoricals_get_their_values_free_text_does_not(cars: pd.DataFrame) -> None:
    s = inferred(cars)
    assert s.feature("Origin").domain == StringDomain(values=("Europe", "Japan", "USA"))
    assert s.feature("Name").domain is None


def test_columns_with_gaps_get_a_presence_bound(cars: pd.DataFrame) -> None:
    s = inferred(cars)
    # 8 of 406 missing (2%): the bound lets the share rise by an effect of h = 0.4 (to 17%).
    assert 0.8 < s.feature("Miles_per_Gallon").presence.min_fraction < 398 / 406
    assert s.feature("Weight_in_lbs").presence.min_fraction == 1.0


def test_reviewed_schema_accepts_its_data(weather: pd.DataFrame) -> None:
    schema = load_schema(FIXTURES / "seattle_weather.schema.json")
    assert validate_statistics(generate_statistics(weather), schema).anomalies == ()


def test_reviewed_schema_catches_a_new_weather_value(weather: pd.DataFrame) -> None:
    schema = load_schema(FIXTURES / "seattle_weather.schema.json")
    broken = weather.assign(weather=weather["weather"].where(weather.index % 50 != 0, "hail"))
    codes = {a.code for a in validate_statistics(generate_statistics(broken), schema).anomalies}
    assert "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in codes


def test_reviewed_schema_catches_missing_values(cars: pd.DataFrame) -> None:
    schema = load_schema(FIXTURES / "cars.schema.json")
    broken = cars.assign(Horsepower=cars["Horsepower"].where(cars.index % 5 != 0))
    codes = {a.code for a in validate_statistics(generate_statistics(broken), schema).anomalies}
    assert "FEATURE_TYPE_LOW_FRACTION_PRESENT" in codes


def test_reviewed_schema_catches_fahrenheit(weather: pd.DataFrame) -> None:
    schema = load_schema(FIXTURES / "seattle_weather.schema.json")
    broken = weather.assign(temp_max=weather["temp_max"] * 9 / 5 + 32)
    codes = {a.code for a in validate_statistics(generate_statistics(broken), schema).anomalies}
    assert "FLOAT_TYPE_BIG_FLOAT" in codes
