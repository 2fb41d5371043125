"""What a schema update says about itself: large relaxations, and what it could not fix.

The real case: an update relaxed a presence bound from 0.91 to 0.46 to fit corrupted data,
without a word, and after an update that could not relax a type the same data still failed with
nothing said. Here on vega_datasets' cars, corrupted the same ways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datacheck.schema import (
    Feature,
    FeatureType,
    FloatDomain,
    InferOptions,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    infer_schema,
    large_relaxations,
    update_schema,
)
from datacheck.stats import generate_statistics
from datacheck.validate import AnomalyCode, unfixed_anomalies

vega = pytest.importorskip("vega_datasets").data


@pytest.fixture(scope="module")
def cars() -> pd.DataFrame:
    return vega.cars()


def _update(before: pd.DataFrame, after: pd.DataFrame) -> tuple[Schema, Schema]:
    schema = infer_schema(generate_statistics(before), InferOptions(infer_ranges=True))
    updated, _ = update_schema(schema, generate_statistics(after))
    return schema, updated


def test_presence_halved_by_corrupted_data_is_warned_about(cars: pd.DataFrame) -> None:
    broken = cars.assign(Horsepower=cars["Horsepower"].where(cars.index % 2 == 1))
    old, new = _update(cars, broken)
    (warned,) = [r for r in large_relaxations(old, new) if r.feature == "Horsepower"]
    assert warned.field == "presence.min_fraction"
    before, after = (
        old.feature("Horsepower").presence.min_fraction,
        new.feature("Horsepower").presence.min_fraction,
    )
    assert f"from {before:g} to {after:g}" in warned.message


def test_ordinary_new_data_is_not_warned_about(cars: pd.DataFrame) -> None:
    # The cars of 1970-1975 as the schema, the later ones as new data: real, ordinary change.
    early = cars[cars["Year"] < "1976-01-01"]
    later = cars[cars["Year"] >= "1976-01-01"]
    old, new = _update(early, later)
    assert old != new
    assert large_relaxations(old, new) == []


def test_a_placeholder_widening_a_range_is_warned_about(cars: pd.DataFrame) -> None:
    # Unknown weights written as 99999, as some exports do.
    placeholder = cars.assign(
        Weight_in_lbs=cars["Weight_in_lbs"].where(cars.index % 50 != 0, 99999)
    )
    old, new = _update(cars, placeholder)
    assert [r.field for r in large_relaxations(old, new) if r.feature == "Weight_in_lbs"] == [
        "domain"
    ]


def test_a_domain_flooded_with_new_values_is_warned_about(cars: pd.DataFrame) -> None:
    typos = cars.assign(Origin=[f"{o}{i % 40}" for i, o in enumerate(cars["Origin"])])
    old, new = _update(cars, typos)
    assert [r.field for r in large_relaxations(old, new) if r.feature == "Origin"] in (
        ["domain.values"],
        ["domain"],
    )


def _one(**feature: object) -> Schema:
    kind = (
        FeatureType.STRING if isinstance(feature.get("domain"), StringDomain) else FeatureType.INT
    )
    return Schema(features=(Feature(name="x", type=kind, **feature),))  # type: ignore[arg-type]


def test_first_missing_values_are_not_a_large_relaxation() -> None:
    # 1.0 to 0.95 is h = 0.45: under Cohen's "medium" 0.5.
    old, new = _one(presence=Presence(min_fraction=1.0)), _one(presence=Presence(min_fraction=0.95))
    assert large_relaxations(old, new) == []


def test_a_range_may_double_but_not_more() -> None:
    old = _one(domain=IntDomain(min=0, max=10))
    assert large_relaxations(old, _one(domain=IntDomain(min=0, max=20))) == []
    (wider,) = large_relaxations(old, _one(domain=IntDomain(min=0, max=21)))
    assert "[0, 10] becomes [0, 21]" in wider.message


def test_a_lost_bound_is_a_large_relaxation() -> None:
    def floats(high: float | None) -> Schema:
        domain = FloatDomain(min=0.0, max=high)
        return Schema(features=(Feature(name="x", type=FeatureType.FLOAT, domain=domain),))

    (lost,) = large_relaxations(floats(1.0), floats(None))
    assert "loses its max" in lost.message


def test_a_domain_may_gain_ten_values_but_not_more() -> None:
    old = _one(domain=StringDomain(values=("a", "b")))
    ten = _one(domain=StringDomain(values=("a", "b", *(f"v{i}" for i in range(10)))))
    eleven = _one(domain=StringDomain(values=("a", "b", *(f"v{i}" for i in range(11)))))
    assert large_relaxations(old, ten) == []
    assert [r.field for r in large_relaxations(old, eleven)] == ["domain.values"]


def test_a_type_change_is_what_an_update_cannot_fix(cars: pd.DataFrame) -> None:
    # Cylinders written as decimals: an int feature that arrives as float.
    halves = cars.assign(Cylinders=cars["Cylinders"] + 0.5)
    _, new = _update(cars, halves)
    profile = generate_statistics(halves)
    (left,) = unfixed_anomalies(new, profile)
    assert (left.anomaly.code, left.anomaly.path) == (AnomalyCode.UNEXPECTED_DATA_TYPE, "Cylinders")
    assert "never changes a feature's type" in left.why


def test_nothing_is_left_when_the_update_fits(cars: pd.DataFrame) -> None:
    more = cars.assign(Horsepower=cars["Horsepower"] * 1.05)
    _, new = _update(cars, more)
    assert unfixed_anomalies(new, generate_statistics(more)) == ()


def test_missing_values_blanked_at_random_are_not_a_type_change(cars: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    gaps = cars.assign(Acceleration=cars["Acceleration"].where(rng.random(len(cars)) > 0.05))
    _, new = _update(cars, gaps)
    assert unfixed_anomalies(new, generate_statistics(gaps)) == ()
