"""The seeded benchmark dataset of issue 2: 1,000,000 rows x 20 columns, shared by every benchmark.

Columns: 8 float64 columns with 2% NaN, each from a different distribution; 4 int64 columns;
6 categorical string columns (Zipf over a 1,000-value vocabulary); 2 free-text columns (3 to 15
words from a 5,000-word vocabulary). The same ``(rows, seed)`` always gives the same table.

Run ``python bench/_dataset.py [ROWS]`` to write ``bench/data/bench_<ROWS>.csv`` and
``.parquet`` (``bench/data/`` is git-ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["DATA_DIR", "dataset_paths", "make_table", "write_dataset"]

#: where the written benchmark files go (git-ignored)
DATA_DIR = Path(__file__).resolve().parent / "data"

_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _vocabulary(rng: np.random.Generator, size: int, prefix: str = "") -> pa.Array:
    """``size`` distinct pseudo-words of 3 to 10 letters (a numeric suffix keeps them distinct)."""
    lengths = rng.integers(3, 11, size=size)
    letters = _LETTERS[rng.integers(0, 26, size=int(lengths.sum()))]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    words = pa.StringArray.from_buffers(
        size, pa.py_buffer(offsets.tobytes()), pa.py_buffer(letters.tobytes())
    )
    suffix = pa.array(np.arange(size).astype(str))
    return pc.binary_join_element_wise(pa.scalar(prefix), words, suffix, "")


def _zipf_indices(rng: np.random.Generator, rows: int, vocabulary: int, a: float) -> np.ndarray:
    ranks = np.arange(1, vocabulary + 1, dtype=np.float64)
    p = ranks**-a
    return rng.choice(vocabulary, size=rows, p=p / p.sum())


def _with_nan(rng: np.random.Generator, values: np.ndarray, share: float = 0.02) -> np.ndarray:
    values = values.astype(np.float64)
    values[rng.random(values.size) < share] = np.nan
    return values


def _free_text(rng: np.random.Generator, rows: int, vocabulary: pa.Array) -> pa.Array:
    counts = rng.integers(3, 16, size=rows)
    words = vocabulary.take(pa.array(rng.integers(0, len(vocabulary), size=int(counts.sum()))))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), words)
    return pc.binary_join(lists, " ")


def make_table(rows: int = 1_000_000, seed: int = 0) -> pa.Table:
    """The benchmark table: ``rows`` rows of the 20 columns described in the module docstring."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {
        "f_normal": pa.array(_with_nan(rng, rng.normal(10.0, 3.0, rows))),
        "f_lognormal": pa.array(_with_nan(rng, rng.lognormal(0.0, 1.0, rows))),
        "f_exponential": pa.array(_with_nan(rng, rng.exponential(2.0, rows))),
        "f_uniform": pa.array(_with_nan(rng, rng.uniform(-1.0, 1.0, rows))),
        "f_student_t": pa.array(_with_nan(rng, rng.standard_t(3.0, rows))),
        "f_gamma": pa.array(_with_nan(rng, rng.gamma(2.0, 2.0, rows))),
        "f_beta": pa.array(_with_nan(rng, rng.beta(2.0, 5.0, rows))),
        "f_pareto": pa.array(_with_nan(rng, rng.pareto(3.0, rows))),
        "i_poisson": pa.array(rng.poisson(4.0, rows).astype(np.int64)),
        "i_uniform": pa.array(rng.integers(-1000, 1000, rows, dtype=np.int64)),
        "i_geometric": pa.array(rng.geometric(0.1, rows).astype(np.int64)),
        "i_id": pa.array(rng.permutation(rows).astype(np.int64) * 7919),
    }
    for i in range(6):
        vocabulary = _vocabulary(rng, 1000, prefix=f"c{i}_")
        indices = _zipf_indices(rng, rows, 1000, a=1.1 + 0.1 * i)
        columns[f"cat_{i}"] = vocabulary.take(pa.array(indices))
    text_vocabulary = _vocabulary(rng, 5000)
    for i in range(2):
        columns[f"text_{i}"] = _free_text(rng, rows, text_vocabulary)
    return pa.table(columns)


def dataset_paths(rows: int = 1_000_000) -> tuple[Path, Path]:
    """Where :func:`write_dataset` puts the CSV and Parquet files for ``rows`` rows."""
    return DATA_DIR / f"bench_{rows}.csv", DATA_DIR / f"bench_{rows}.parquet"


def write_dataset(rows: int = 1_000_000, seed: int = 0, *, csv: bool = True) -> tuple[Path, Path]:
    """Write the table as Parquet (and CSV unless ``csv=False``) under ``bench/data/``.

    Files already there are reused. Rows are built in 1M-row chunks with distinct seeds, so a
    5M-row file never needs a 5M-row table in memory.
    """
    csv_path, parquet_path = dataset_paths(rows)
    if parquet_path.exists() and (csv_path.exists() or not csv):
        return csv_path, parquet_path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    chunk = 1_000_000
    sizes = [min(chunk, rows - start) for start in range(0, rows, chunk)]
    first = make_table(sizes[0], seed)
    tmp_csv, tmp_parquet = csv_path.with_suffix(".csv.tmp"), parquet_path.with_suffix(".tmp")
    csv_out = pacsv.CSVWriter(tmp_csv, first.schema) if csv else None
    with pq.ParquetWriter(tmp_parquet, first.schema) as pq_out:
        for n, size in enumerate(sizes):
            table = first if n == 0 else make_table(size, seed + n)
            if csv_out is not None:
                csv_out.write_table(table)
            pq_out.write_table(table, row_group_size=65_536)
    if csv_out is not None:
        csv_out.close()
        tmp_csv.replace(csv_path)
    tmp_parquet.replace(parquet_path)
    return csv_path, parquet_path


if __name__ == "__main__":
    for path in write_dataset(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(path)
