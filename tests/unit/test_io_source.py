"""Each quarantined row's source: the file it came from and its row number there (from 0)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from datacheck._source import concat_tagged, slice_tagged, source_columns, tag_source
from datacheck.io import read_batches
from datacheck.schema import Feature, FeatureType, IntDomain, Schema
from datacheck.validate import (
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    check_dataset,
    validate_batches,
)
from datacheck.validate import CheckedBatch as Checked

#: x must be at most 9: the rows with x >= 10 are quarantined
SCHEMA = Schema(features=(Feature(name="x", type=FeatureType.INT, domain=IntDomain(max=9)),))


def _quarantined_sources(source: object, batch_size: int = 65_536) -> list[tuple[str, int]]:
    from datacheck.stats import StatsOptions

    checked: list[Checked] = []
    check_dataset(
        source,
        SCHEMA,
        on_quarantine=checked.append,
        stats_options=StatsOptions(batch_size=batch_size),
    )
    return [
        (Path(f).name, r)
        for c in checked
        for f, r in zip(
            c.quarantined.column(SOURCE_FILE_COLUMN).to_pylist(),
            c.quarantined.column(SOURCE_ROW_COLUMN).to_pylist(),
            strict=True,
        )
    ]


def _expected(frames: dict[str, pd.DataFrame]) -> list[tuple[str, int]]:
    return [(name, int(i)) for name, f in frames.items() for i in np.flatnonzero(f["x"] >= 10)]


def test_csv_files_of_a_directory_give_file_and_row(tmp_path: Path) -> None:
    frames = {
        f"part-{i}.csv": pd.DataFrame({"x": np.arange(i, 40 + i) % 13, "y": "w"}) for i in range(3)
    }
    for name, frame in frames.items():
        frame.to_csv(tmp_path / name, index=False)
    expected = _expected(frames)
    # Tiny read batches are joined for the profile: the rows keep their files all the same.
    assert _quarantined_sources(tmp_path, batch_size=7) == expected
    assert _quarantined_sources(tmp_path) == expected
    for name, row in expected:  # the row number is pandas' row of the file
        assert pd.read_csv(tmp_path / name).iloc[row]["x"] >= 10


def test_parquet_row_groups_are_numbered_within_the_file(tmp_path: Path) -> None:
    frames = {
        f"p{i}.parquet": pd.DataFrame({"x": (np.arange(50) * (i + 3)) % 11}) for i in range(2)
    }
    for name, frame in frames.items():
        pq.write_table(pa.Table.from_pandas(frame), tmp_path / name, row_group_size=8)
    assert _quarantined_sources(sorted(map(str, tmp_path.iterdir())), 5) == _expected(frames)


def test_data_not_from_files_is_numbered_by_position() -> None:
    table = pa.table({"x": [1, 12, 3, 40, 5, 60]})
    results = list(validate_batches(table.to_batches(max_chunksize=4), SCHEMA))
    rows = [r for c in results for r in c.quarantined.column(SOURCE_ROW_COLUMN).to_pylist()]
    files = [f for c in results for f in c.quarantined.column(SOURCE_FILE_COLUMN).to_pylist()]
    assert rows == [1, 3, 5] and files == [None, None, None]


def test_a_stale_tag_is_not_trusted() -> None:
    batch = tag_source(pa.record_batch({"x": list(range(10))}), "a.csv", 100)
    sliced = batch.slice(3, 4)  # a plain slice keeps the metadata of all 10 rows
    files, rows = source_columns(sliced, np.array([0, 2]), 50)
    assert files.to_pylist() == [None, None] and rows.to_pylist() == [50, 52]


@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    cuts=st.lists(st.integers(0, 30), max_size=4),
)
def test_slicing_and_joining_keep_every_rows_origin(sizes: list[int], cuts: list[int]) -> None:
    files = [
        tag_source(pa.record_batch({"x": pa.array(range(n), pa.int64())}), f"f{i}", 10 * i)
        for i, n in enumerate(sizes)
    ]
    expected = [(f"f{i}", 10 * i + r) for i, n in enumerate(sizes) for r in range(n)]
    whole = concat_tagged(files)
    bounds = sorted({0, whole.num_rows, *(c for c in cuts if c < whole.num_rows)})
    pieces = [slice_tagged(whole, a, b - a) for a, b in itertools.pairwise(bounds)]
    rejoined = concat_tagged(pieces) if pieces else whole
    got_files, got_rows = source_columns(rejoined, np.arange(rejoined.num_rows), 0)
    assert list(zip(got_files.to_pylist(), got_rows.to_pylist(), strict=True)) == expected


def test_read_batches_tags_are_dropped_by_the_writers(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1, 20]}).to_csv(tmp_path / "a.csv", index=False)
    from datacheck.io import QuarantineWriter, ValidWriter

    with QuarantineWriter(tmp_path / "q.parquet") as bad, ValidWriter(tmp_path / "v.parquet") as ok:
        for checked in validate_batches(read_batches(tmp_path / "a.csv"), SCHEMA):
            bad.write(checked.quarantined)
            ok.write(checked.valid)
    for name in ("q.parquet", "v.parquet"):
        assert pq.read_schema(tmp_path / name).metadata is None
    assert pq.read_table(tmp_path / "q.parquet").column(SOURCE_ROW_COLUMN).to_pylist() == [1]
