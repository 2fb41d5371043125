"""Profiles, a schema and a validation report of small mixed-type data, for the report tests."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pytest

from datacheck.schema import Schema, infer_schema
from datacheck.stats import DatasetProfile, generate_statistics
from datacheck.validate import ValidationReport, validate_statistics

#: a category value that would run as a script if the report did not escape it
HOSTILE = "<script>alert('x')</script>"

ROWS = 400


def mixed_table(seed: int, shift: float) -> pa.Table:
    """One column of each kind the report draws; ``shift`` moves the distributions."""
    rng = np.random.default_rng(seed)
    colours = np.array(["red", "green", "blue", HOSTILE])
    weights = np.array([0.5, 0.3, 0.15, 0.05]) if not shift else np.array([0.1, 0.3, 0.3, 0.3])
    day0 = datetime.date(2024, 1, 1)
    return pa.table(
        {
            "price": pa.array(rng.normal(10 + 5 * shift, 2, ROWS)),
            "count": pa.array(rng.integers(0, 6, ROWS)),
            "colour": pa.array(rng.choice(colours, ROWS, p=weights)),
            "flag": pa.array(rng.random(ROWS) < 0.3 + 0.4 * shift),
            "blob": pa.array([bytes([i % 7]) * (i % 5) for i in range(ROWS)], pa.binary()),
            "day": pa.array(
                [day0 + datetime.timedelta(days=int(d)) for d in rng.integers(0, 90, ROWS)]
            ),
            "tags": pa.array([list(range(i % 3)) for i in range(ROWS)], pa.list_(pa.int64())),
            "empty": pa.nulls(ROWS, pa.float64()),
        }
    )


@pytest.fixture(scope="package")
def profile() -> DatasetProfile:
    return generate_statistics(mixed_table(1, shift=1.0))


@pytest.fixture(scope="package")
def baseline() -> DatasetProfile:
    return generate_statistics(mixed_table(2, shift=0.0))


@pytest.fixture(scope="package")
def schema(baseline: DatasetProfile) -> Schema:
    return infer_schema(baseline)


@pytest.fixture(scope="package")
def validation(
    profile: DatasetProfile, baseline: DatasetProfile, schema: Schema
) -> ValidationReport:
    return validate_statistics(profile, schema, baseline=baseline)
