"""Benchmark of validation on the 1M x 20 dataset (bench/_dataset.py), with ratios in-run.

1. Row-level validation with the checks pandera users write: type, nullable, range for the
   numeric columns, membership in the 1,000-value domain for the categoricals, and string
   length 1..200 for the text. datacheck's ``validate_batches`` (65,536-row batches, as
   ``read_batches`` gives them) against pandera's pandas backend and its polars backend (both
   ``lazy=True``, which collects every failure as datacheck does), on clean data and with 1% of
   rows invalid. pandera's pandas backend runs on two frames of the same data: strings as
   pandas 3 reads them (pyarrow-backed ``str``) and as Python objects (pandas 2's default, and
   pandas 3's with ``future.infer_string`` off).
2. Drift distances on real data (vega_datasets' seattle-weather, 12-month windows against the
   next 12, and real shifts), from which the default thresholds are set; TFDV-style
   equal-width-histogram JSD alongside.
3. ``validate_statistics`` of one half of the table against a schema inferred from the other
   half, with drift measured against that half's profile (20 features, every method).

Figures are medians of several runs; ratios are against runs in the same process.
Run: ``.venv/bin/python bench/bench_validate.py [ROWS]``.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import make_table  # bench/ is not a package: the path is set above

from datacheck.schema import (
    Feature,
    FeatureType,
    FloatDomain,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    infer_schema,
)
from datacheck.stats import generate_statistics
from datacheck.validate import (
    validate_batches,
    validate_statistics,
)
from datacheck.validate._distances import jensen_shannon

REQUIRED = Presence(min_fraction=1.0)
#: the text columns' length bound, in characters (some generated texts are longer: they fail)
TEXT_MAX = 200


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _race(contenders: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each contender, the runs taken in turn."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _bounds(table: pa.Table) -> dict[str, tuple[float, float]]:
    out = {}
    for name in table.column_names:
        if name.startswith(("f_", "i_")):
            mm = pc.min_max(table.column(name))
            out[name] = (mm["min"].as_py(), mm["max"].as_py())
    return out


def _vocabularies(table: pa.Table) -> dict[str, list[str]]:
    return {
        name: pc.unique(table.column(name)).to_pylist()
        for name in table.column_names
        if name.startswith("cat_")
    }


def datacheck_schema(bounds: dict[str, tuple[float, float]], vocab: dict[str, list[str]]) -> Schema:
    """The same checks as the pandera schemas."""
    features = []
    for name, (lo, hi) in bounds.items():
        if name.startswith("f_"):
            features.append(
                Feature(name=name, type=FeatureType.FLOAT, domain=FloatDomain(min=lo, max=hi))
            )
        else:
            features.append(
                Feature(
                    name=name,
                    type=FeatureType.INT,
                    presence=REQUIRED,
                    domain=IntDomain(min=int(lo), max=int(hi)),
                )
            )
    for name, values in vocab.items():
        features.append(
            Feature(
                name=name,
                type=FeatureType.STRING,
                presence=REQUIRED,
                domain=StringDomain(values=tuple(values)),
            )
        )
    for name in ("text_0", "text_1"):
        features.append(
            Feature(
                name=name,
                type=FeatureType.STRING,
                presence=REQUIRED,
                string_length=StringLength(min=1, max=TEXT_MAX),
            )
        )
    return Schema(features=tuple(features))


def pandera_schemas(
    bounds: dict[str, tuple[float, float]], vocab: dict[str, list[str]]
) -> tuple[object, object]:
    """(pandas schema, polars schema) with the checks of :func:`datacheck_schema`."""
    import pandera.pandas as pdp
    import pandera.polars as plp
    import polars as pl

    pd_cols: dict[str, object] = {}
    pl_cols: dict[str, object] = {}
    for name, (lo, hi) in bounds.items():
        is_float = name.startswith("f_")
        pd_cols[name] = pdp.Column(
            float if is_float else "int64", pdp.Check.in_range(lo, hi), nullable=is_float
        )
        pl_cols[name] = plp.Column(
            pl.Float64 if is_float else pl.Int64, plp.Check.in_range(lo, hi), nullable=is_float
        )
    for name, values in vocab.items():
        pd_cols[name] = pdp.Column(str, pdp.Check.isin(values), nullable=False)
        pl_cols[name] = plp.Column(pl.Utf8, plp.Check.isin(values), nullable=False)
    for name in ("text_0", "text_1"):
        pd_cols[name] = pdp.Column(str, pdp.Check.str_length(1, TEXT_MAX), nullable=False)
        pl_cols[name] = plp.Column(pl.Utf8, plp.Check.str_length(1, TEXT_MAX), nullable=False)
    return pdp.DataFrameSchema(pd_cols), plp.DataFrameSchema(pl_cols)


def corrupt(table: pa.Table, share: float = 0.01, seed: int = 1) -> tuple[pa.Table, int]:
    """1% of rows get one invalid value: an int out of range, an unknown category, a huge float."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(table.num_rows) < share)
    kinds = rng.integers(0, 3, rows.size)
    cols = {
        name: table.column(name).combine_chunks() for name in ("i_poisson", "cat_0", "f_normal")
    }
    for kind, name, bad in (
        (0, "i_poisson", -5),
        (1, "cat_0", "not-a-category"),
        (2, "f_normal", 1e12),
    ):
        where = np.zeros(table.num_rows, dtype=bool)
        where[rows[kinds == kind]] = True
        cols[name] = pc.if_else(pa.array(where), pa.scalar(bad, cols[name].type), cols[name])
    for name, col in cols.items():
        table = table.set_column(table.schema.get_field_index(name), name, col)
    return table, int(rows.size)


