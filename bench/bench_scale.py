"""Profile and validate a generated Parquet dataset: in memory, on Dask and on Spark (2 workers).

Prints rows per second per core for each engine, its ratio to the in-memory run of the same
process, and peak memory (this process, and its child processes: the workers). Medians of
``--repeats`` runs; the clusters' start-up is timed apart and not counted.

    .venv/bin/python bench/bench_scale.py --rows 2000000 --repeats 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import check_dataset

CORES = 2


def _write(folder: Path, rows: int, files: int) -> list[str]:
    rng = np.random.default_rng(0)
    per = rows // files
    paths = []
    for i in range(files):
        table = pa.table(
            {
                "x": rng.normal(0.0, 1.0, per),
                "n": rng.integers(0, 1_000, per),
                "c": np.array(["red", "green", "blue", "cyan"])[rng.integers(0, 4, per)],
                "y": rng.lognormal(0.0, 1.0, per),
            }
        )
        path = folder / f"part-{i:03d}.parquet"
        pq.write_table(table, path, row_group_size=131_072)
        paths.append(str(path))
    return paths


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        paths = _write(Path(tmp), args.rows, args.files)
        size = sum(Path(p).stat().st_size for p in paths) / 1e6
        rows = args.rows // args.files * args.files
        schema = infer_schema(generate_statistics(paths[:1]))
        print(f"{rows:,} rows in {args.files} Parquet files, {size:.0f} MB")

        def report(name: str, seconds: float, base: float | None) -> None:
            ratio = "" if base is None else f"  ({base / seconds:.2f}x in-memory speed)"
            own, kids = _peak_mb()
            print(
                f"{name:22s} {seconds:7.2f} s  {rows / seconds / CORES:12,.0f} rows/s/core"
                f"{ratio}  peak RSS: this process {own:,.0f} MB, workers {kids:,.0f} MB"
            )

        memory_profile = _median_seconds(lambda: generate_statistics(paths), args.repeats)
        report("memory: profile", memory_profile, None)
        memory_check = _median_seconds(
            lambda: check_dataset(paths, schema, on_quarantine=lambda c: None), args.repeats
        )
        report("memory: validate", memory_check, None)

        from datacheck.dask import check_dataset_on_dask, dask_client, profile_dask

        start = time.perf_counter()
        with dask_client(workers=CORES):
            print(f"dask LocalCluster start: {time.perf_counter() - start:.1f} s")
            seconds = _median_seconds(lambda: profile_dask(paths), args.repeats)
            report("dask: profile", seconds, memory_profile)
            seconds = _median_seconds(
                lambda: check_dataset_on_dask(paths, schema, on_quarantine=lambda c: None),
                args.repeats,
            )
            report("dask: validate", seconds, memory_check)
        if args.skip_spark:
            return
        from datacheck.spark import check_dataset_on_spark, profile_spark, spark_session

        start = time.perf_counter()
        with spark_session(f"local-cluster[{CORES},1,2048]") as spark:
            frame = spark.read.parquet(*paths)
            frame.limit(1).collect()  # the executors are up
            print(f"spark local-cluster start: {time.perf_counter() - start:.1f} s")
            seconds = _median_seconds(lambda: profile_spark(frame), args.repeats)
            report("spark: profile", seconds, memory_profile)
            seconds = _median_seconds(
                lambda: check_dataset_on_spark(frame, schema, on_quarantine=lambda c: None),
                args.repeats,
            )
            report("spark: validate", seconds, memory_check)


if __name__ == "__main__":
    main()
