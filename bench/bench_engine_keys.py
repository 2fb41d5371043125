"""What unique keys cost on Dask: ``check_dataset_on_dask`` with and without a unique key.

The keys are found across partitions by a shuffle of their hashes (``datacheck._partition``),
so the data is read twice; this prints that cost as a ratio to the same run without the key,
next to the in-memory ratio (which checks keys in one pass with a hash tracker). Medians of
``--repeats`` runs, all in one process on a LocalCluster of 2 worker processes, from Parquet
files (one per partition; in memory the same files are read in turn).

    .venv/bin/python bench/bench_engine_keys.py --rows 1000000 --partitions 8 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import dask.dataframe as dd

    from datacheck.dask import check_dataset_on_dask, dask_client
    from datacheck.schema import Schema, infer_schema
    from datacheck.stats import generate_statistics
    from datacheck.validate import check_dataset

    rng = np.random.default_rng(0)
    rows = args.rows
    ids = rng.permutation(rows).astype(np.int64)
    ids[rng.integers(0, rows, rows // 100)] = 0  # about 1% of rows repeat one id
    frame = pd.DataFrame(
        {
            "id": ids,
            "x": rng.normal(size=rows),
            "c": rng.choice(["a", "b", "c", "d"], rows),
        }
    )
    plain = infer_schema(generate_statistics(frame))
    keyed = replace(plain, unique_keys=(("id",),))
    folder = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    step = -(-rows // args.partitions)
    for i in range(args.partitions):
        part = pa.Table.from_pandas(frame.iloc[i * step : (i + 1) * step], preserve_index=False)
        pq.write_table(part, folder / f"part-{i:04d}.parquet")
    files = sorted(str(p) for p in folder.glob("*.parquet"))

    def memory(schema: Schema) -> Callable[[], object]:
        return lambda: check_dataset(files, schema, on_quarantine=lambda c: None)

    def on_dask(schema: Schema) -> Callable[[], object]:
        # Dask's own reader: the partitions never pass through this process.
        return lambda: check_dataset_on_dask(
            dd.read_parquet(files), schema, on_quarantine=lambda c: None
        )

    try:
        with dask_client(workers=2):
            on_dask(plain)()  # the workers have imported datacheck
            figures = {
                "memory": _median_seconds(memory(plain), args.repeats),
                "memory, key": _median_seconds(memory(keyed), args.repeats),
                "dask": _median_seconds(on_dask(plain), args.repeats),
                "dask, key": _median_seconds(on_dask(keyed), args.repeats),
            }
    finally:
        shutil.rmtree(folder)
    print(f"{rows:,} rows, {args.partitions} partitions, medians of {args.repeats}")
    for name, seconds in figures.items():
        print(f"  {name:12s} {seconds:7.2f} s  {rows / seconds:12,.0f} rows/s")
    print(
        f"  key / no key: in memory {figures['memory, key'] / figures['memory']:.2f}x, "
        f"on Dask {figures['dask, key'] / figures['dask']:.2f}x"
    )


if __name__ == "__main__":
    main()