def run_datacheck(table: pa.Table, schema: Schema) -> int:
    """Every check; the quarantined rows with their reasons (what pandera's lazy mode gives)."""
    bad = 0
    for r in validate_batches(table.to_batches(max_chunksize=65_536), schema):
        bad += r.quarantined.num_rows
    return bad


def run_datacheck_split(table: pa.Table, schema: Schema) -> int:
    """Every check, and the valid rows materialized as well (a copy when some row failed)."""
    good = 0
    for r in validate_batches(table.to_batches(max_chunksize=65_536), schema):
        good += r.valid.num_rows
    return good


def run_pandera(schema: object, frame: object) -> None:
    from pandera.errors import SchemaErrors

    # The failures are the result; building them is part of the cost.
    with contextlib.suppress(SchemaErrors):
        schema.validate(frame, lazy=True)  # type: ignore[attr-defined]  # a pandera schema


def row_level(rows: int) -> None:
    import polars as pl

    table = make_table(rows)
    bounds, vocab = _bounds(table), _vocabularies(table)
    schema = datacheck_schema(bounds, vocab)
    broken, n_bad = corrupt(table)
    try:
        pd_schema, pl_schema = pandera_schemas(bounds, vocab)
    except ImportError:
        print("pandera is not installed: pip install 'datacheck-ml[bench]'")
        return
    print(
        f"row-level validation, {rows:,} rows x {table.num_columns} columns "
        f"({n_bad:,} corrupted rows in the 1% case)"
    )
    times: dict[str, dict[str, float]] = {}
    for label, data in (("clean", table), ("1% invalid", broken)):
        found = run_datacheck(data, schema)
        frame = data.to_pandas()
        text = [c for c in frame.columns if c.startswith(("cat_", "text_"))]
        objects = frame.astype(dict.fromkeys(text, object))
        # polars keeps NaN apart from null; pandera's pandas backend treats NaN as missing, so
        # give polars the floats' NaN as null for the same meaning.
        polars_frame = pl.from_arrow(data).with_columns(pl.col(pl.Float64).fill_nan(None))
        # Interleaved runs, so that other load on the machine hits every contender alike.
        t = times[label] = _race(
            {
                "datacheck": lambda d=data: run_datacheck(d, schema),
                "datacheck+valid": lambda d=data: run_datacheck_split(d, schema),
                "pandas": lambda f=frame: run_pandera(pd_schema, f),
                "pandas-object": lambda f=objects: run_pandera(pd_schema, f),
                "polars": lambda f=polars_frame: run_pandera(pl_schema, f),
            },
            runs=7,
        )
        dc = t["datacheck"]
        print(f"[{label}] datacheck validate_batches:   {dc:.3f} s ({found:,} rows quarantined)")
        print(f"[{label}] datacheck + valid rows copied: {t['datacheck+valid']:.3f} s")
        print(
            f"[{label}] pandera pandas, object str:   {t['pandas-object']:.3f} s -> "
            f"datacheck is {t['pandas-object'] / dc:.1f}x faster (target >= 10x)"
        )
        print(
            f"[{label}] pandera pandas, pyarrow str:  {t['pandas']:.3f} s -> "
            f"datacheck is {t['pandas'] / dc:.1f}x faster"
        )
        print(
            f"[{label}] pandera polars:               {t['polars']:.3f} s -> "
            f"datacheck / polars = {dc / t['polars']:.2f} (target <= 2)"
        )
    clean, bad = times["clean"], times["1% invalid"]
    print(
        f"1% invalid / clean, datacheck: {bad['datacheck'] / clean['datacheck']:.2f} "
        f"(target: no slower); with the valid rows copied: "
        f"{bad['datacheck+valid'] / clean['datacheck+valid']:.2f}; pandera polars: "
        f"{bad['polars'] / clean['polars']:.2f}"
    )


