"""The rows a Dask check task returns hold no more memory than their rows need.

Those results stay on the worker until the whole run ends; a zero-row slice of a read batch
would keep the batch's buffers (tens of MB a partition) alive with it (seen at 10 GB: the
workers' peak memory grew with the input, bench/RESULTS.md).
"""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from datacheck._partition import PartitionCheck
from datacheck.dask._run import _rows_of


def _big_batch(rows: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"x": np.arange(rows, dtype=np.float64), "s": [f"value-{i:08d}" for i in range(rows)]}
    )


def test_zero_row_results_release_their_source_batch() -> None:
    big = _big_batch(100_000)
    empty_slice = big.slice(0, 0)
    assert empty_slice.get_total_buffer_size() >= big.get_total_buffer_size()  # it pins them
    check = PartitionCheck(
        accumulator=b"", quarantined=[empty_slice], valid=[empty_slice], rows=big.num_rows
    )
    quarantined, valid, rows = _rows_of(check)
    for out in (*quarantined, *valid):
        assert out.num_rows == 0
        assert out.schema == big.schema  # the columns are still known to the client
        assert out.get_total_buffer_size() < 1_000
        assert len(pickle.dumps(out)) < 10_000
    assert (len(quarantined), len(valid), rows) == (1, 1, big.num_rows)


def test_rows_are_returned_as_they_are() -> None:
    batch = _big_batch(10)
    check = PartitionCheck(accumulator=b"", quarantined=[batch], valid=[], rows=10)
    quarantined, valid, _ = _rows_of(check)
    assert quarantined == [batch] and valid == []
