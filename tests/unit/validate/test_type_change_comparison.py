"""A comparison across a type change is measured where it can be, and said where it cannot.

Seen on real data: a feature that changed type (int to float) lost its drift measurement with
nothing in the report, where the README promises STATS_NOT_AVAILABLE. On palmerpenguins: a
year with every flipper length measured (read as int), then one with a gap (read as float).
"""

from __future__ import annotations

import pandas as pd
import pytest

from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import AnomalyCode, MeasurementKind, validate_statistics

palmerpenguins = pytest.importorskip("palmerpenguins")

C = AnomalyCode


@pytest.fixture(scope="module")
def years() -> dict[int, pd.DataFrame]:
    penguins = palmerpenguins.load_penguins()
    return {
        y: penguins.loc[penguins.year == y, ["flipper_length_mm", "island"]] for y in (2008, 2009)
    }


def test_int_to_float_is_flagged_and_still_measured(years: dict[int, pd.DataFrame]) -> None:
    before = years[2008].astype({"flipper_length_mm": "int64"})  # 2008 has no gap
    after = years[2009]  # one bird unmeasured: float with NaN
    baseline = generate_statistics(before)
    report = validate_statistics(
        generate_statistics(after), infer_schema(baseline), baseline=baseline
    )
    codes = {(a.code, a.path) for a in report.anomalies}
    assert (C.UNEXPECTED_DATA_TYPE, "flipper_length_mm") in codes
    measured = {
        m.method
        for m in report.measurements
        if m.path == "flipper_length_mm" and m.kind is MeasurementKind.DRIFT
    }
    assert "jensen_shannon" in measured and "missing_cohens_h" in measured


def test_a_comparison_that_cannot_run_is_stats_not_available(
    years: dict[int, pd.DataFrame],
) -> None:
    before = years[2008]
    after = years[2009].assign(flipper_length_mm=years[2009]["flipper_length_mm"].astype(str))
    baseline = generate_statistics(before)
    report = validate_statistics(
        generate_statistics(after), infer_schema(baseline), baseline=baseline
    )
    (missing,) = [
        a
        for a in report.anomalies
        if a.code is C.STATS_NOT_AVAILABLE and a.path == "flipper_length_mm"
    ]
    assert "no drift measured against the baseline" in missing.message
    assert "arrived as string" in missing.message