def dataset_level(rows: int) -> None:
    table = make_table(rows)
    half = rows // 2
    baseline = generate_statistics(table.slice(0, half))
    current = generate_statistics(table.slice(half))
    schema = infer_schema(baseline)
    report = validate_statistics(current, schema, baseline=baseline)
    t = _median(lambda: validate_statistics(current, schema, baseline=baseline), 20)
    print(
        f"validate_statistics, {len(schema.features)} features, drift against a baseline "
        f"profile: {1000 * t:.1f} ms median of 20 ({len(report.measurements)} distances, "
        f"{len(report.anomalies)} anomalies; target < 50 ms)"
    )


def _equal_width_jsd(a: np.ndarray, b: np.ndarray, bins: int = 10) -> float:
    """TFDV-style approximate JSD: equal-width bins over both samples' range."""
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    p, _ = np.histogram(a, bins=bins, range=(lo, hi))
    q, _ = np.histogram(b, bins=bins, range=(lo, hi))
    return jensen_shannon(p / p.sum(), q / q.sum())


def _distances(baseline: pd.DataFrame, current: pd.DataFrame) -> dict[tuple[str, str], float]:
    base = generate_statistics(baseline)
    report = validate_statistics(generate_statistics(current), infer_schema(base), baseline=base)
    return {(m.path or "", m.method): m.distance for m in report.measurements if m.path}


def real_data() -> None:
    """Drift distances on seattle-weather: undrifted 12-month windows, then real shifts."""
    from vega_datasets import data

    w = data.seattle_weather()
    w["date"] = pd.to_datetime(w["date"])
    months = (w.date.dt.year - 2012) * 12 + w.date.dt.month - 1
    numeric = ["precipitation", "temp_max", "temp_min", "wind"]
    methods = ["jensen_shannon", "psi", "ks", "wasserstein"]
    print("seattle-weather, 12 months against the next 12 (undrifted):")
    print(
        f"  {'window':8s} {'feature':14s} {'tfdv_ew_jsd':>11s} "
        + " ".join(f"{m:>14s}" for m in methods)
    )
    worst: dict[str, float] = {}
    for start in (12, 15, 18, 21, 24):
        b = w[(months >= start) & (months < start + 12)].drop(columns="date")
        c = w[(months >= start + 12) & (months < start + 24)].drop(columns="date")
        d = _distances(b, c)
        for f in numeric:
            ew = _equal_width_jsd(b[f].to_numpy(float), c[f].to_numpy(float))
            print(
                f"  +{start:<7d} {f:14s} {ew:11.4f} "
                + " ".join(f"{d[(f, m)]:14.4f}" for m in methods)
            )
            for m in methods:
                worst[m] = max(worst.get(m, 0.0), d[(f, m)])
        linf, jsd = d[("weather", "l_infinity")], d[("weather", "jensen_shannon")]
        print(
            f"  +{start:<7d} {'weather':14s} {'':11s} l_infinity={linf:.4f} "
            f"jensen_shannon={jsd:.4f}"
        )
    print("  worst undrifted numeric: " + ", ".join(f"{m}={v:.4f}" for m, v in worst.items()))
    b = w[(months >= 15) & (months < 27)].drop(columns="date")
    c = w[(months >= 27) & (months < 39)].drop(columns="date")
    shifts: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "temp_max +3 C": lambda x: x.assign(temp_max=x.temp_max + 3),
        "temp_max +5 C": lambda x: x.assign(temp_max=x.temp_max + 5),
        "temp_max in F": lambda x: x.assign(temp_max=x.temp_max * 1.8 + 32),
        "precipitation in inches": lambda x: x.assign(precipitation=x.precipitation / 25.4),
        "wind x1.5": lambda x: x.assign(wind=x.wind * 1.5),
        "weather: fog becomes sun": lambda x: x.assign(weather=x.weather.replace("fog", "sun")),
    }
    print("seattle-weather, real shifts of the current 12 months (window +15):")
    for label, change in shifts.items():
        d = _distances(b, change(c.copy()))
        feature = label.split()[0].rstrip(":")
        shown = methods if feature != "weather" else ["l_infinity", "jensen_shannon", "psi"]
        print(f"  {label:26s} " + " ".join(f"{m}={d[(feature, m)]:.4f}" for m in shown))


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    real_data()
    dataset_level(n)
    row_level(n)
