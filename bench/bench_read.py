"""Reader memory: peak RSS of read_batches over a 1M-row and a 10M-row file, CSV and Parquet.

Each measurement runs in a fresh Python process that streams every batch of the file through
``read_batches`` and reports its own peak RSS (``VmHWM``, Linux). The baseline, in the same run,
is the peak RSS of pyarrow reading the whole file into one table (``pyarrow.csv.read_csv`` /
``pyarrow.parquet.read_table``), which grows with the file. Data are seeded and written to
``bench/data/`` (git-ignored) on first use.

    .venv/bin/python bench/bench_read.py [--rows 1000000] [--factor 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parent / "data"

_MEASURE = """
import json, sys, time
start = time.perf_counter()
kind, path = sys.argv[1], sys.argv[2]
rows = 0
if kind == "stream":
    from datacheck.io import read_batches
    for batch in read_batches(path):
        rows += batch.num_rows
elif path.endswith(".csv"):
    import pyarrow.csv
    rows = pyarrow.csv.read_csv(path).num_rows
else:
    import pyarrow.parquet
    rows = pyarrow.parquet.read_table(path).num_rows
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent process.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"rows": rows, "peak": peak, "seconds": time.perf_counter() - start}))
"""


def _chunk(rng: np.random.Generator, n: int) -> pa.Table:
    words = np.array([f"w{i}" for i in range(5000)])
    return pa.table(
        {
            "i": rng.integers(0, 1_000_000, n),
            "x": rng.normal(size=n),
            "cat": pa.array(np.array([f"c{i}" for i in range(1000)])[rng.zipf(1.5, n) % 1000]),
            "text": pa.array(words[rng.integers(0, 5000, n)]),
            "day": pa.array(rng.integers(0, 20_000, n).astype("datetime64[D]")),
        }
    )


def _make(rows: int) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = DATA / f"read_{rows}.csv", DATA / f"read_{rows}.parquet"
    if csv_path.exists() and parquet_path.exists():
        return csv_path, parquet_path
    rng = np.random.default_rng(rows)
    step = 1_000_000
    chunk = _chunk(rng, min(step, rows))
    with (
        pcsv.CSVWriter(csv_path, chunk.schema) as csv_out,
        pq.ParquetWriter(parquet_path, chunk.schema) as parquet_out,
    ):
        for start in range(0, rows, step):
            table = chunk if start == 0 else _chunk(rng, min(step, rows - start))
            csv_out.write_table(table)
            parquet_out.write_table(table, row_group_size=step // 4)
    return csv_path, parquet_path


def _measure(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    """Print each peak RSS and the ratios on their own lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args()
    small, large = _make(args.rows), _make(args.rows * args.factor)
    mib = 1024 * 1024
    for index, fmt in enumerate(("csv", "parquet")):
        small_mib, large_mib = (p[index].stat().st_size / mib for p in (small, large))
        print(f"{fmt}: files {small_mib:,.0f} MiB and {large_mib:,.0f} MiB")
        for kind in ("stream", "whole"):
            a, b = _measure(kind, small[index]), _measure(kind, large[index])
            label = "read_batches" if kind == "stream" else "baseline (whole table)"
            print(
                f"{fmt} {label}: peak RSS {a['peak'] / mib:,.0f} MiB at {a['rows']:,.0f} rows "
                f"({a['seconds']:.1f} s), {b['peak'] / mib:,.0f} MiB at {b['rows']:,.0f} rows "
                f"({b['seconds']:.1f} s)"
            )
            print(
                f"{fmt} {label}: peak RSS ratio {args.factor}x rows / 1x rows = "
                f"{b['peak'] / a['peak']:.2f}"
            )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
