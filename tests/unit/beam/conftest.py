"""Shared data for the Beam tests: a small table of every feature kind, and Parquet parts of it.

The table has 150 rows, so every KLL sketch still holds every value and quantiles are exact on
both paths; the Parquet parts (3 files, row groups of 20 rows) give workers many parts to share.

Every test here needs Apache Beam: ``tests/conftest.py`` marks them ``beam``, and skips the
modules here without importing them where Beam is not installed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROWS = 150


def make_table(rows: int = ROWS, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[::17] = math.nan
    x[5] = math.inf
    words = np.array(["red", "green", "blue", "", "déjà"])
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(rows) % 11 == 3),
            "n": pa.array(rng.integers(-50, 50, rows)),
            "s": pa.array(words[rng.integers(0, 5, rows)], mask=np.arange(rows) % 13 == 1),
            "b": pa.array(rng.random(rows) < 0.3),
            "l": pa.array([[int(v) for v in range(i % 4)] if i % 9 else None for i in range(rows)]),
            "k": pa.array(
                np.array(["p", "q", "r"])[np.arange(rows) % 3], mask=np.arange(rows) % 10 == 0
            ),
            "w": pa.array(rng.uniform(0.5, 2.0, rows)),
        }
    )


@pytest.fixture
def table() -> pa.Table:
    return make_table()


@pytest.fixture
def parquet_parts(tmp_path: Path, table: pa.Table) -> list[str]:
    """The table in 3 Parquet files of row groups of 20 rows (9 parts in all)."""
    paths = []
    for i, start in enumerate(range(0, ROWS, 50)):
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(table.slice(start, 50), path, row_group_size=20)
        paths.append(str(path))
    return paths


@pytest.fixture
def ragged_csv(tmp_path: Path) -> Path:
    """A CSV whose line 501 has one field too many."""
    lines = ["a,b"] + [f"{i},{2 * i}" for i in range(1000)]
    lines[500] = "1,2,3"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
