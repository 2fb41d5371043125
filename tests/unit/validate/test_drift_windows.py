"""Drift across time windows: exact small-cardinality distances, the noise floor, drift
levels and freshness."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datacheck.schema import Comparator, ComparatorMethod, Freshness, infer_schema
from datacheck.stats import StatsOptions, generate_statistics, merge_profiles
from datacheck.validate import validate_statistics
from datacheck.validate._comparators import effective_count, noise_floor
from datacheck.validate._distances import ExactDistribution, jensen_shannon, quantile_bin_masses

vega = pytest.importorskip("vega_datasets")

JSD = "jensen_shannon"


def _hours() -> pd.DataFrame:
    t = vega.data.seattle_temps()
    t["date"] = pd.to_datetime(t["date"])
    return t


def _days(months: tuple[int, ...]) -> np.ndarray:
    """Day of month of the hourly readings warmer than 8 C in these months of 2010: a real
    small-cardinality column of a few thousand values, which the sketch compacts."""
    t = _hours()
    keep = t.date.dt.month.isin(months) & (t.temp > 8)
    return t.date[keep].dt.day.to_numpy()


def _distance(baseline: pa.Table, current: pa.Table, options: StatsOptions) -> float:
    b, c = generate_statistics(baseline, options), generate_statistics(current, options)
    report = validate_statistics(c, infer_schema(b), baseline=b)
    (m,) = [m for m in report.measurements if m.path == "day" and m.method == JSD]
    return m.distance


def _exact_jsd(baseline: np.ndarray, current: np.ndarray) -> float:
    """The decile JSD written out from the two samples: the baseline's deciles (the smallest
    value whose share at or below it passes the rank) as bin edges, each side's share of
    values per bin."""
    ordered = np.sort(baseline)
    ranks = np.arange(1, 10) / 10
    edges = np.unique(ordered[np.minimum(np.floor(ranks * ordered.size).astype(int), 9999)])
    p = np.histogram(baseline, np.concatenate([[-np.inf], edges, [np.inf]]))[0]
    q = np.histogram(current, np.concatenate([[-np.inf], edges, [np.inf]]))[0]
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    kl = lambda a: float(np.sum(a[a > 0] * np.log2(a[a > 0] / m[a > 0])))  # noqa: E731
    return 0.5 * (kl(p) + kl(q))


def test_day_of_month_distance_is_deterministic_and_exact() -> None:
    base, cur = _days((1, 2, 3)), _days((4, 5, 6))
    assert base.size > 1000 and cur.size > 1000  # past what the sketch keeps uncompacted
    tb, tc = pa.table({"day": base}), pa.table({"day": cur})
    runs = [_distance(tb, tc, StatsOptions(batch_size=size)) for size in (65_536, 500, 97)]
    assert runs[0] == runs[1] == runs[2]
    assert runs[0] == pytest.approx(_exact_jsd(base, cur), abs=1e-12)


def test_exact_distance_is_the_merged_profiles_distance() -> None:
    base, cur = _days((1, 2, 3)), _days((4, 5, 6))
    b = generate_statistics(pa.table({"day": base}))
    halves = [generate_statistics(pa.table({"day": part})) for part in np.array_split(cur, 2)]
    whole = generate_statistics(pa.table({"day": cur}))
    merged = merge_profiles(*halves)
    schema = infer_schema(b)
    one, two = (
        [m.distance for m in validate_statistics(p, schema, baseline=b).measurements]
        for p in (whole, merged)
    )
    assert one == two


def test_a_side_past_the_cap_is_compared_through_both_sketches() -> None:
    rng = np.random.default_rng(3)
    wide = StatsOptions(exact_counts_cap=10)
    b = generate_statistics(pa.table({"x": rng.integers(0, 5, 500)}))
    c = generate_statistics(pa.table({"x": rng.integers(0, 50, 500)}), wide)
    report = validate_statistics(c, infer_schema(b), baseline=b)
    assert any(m.method == JSD and m.distance > 0.2 for m in report.measurements)


def test_noise_floor_holds_one_distribution_to_its_rate() -> None:
    """Pairs of samples of 100 from one real distribution (daily wind of seattle-weather):
    the decile JSD passes its floor in few of them, where the bare 0.05 fails one in ten."""
    wind = vega.data.seattle_weather()["wind"].to_numpy()
    rng = np.random.default_rng(7)
    over_floor = over_threshold = 0
    for _ in range(300):
        a, b = (rng.choice(wind, 100) for _ in range(2))
        ka, ca = np.unique(a, return_counts=True)
        kb, cb = np.unique(b, return_counts=True)
        p, q = quantile_bin_masses(ExactDistribution(ka, ca), ExactDistribution(kb, cb))
        d = jensen_shannon(p, q)
        floor = noise_floor(JSD, 100, 100, int(np.count_nonzero(p + q)), 0.0)
        assert floor is not None
        over_floor += d > max(0.05, floor)
        over_threshold += d > 0.05
    assert over_floor <= 3 < 15 <= over_threshold


def test_effective_count_of_a_series_and_of_independent_rows() -> None:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=400))
    noise = rng.normal(size=400)
    p = generate_statistics(pa.table({"walk": walk, "noise": noise}))
    assert effective_count(p.features["walk"]) < 20
    assert effective_count(p.features["noise"]) > 300


def _profiles(before: pd.DataFrame, after: pd.DataFrame) -> tuple:
    return generate_statistics(pa.table(before)), generate_statistics(pa.table(after))


def _shifted() -> tuple:
    rng = np.random.default_rng(5)
    before = pd.DataFrame({"x": rng.normal(0, 1, 500)})
    after = pd.DataFrame({"x": rng.normal(3, 1, 500)})
    return _profiles(before, after)


@pytest.mark.parametrize(
    ("level", "severity"), [("error", "error"), ("warning", "warning"), ("off", None)]
)
def test_drift_level_sets_the_severity(level: str, severity: str | None) -> None:
    b, c = _shifted()
    schema = infer_schema(b)
    f = replace(schema.features[0], drift_level=level)
    report = validate_statistics(c, replace(schema, features=(f,)), baseline=b)
    found = [str(a.severity) for a in report.anomalies if a.code.startswith("COMPARATOR_JENSEN")]
    assert found == ([] if severity is None else [severity])
    (m,) = [m for m in report.measurements if m.method == JSD]
    assert m.exceeded and m.enforced == (level != "off")


def test_drift_level_leaves_skew_alone() -> None:
    b, c = _shifted()
    schema = infer_schema(b)
    f = replace(schema.features[0], drift_level="off")
    report = validate_statistics(c, replace(schema, features=(f,)), serving=b)
    assert [str(a.severity) for a in report.anomalies] == ["error"]


def _dates(start: str, days: int) -> pa.Table:
    first = dt.date.fromisoformat(start)
    return pa.table({"day": [first + dt.timedelta(days=i % days) for i in range(3 * days)]})


def test_dates_get_freshness_not_drift() -> None:
    b = generate_statistics(_dates("2024-01-01", 30))
    f = infer_schema(b).feature("day")
    assert f.drift_comparator is None and f.skew_comparator is None
    assert f.freshness == Freshness()


def test_the_next_window_is_fresh_and_a_replayed_one_is_not() -> None:
    b = generate_statistics(_dates("2024-01-01", 30))
    schema = infer_schema(b)
    later = generate_statistics(_dates("2024-01-31", 30))
    assert validate_statistics(later, schema, baseline=b).anomalies == ()
    replayed = validate_statistics(b, schema, baseline=b)
    assert [(a.code, a.severity) for a in replayed.anomalies] == [
        ("TIME_NOT_AFTER_BASELINE", "warning")
    ]
    assert replayed.anomalies[0].measured == {"stale_share": 1.0}


def test_late_rows_within_the_allowed_share_pass() -> None:
    b = generate_statistics(_dates("2024-01-01", 30))
    schema = infer_schema(b)
    overlap = generate_statistics(_dates("2024-01-29", 30))  # 2 of 30 days stale: 6.7%
    assert [a.code for a in validate_statistics(overlap, schema, baseline=b).anomalies] == [
        "TIME_NOT_AFTER_BASELINE"
    ]
    f = replace(schema.features[0], freshness=Freshness(max_stale_fraction=0.1))
    lenient = replace(schema, features=(f,))
    assert validate_statistics(overlap, lenient, baseline=b).anomalies == ()


def test_a_drift_comparator_set_on_dates_is_measured() -> None:
    # Shuffled rows: dates in row order are a series worth a handful of independent values,
    # whose noise floor no distance passes.
    shuffle = np.random.default_rng(2).permutation(90)
    b = generate_statistics(_dates("2024-01-01", 30).take(shuffle))
    schema = infer_schema(b)
    jsd = Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.05)
    with_jsd = replace(schema, features=(replace(schema.features[0], drift_comparator=jsd),))
    later = generate_statistics(_dates("2024-03-01", 30).take(shuffle))
    report = validate_statistics(later, with_jsd, baseline=b)
    assert [a.code for a in report.anomalies] == ["COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"]


def test_a_severity_override_of_the_code_beats_the_drift_level() -> None:
    b, c = _shifted()
    schema = infer_schema(b)
    code = "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"
    f = replace(schema.features[0], drift_level="warning", severity_overrides={code: "error"})
    report = validate_statistics(c, replace(schema, features=(f,)), baseline=b)
    assert [(a.code, a.severity) for a in report.anomalies] == [(code, "error")]
