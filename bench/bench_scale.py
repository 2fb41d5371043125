"""Profile and validate a generated Parquet dataset: in memory, on Dask and on Spark (2 workers).

Prints rows per second per core for each engine, its ratio to the in-memory run of the same
process, and peak memory: this process (its ``VmHWM``, reset before each phase) and the
engines' processes (Dask worker processes; Spark's driver JVM, executor JVMs and Python
workers), found among this process's descendants by a sampler thread that reads their
``VmHWM`` (the kernel's own peak RSS) every quarter second. Medians of ``--repeats`` runs;
the clusters' start-up is timed apart and not counted.

Two data sets:

* ``--rows N``: the narrow 4-column layout (about 21 bytes a row in Parquet), written to a
  temporary folder and removed after the run::

      .venv/bin/python bench/bench_scale.py --rows 2000000 --repeats 3

* ``--gigabytes G``: a wide 8-column layout (about 440 bytes a row in Parquet: a 200-600
  character text column of incompressible characters, a 12-character id from 10M values, a
  timestamp, two floats, an int and a 4-value category), ``G * 1e9`` bytes in files of about
  ``--file-megabytes`` each (Spark reads one file per partition), written under
  ``--data-dir`` (a folder per size) and reused by later runs; ``--engines`` picks which
  engines run::

      nice -n 5 .venv/bin/python bench/bench_scale.py --gigabytes 1 --repeats 1
      nice -n 5 .venv/bin/python bench/bench_scale.py --gigabytes 10 --engines memory,dask
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil  # type: ignore[import-untyped]  # (installed with distributed)
import pyarrow as pa
import pyarrow.parquet as pq

from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import check_dataset

CORES = 2

#: the wide layout's version: a folder written with another version is rewritten
_LAYOUT = "wide-v1"
_ALPHABET = np.frombuffer(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .", dtype=np.uint8
)
#: rows per generated file chunk (a Parquet row group)
_GROUP_ROWS = 32_768


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


def _text(rng: np.random.Generator, rows: int, low: int, high: int) -> pa.Array:
    """``rows`` strings of ``low`` to ``high`` characters drawn uniformly from 64 symbols."""
    lengths = rng.integers(low, high + 1, rows)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    raw = np.frombuffer(rng.bytes(int(offsets[-1])), dtype=np.uint8)
    data = _ALPHABET[raw & 63]
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def _wide_group(rng: np.random.Generator, first_row: int, rows: int) -> pa.Table:
    ids = rng.integers(0, 10_000_000, rows)
    return pa.table(
        {
            "ts": pa.array(1_700_000_000_000 + (first_row + np.arange(rows)) * 37, pa.int64()),
            "user": pa.array(np.char.mod("u%011d", ids)),
            "x": rng.normal(0.0, 1.0, rows),
            "n": rng.integers(0, 1_000, rows),
            "c": np.array(["red", "green", "blue", "cyan"])[rng.integers(0, 4, rows)],
            "y": rng.lognormal(0.0, 1.0, rows),
            "text": _text(rng, rows, 200, 600),
        }
    )


def _write_wide_file(path: Path, index: int, target_bytes: int) -> int:
    """One file of about ``target_bytes``, written whole to a temporary name then renamed
    (an interrupted run leaves no partial file behind); its row count."""
    rng = np.random.default_rng(index)
    partial = path.with_suffix(".partial")
    rows = size = 0
    with pq.ParquetWriter(partial, _wide_group(rng, 0, 1).schema) as out:
        while True:
            out.write_table(_wide_group(rng, index * 10**9 + rows, _GROUP_ROWS))
            rows += _GROUP_ROWS
            size, grown = partial.stat().st_size, partial.stat().st_size - size
            if size + grown / 2 >= target_bytes:  # the nearest row group boundary
                break
    partial.replace(path)
    return rows


def _wide_dataset(root: Path, gigabytes: float, file_megabytes: int) -> tuple[list[str], int]:
    """The files of a ``gigabytes`` data set under ``root`` (written, or reused when a
    manifest says they are complete) and their row count."""
    target = int(gigabytes * 1e9)
    folder = root / f"{_LAYOUT}-{gigabytes:g}gb"
    manifest = folder / "manifest.json"
    if manifest.exists():
        known = json.loads(manifest.read_text())
        if known["layout"] == _LAYOUT and known["target_bytes"] == target:
            paths = [str(folder / name) for name in known["files"]]
            if all(Path(p).exists() for p in paths):
                print(f"reusing {folder}")
                return paths, int(known["rows"])
    folder.mkdir(parents=True, exist_ok=True)
    files = max(1, round(target / (file_megabytes * 1e6)))
    per_file = target // files
    start = time.perf_counter()
    names: list[str] = []
    rows = 0
    for i in range(files):
        name = f"part-{i:04d}.parquet"
        path = folder / name
        counts = folder / f"{name}.rows"
        if not (path.exists() and counts.exists()):  # a file a stopped run finished is kept
            counts.write_text(str(_write_wide_file(path, i, per_file)))
        rows += int(counts.read_text())
        names.append(name)
    manifest.write_text(
        json.dumps({"layout": _LAYOUT, "target_bytes": target, "files": names, "rows": rows})
    )
    print(f"wrote {folder} in {time.perf_counter() - start:.0f} s")
    return [str(folder / n) for n in names], rows


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _hwm_mb(pid: int | str) -> float:
    """The process's peak resident memory (``VmHWM``) in MB; 0 once it is gone."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _kind(process: psutil.Process) -> str:
    try:
        line = " ".join(process.cmdline())
    except psutil.Error:
        return "other"
    if "CoarseGrainedExecutorBackend" in line:
        return "spark executor JVM"
    if "java" in process.name():
        return "spark driver JVM"
    if "pyspark" in line:
        return "spark Python worker"
    return "other"


