"""Row files of a validation: what the quarantine's new parts cost, as ratios in one process.

1. JSON Lines encoding: the column-wise encoder (``datacheck.io._rowtext.json_lines``) against
   the per-row ``json.dumps`` of the previous writer, on 200k rows x 10 columns (floats, ints,
   strings).
2. Row validation: ``validate_batches`` with each quarantined row's source (file and row)
   against the same call with the source step switched off, on 1M rows x 20 columns read from
   a CSV file (so batches carry their origin tags), about 1% of rows quarantined.

Usage: ``.venv/bin/python bench/bench_quarantine_rows.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from datacheck._json import float_to_json
from datacheck.io import read_batches
from datacheck.io._rowtext import json_lines
from datacheck.schema import Feature, FeatureType, FloatDomain, Schema
from datacheck.validate import _rows, validate_batches


def _old_value(value: Any) -> Any:
    # The writer before: every row to Python, then json.dumps.
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, dict):
        return {k: _old_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_old_value(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def _old_lines(batch: pa.RecordBatch) -> list[str]:
    return [json.dumps(_old_value(r), allow_nan=False) for r in batch.to_pylist()]


def _median(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    rng = np.random.default_rng(0)

    n = 200_000
    words = np.array(["alpha", "beta", "gamma"])
    batch = pa.record_batch(
        {
            **{f"f{i}": rng.normal(size=n) for i in range(4)},
            **{f"i{i}": rng.integers(0, 1000, n) for i in range(3)},
            **{f"s{i}": pa.array(words[rng.integers(0, 3, n)]) for i in range(3)},
        }
    )
    old = _median(lambda: _old_lines(batch), runs)
    new = _median(lambda: json_lines(batch), runs)
    print(f"JSON Lines, {n:,} rows x 10 columns: per-row json.dumps {old:.2f} s, column-wise")
    print(f"  {new:.2f} s: new / old = {new / old:.2f}")

    rows = 1_000_000
    table = pa.table({f"x{i}": rng.normal(size=rows) for i in range(20)})
    schema = Schema(
        features=tuple(
            Feature(name=f"x{i}", type=FeatureType.FLOAT, domain=FloatDomain(min=-3.2, max=3.2))
            for i in range(20)
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        pcsv.write_csv(table, path)
        batches = list(read_batches(path))

        def check() -> int:
            return sum(c.quarantined.num_rows for c in validate_batches(batches, schema))

        bad = check()
        with_source = _median(check, runs)
        kept = _rows._with_source
        _rows._with_source = lambda checked, offset: checked  # type: ignore[assignment]
        try:
            without = _median(check, runs)
        finally:
            _rows._with_source = kept
    print(f"validate_batches, {rows:,} rows x 20 columns from CSV ({bad:,} quarantined):")
    print(f"  without sources {without:.2f} s, with {with_source:.2f} s: ratio ", end="")
    print(f"{with_source / without:.3f}")


if __name__ == "__main__":
    main()
