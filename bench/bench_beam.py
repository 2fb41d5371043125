"""Beam benchmark (issue 5): GenerateStatistics on the DirectRunner against the in-memory run.

Figures (medians of ``--runs`` interleaved repetitions, wall-clock seconds, each pipeline run
from this process; every figure reads the same file and profiles it whole; the CPU seconds of
this process and its worker processes are printed beside each, since other jobs on a shared
machine inflate wall-clock time but not CPU time):

- ``inmemory_s``: :func:`datacheck.generate_statistics` on the 1M x 20 CSV file;
- ``beam_1_s`` and ``beam_ratio`` (target <= 3.0): ``ReadBatches | GenerateStatistics`` on the
  DirectRunner (Beam's FnApiRunner, in this process, one worker);
- ``mp1_s``, ``mp2_s`` and ``mp_ratio`` (target <= 1.0, 2 workers no slower than 1): the same
  pipeline in multi-process mode (``direct_running_mode=multi_processing``) with
  ``direct_num_workers`` 1 and 2;
- with ``--split N`` also ``split_mp1_s``, ``split_mp2_s``, ``split_mp_ratio``: the same rows
  as N CSV files, where the two workers can share the reading too (one CSV file is read by
  one worker: CSV cannot be split safely at byte offsets).

Run: ``.venv/bin/python bench/bench_beam.py [--runs N] [--split N]``. The data file is written
to ``bench/data/`` on first use.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import DATA_DIR, write_dataset

from datacheck.beam import beam_pipeline_options, profile_on_beam
from datacheck.stats import generate_statistics

_MP = "--direct_running_mode=multi_processing"


def _beam(source: str | list[str], beam_args: list[str]) -> Callable[[], object]:
    options = beam_pipeline_options("DirectRunner", beam_args)
    return lambda: profile_on_beam(source, None, options)


def _cpu_seconds() -> float:
    # This process and its finished children: the multi-process workers exit after each run.
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median_times(
    cases: dict[str, Callable[[], object]], runs: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per case; each repetition runs every case in turn."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            start, cpu = time.perf_counter(), _cpu_seconds()
            fn()
            times[name].append((time.perf_counter() - start, _cpu_seconds() - cpu))
            wall, used = times[name][-1]
            print(f"  {name}: {wall:.2f} s wall, {used:.2f} s CPU", file=sys.stderr, flush=True)
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }


def _split_csv(csv: Path, parts: int) -> list[str]:
    """The CSV's rows in ``parts`` files under bench/data (written once)."""
    directory = DATA_DIR / f"{csv.stem}_split{parts}"
    paths = [directory / f"part-{i}.csv" for i in range(parts)]
    if all(p.exists() for p in paths):
        return [str(p) for p in paths]
    directory.mkdir(parents=True, exist_ok=True)
    table = pacsv.read_csv(csv)
    size = -(-table.num_rows // parts)
    for i, path in enumerate(paths):
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as tmp:
            pacsv.write_csv(table.slice(i * size, size), tmp.name)
        os.replace(tmp.name, path)
    return [str(p) for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per case (median)")
    parser.add_argument("--split", type=int, default=0, help="also time the CSV as N files")
    args = parser.parse_args()
    csv, _ = write_dataset()
    source = str(csv)
    cases: dict[str, Callable[[], object]] = {
        "inmemory_s": lambda: generate_statistics(source),
        "beam_1_s": _beam(source, []),
        "mp1_s": _beam(source, ["--direct_num_workers=1", _MP]),
        "mp2_s": _beam(source, ["--direct_num_workers=2", _MP]),
    }
    if args.split:
        parts = _split_csv(csv, args.split)
        cases["split_mp1_s"] = _beam(parts, ["--direct_num_workers=1", _MP])
        cases["split_mp2_s"] = _beam(parts, ["--direct_num_workers=2", _MP])
    print(f"load before: {os.getloadavg()}", file=sys.stderr)
    medians = _median_times(cases, args.runs)
    print(f"load after: {os.getloadavg()}", file=sys.stderr)
    for name, (wall, cpu) in medians.items():
        print(f"{name}: {wall:.2f}  (CPU {cpu:.2f} s)")
    wall = {name: w for name, (w, _) in medians.items()}
    print(f"beam_ratio: {wall['beam_1_s'] / wall['inmemory_s']:.2f}  (target <= 3.0)")
    print(f"mp_ratio: {wall['mp2_s'] / wall['mp1_s']:.2f}  (target <= 1.0)")
    if args.split:
        print(f"split_mp_ratio: {wall['split_mp2_s'] / wall['split_mp1_s']:.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