class _Peaks:
    """Peak resident memory of this process's descendants, by kind, sampled in a thread."""

    def __init__(self, interval: float = 0.25) -> None:
        self._interval = interval
        #: processes known to be Dask workers (their pids, from the scheduler)
        self.dask_workers: set[int] = set()
        self._peak: dict[int, tuple[str, float]] = {}
        #: CPU seconds (user + system) each descendant had used when last seen, and at reset
        self._cpu: dict[int, tuple[str, float]] = {}
        self._cpu_start: dict[int, float] = {}
        self._own_start = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for child in psutil.Process().children(recursive=True):
            if child.pid in self.dask_workers:
                kind = "dask worker"
            else:
                kind = self._peak[child.pid][0] if child.pid in self._peak else _kind(child)
            hwm = _hwm_mb(child.pid)
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                self._cpu[child.pid] = (kind, times.user + times.system)
            if hwm:
                old = self._peak.get(child.pid, (kind, 0.0))[1]
                self._peak[child.pid] = (kind, max(old, hwm))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sample()
            except psutil.Error:
                continue

    def __enter__(self) -> _Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Start the peaks again: this process's and its descendants' ``VmHWM`` reset."""
        self._sample()
        for pid in [os.getpid(), *self._peak]:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/clear_refs", "w") as refs:
                refs.write("5")
        self._peak.clear()
        self._cpu_start = {pid: cpu for pid, (_, cpu) in self._cpu.items()}
        own = os.times()
        self._own_start = own.user + own.system

    def cpu_seconds(self) -> tuple[float, dict[str, float]]:
        """CPU seconds since the reset: this process's (all its threads), and its engine
        descendants' by kind (Dask workers; Spark's JVMs and Python workers)."""
        self._sample()
        own = os.times()
        engines: dict[str, float] = {}
        for pid, (kind, cpu) in self._cpu.items():
            if kind != "other" and pid in self._peak:
                engines[kind] = engines.get(kind, 0.0) + cpu - self._cpu_start.get(pid, 0.0)
        return own.user + own.system - self._own_start, engines

    def summary(self) -> str:
        self._sample()
        kinds: dict[str, list[float]] = {}
        for kind, mb in self._peak.values():
            if kind != "other" and mb:
                kinds.setdefault(kind, []).append(mb)
        parts = [f"this process {_hwm_mb('self'):,.0f} MB"]
        for kind, mbs in sorted(kinds.items()):
            parts.append(f"{kind} max {max(mbs):,.0f} MB ({len(mbs)}, sum {sum(mbs):,.0f} MB)")
        return "; ".join(parts)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--gigabytes", type=float, default=None)
    parser.add_argument("--file-megabytes", type=int, default=128)
    parser.add_argument("--data-dir", default="/tmp/dc-scale")
    parser.add_argument("--engines", default="memory,dask,spark")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument(
        "--spark-executor-mb",
        type=int,
        default=1024,
        help="heap of each Spark executor in local-cluster[2,1,MB] (Spark's default: 1024)",
    )
    parser.add_argument(
        "--jobs", default="profile,validate", help="which jobs run on each engine, in order"
    )
    args = parser.parse_args()
    engines = set(args.engines.split(","))
    if args.skip_spark:
        engines.discard("spark")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        if args.gigabytes is None:
            paths = _write(Path(tmp), args.rows, args.files)
            rows = args.rows // args.files * args.files
        else:
            paths, rows = _wide_dataset(Path(args.data_dir), args.gigabytes, args.file_megabytes)
        run(paths, rows, engines, args.repeats, args.jobs.split(","), args.spark_executor_mb)


def run(
    paths: list[str],
    rows: int,
    engines: set[str],
    repeats: int,
    jobs: list[str],
    executor_mb: int = 1024,
) -> None:
    size = sum(Path(p).stat().st_size for p in paths)
    schema = infer_schema(generate_statistics(paths[:1]))
    print(
        f"{rows:,} rows in {len(paths)} Parquet files, {size / 1e6:,.0f} MB, "
        f"{size / rows:.0f} bytes/row"
    )
    base: dict[str, float] = {}

    with _Peaks() as peaks:

        def report(name: str, seconds: float, baseline: float | None, repeats: int) -> None:
            ratio = "" if baseline is None else f"  ({baseline / seconds:.2f}x in-memory speed)"
            own, kinds = peaks.cpu_seconds()
            engine = sum(kinds.values())
            by_kind = "".join(f", {k} {v / repeats:.1f} s" for k, v in sorted(kinds.items()))
            print(
                f"{name:22s} {seconds:7.2f} s  {rows / seconds / CORES:12,.0f} rows/s/core"
                f"{ratio}  load {_load()}\n    CPU: this process {own / repeats:.1f} s, "
                f"engine processes {engine / repeats:.1f} s a run{by_kind}: "
                f"{rows * repeats / (own + engine):,.0f} rows per CPU second"
                f"\n    peak RSS: {peaks.summary()}",
                flush=True,
            )

        def idle(name: str, seconds: float = 10.0) -> None:
            """The engine's own CPU while it runs nothing (heartbeats, monitors, GC)."""
            peaks.reset()
            time.sleep(seconds)
            own, kinds = peaks.cpu_seconds()
            print(
                f"{name} idle: CPU {(own + sum(kinds.values())) / seconds:.3f} s a second "
                f"(this process {own / seconds:.3f})",
                flush=True,
            )

        def measure(name: str, job: Callable[[], object], key: str) -> None:
            peaks.reset()
            seconds = _median_seconds(job, repeats)
            report(name, seconds, None if name.startswith("memory") else base.get(key), repeats)
            if name.startswith("memory"):
                base[key] = seconds

        def each(engine: str, profile: Callable[[], object], check: Callable[[], object]) -> None:
            works = {"profile": profile, "validate": check}
            for job in jobs:
                if job in works:  # e.g. "none": start the engine, measure it idle
                    measure(f"{engine}: {job}", works[job], job)

        if "memory" in engines:
            each(
                "memory",
                lambda: generate_statistics(paths),
                lambda: check_dataset(paths, schema, on_quarantine=lambda c: None),
            )

        if "dask" in engines:
            from datacheck.dask import check_dataset_on_dask, dask_client, profile_dask

            start = time.perf_counter()
            with dask_client(workers=CORES) as client:
                peaks.dask_workers = set(client.run(os.getpid).values())
                profile_dask(paths[:1])  # the workers have imported datacheck
                started = time.perf_counter() - start
                print(f"dask LocalCluster start (and one file profiled): {started:.1f} s")
                idle("dask")
                each(
                    "dask",
                    lambda: profile_dask(paths),
                    lambda: check_dataset_on_dask(paths, schema, on_quarantine=lambda c: None),
                )
        if "spark" in engines:
            from datacheck.spark import check_dataset_on_spark, profile_spark, spark_session

            start = time.perf_counter()
            with spark_session(f"local-cluster[{CORES},1,{executor_mb}]") as spark:
                frame = spark.read.parquet(*paths)
                frame.limit(1).collect()  # the executors are up
                profile_spark(spark.read.parquet(paths[0]))  # and their Python workers
                started = time.perf_counter() - start
                print(f"spark local-cluster start (and one file profiled): {started:.1f} s")
                idle("spark")
                each(
                    "spark",
                    lambda: profile_spark(frame),
                    lambda: check_dataset_on_spark(frame, schema, on_quarantine=lambda c: None),
                )


if __name__ == "__main__":
    main()
