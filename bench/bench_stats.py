"""Statistics benchmark (issue 2): datacheck against a plain pyarrow.compute baseline.

Figures, each on its own line (medians of several interleaved runs, all in this process unless
noted):

- ``baseline_s``: one single-threaded pyarrow.compute pass over the in-memory 1M x 20 table:
  min, max, mean and null count of each numeric column, count_distinct of each string column;
- ``inmemory_s`` and ``inmemory_ratio`` (target <= 1.0): datacheck on the same table; the
  ``_cpu_`` figures are the same runs in CPU seconds of this process (all threads), which
  other jobs on a shared machine do not inflate;
- ``csv_read_s``, ``csv_s`` and ``csv_ratio`` (target <= 1.5): datacheck from the CSV file,
  against pyarrow's CSV read time plus the in-memory profiling time;
- ``memory_above_data_mb`` (target < 300): peak RSS above the loaded table while profiling it,
  sampled in a subprocess;
- ``parquet_1m_peak_mb``, ``parquet_5m_peak_mb`` and ``parquet_peak_ratio`` (target <= 1.3):
  peak RSS above the interpreter's start-up while profiling the 1M- and 5M-row Parquet files in
  batches, each in its own subprocess.

Run: ``.venv/bin/python bench/bench_stats.py [--runs N] [--skip-5m]``. The data files are
written to ``bench/data/`` on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import make_table, write_dataset

from datacheck.stats import generate_statistics

_PAGE = os.sysconf("SC_PAGE_SIZE")


def baseline(table: pa.Table) -> None:
    """The plain single-threaded pyarrow.compute pass the issue compares against."""
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            pc.count_distinct(column)
        else:
            pc.min_max(column)
            pc.mean(column)
            _ = column.null_count


def median_times(fns: list[Callable[[], object]], runs: int) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of each function over ``runs`` rounds.

    The functions take turns within each round, so that load from other processes on a shared
    machine falls on all of them alike rather than on whichever ran during a busy spell. CPU
    time (this process, all threads) shows the work done whatever the machine's load.
    """
    times: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, bucket in zip(fns, times, strict=True):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            bucket.append((time.perf_counter() - wall, time.process_time() - cpu))
    return [
        (statistics.median(w for w, _ in bucket), statistics.median(c for _, c in bucket))
        for bucket in times
    ]


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


class _PeakSampler:
    """Samples this process's RSS every few milliseconds in a background thread."""

    def __init__(self) -> None:
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def child(mode: str, path: str) -> None:
    """Subprocess body: print the RSS before profiling and the peak while profiling (bytes)."""
    if mode == "table":
        table = pq.read_table(path)
        source: object = table
    else:
        source = path
    before = _rss()
    with _PeakSampler() as sampler:
        generate_statistics(source)
    print(json.dumps({"before": before, "peak": sampler.peak}))


def _measure_child(mode: str, path: Path) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return result


def _speed(csv_path: Path, runs: int) -> None:
    """The in-memory and CSV figures."""
    table = make_table(1_000_000)
    print(
        f"table: {table.num_rows:,} rows x {table.num_columns} columns, "
        f"{table.nbytes / 2**20:,.0f} MB"
    )
    generate_statistics(table.slice(0, 100_000))  # warm up imports and the thread pool
    (base, base_cpu), (ours, ours_cpu) = median_times(
        [lambda: baseline(table), lambda: generate_statistics(table)], runs
    )
    print(f"baseline_s: {base:.3f}")
    print(f"inmemory_s: {ours:.3f}")
    print(f"inmemory_ratio: {ours / base:.2f}  (target <= 1.0)")
    print(f"baseline_cpu_s: {base_cpu:.3f}")
    print(f"inmemory_cpu_s: {ours_cpu:.3f}")
    print(f"inmemory_cpu_ratio: {ours_cpu / base_cpu:.2f}")
    csv_runs = max(3, runs // 2)
    (read, _), (from_csv, _) = median_times(
        [lambda: pacsv.read_csv(csv_path), lambda: generate_statistics(str(csv_path))], csv_runs
    )
    print(f"csv_read_s: {read:.3f}")
    print(f"csv_s: {from_csv:.3f}")
    print(f"csv_ratio: {from_csv / (read + ours):.2f}  (target <= 1.5)")


def _memory(parquet_path: Path, with_5m: bool) -> None:
    """The memory figures, each measured in its own subprocess."""
    mb = 2**20
    mem = _measure_child("table", parquet_path)
    print(f"memory_above_data_mb: {(mem['peak'] - mem['before']) / mb:.0f}  (target < 300)")
    one = _measure_child("file", parquet_path)
    one_peak = (one["peak"] - one["before"]) / mb
    print(f"parquet_1m_peak_mb: {one_peak:.0f}")
    if with_5m:
        _, parquet_5m = write_dataset(5_000_000, csv=False)
        five = _measure_child("file", parquet_5m)
        five_peak = (five["peak"] - five["before"]) / mb
        print(f"parquet_5m_peak_mb: {five_peak:.0f}")
        print(f"parquet_peak_ratio: {five_peak / one_peak:.2f}  (target <= 1.3)")


def main() -> None:
    """Run every figure and print one per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-5m", action="store_true")
    parser.add_argument("--only", choices=("speed", "memory"), help="run one group of figures")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    csv_path, parquet_path = write_dataset(1_000_000)
    if args.only != "memory":
        _speed(csv_path, args.runs)
    if args.only != "speed":
        _memory(parquet_path, not args.skip_5m)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
