"""Beam merges accumulators in no order: its profiles carry no row order, and inference falls
back on what the counts alone say."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datacheck.beam import ProfileCombineFn
from datacheck.schema import infer_schema
from datacheck.stats import StatsOptions, generate_statistics


def _on_beam(table: pa.Table) -> object:
    fn = ProfileCombineFn(StatsOptions())
    batch = table.to_batches()[0]
    # The later rows merged first, as a runner may.
    late = fn.add_input(fn.create_accumulator(), batch.slice(50))
    early = fn.add_input(fn.create_accumulator(), batch.slice(0, 50))
    return fn.extract_output(fn.merge_accumulators([late, early]))


def test_beam_profiles_carry_no_row_order_but_exact_counts() -> None:
    table = pa.table({"x": np.arange(100, dtype=np.int64) % 7})
    numeric = _on_beam(table).features["x"].numeric  # type: ignore[attr-defined]
    assert numeric.row_order is None
    assert numeric.exact_counts == generate_statistics(table).features["x"].numeric.exact_counts


def test_a_counter_is_still_found_from_its_counts_on_beam() -> None:
    # A sample number: 1 to 40, each twice (two groups), not in order.
    table = pa.table({"n": np.tile(np.arange(1, 41, dtype=np.int64), 2)})
    f = infer_schema(_on_beam(table)).feature("n")  # type: ignore[arg-type]
    assert f is not None and f.drift_comparator is None and "counter" in f.description
