"""The engines' unique keys and row numbers, without an engine: a table cut into partitions
anywhere, its keys found as Spark and Dask find them (key rows, every later occurrence of a
key, each partition's own), gives the quarantine validate_batches gives on the whole table.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from datacheck._partition import (
    KEY_ROWS,
    check_rows,
    duplicates_by_partition,
    key_rows,
    later_occurrences,
    renumbered,
)
from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import REASONS_COLUMN, SOURCE_ROW_COLUMN, validate_batches


def _by_row(quarantine: pa.Table) -> dict[int, list[tuple[str, str]]]:
    rows = quarantine.column(SOURCE_ROW_COLUMN).to_pylist()
    reasons = quarantine.column(REASONS_COLUMN).to_pylist()
    return {r: [(x["code"], x["feature"]) for x in rs] for r, rs in zip(rows, reasons, strict=True)}


@st.composite
def keyed_tables(draw: st.DrawFn) -> tuple[pa.Table, list[int]]:
    rows = draw(st.integers(1, 60))
    ids = draw(st.lists(st.one_of(st.none(), st.integers(0, 12)), min_size=rows, max_size=rows))
    words = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=rows, max_size=rows))
    x = draw(st.lists(st.integers(-3, 3), min_size=rows, max_size=rows))
    cuts = sorted(draw(st.lists(st.integers(0, rows), max_size=4)))
    table = pa.table({"id": pa.array(ids, pa.int64()), "w": words, "x": x})
    return table, [0, *cuts, rows]


BASE = infer_schema(generate_statistics(pa.table({"id": [1], "w": ["a"], "x": [0]})))


@settings(deadline=None)
@given(keyed_tables(), st.booleans())
def test_partitions_give_the_in_memory_quarantine(
    drawn: tuple[pa.Table, list[int]], number_on_the_driver: bool
) -> None:
    table, bounds = drawn
    schema = replace(BASE, unique_keys=(("id",), ("w", "x")))
    memory = pa.Table.from_batches(
        [c.quarantined for c in validate_batches(table.to_batches(max_chunksize=7), schema)]
    )
    parts = [table.slice(a, b - a) for a, b in pairwise(bounds)]
    keys = schema.unique_keys
    keyed = pa.Table.from_batches(
        [b for i, p in enumerate(parts) for b in key_rows(p.to_batches(max_chunksize=5), keys, i)],
        schema=KEY_ROWS,
    )
    # A shuffle puts each key in one place; one place holding all is a valid shuffle too.
    found = duplicates_by_partition(later_occurrences(keyed), keys)
    quarantined: list[pa.RecordBatch] = []
    valid = 0
    first = 0
    for i, part in enumerate(parts):
        for checked in check_rows(
            part.to_batches(max_chunksize=4),
            schema,
            first_row=0 if number_on_the_driver else first,
            duplicates=found.get(i, ()),
        ):
            q = checked.quarantined
            quarantined.append(renumbered(q, first) if number_on_the_driver else q)
            valid += checked.valid.num_rows
        first += part.num_rows
    got = pa.Table.from_batches(quarantined)
    assert valid + got.num_rows == table.num_rows
    assert _by_row(got) == _by_row(memory)


def test_later_occurrences_keep_each_keys_first_position() -> None:
    table = pa.table({"id": [5, 6, 5, None, 5], "w": ["a"] * 5, "x": [0] * 5})
    keys = (("id",),)
    first = list(key_rows([table.slice(0, 2).to_batches()[0]], keys, 0))
    second = list(key_rows([table.slice(2).to_batches()[0]], keys, 1))
    keyed = pa.Table.from_batches([*second, *first])  # any order in, positions decide
    later = later_occurrences(keyed)
    assert sorted(zip(*(later.column(c).to_pylist() for c in ("part", "row")), strict=True)) == [
        (1, 0),
        (1, 2),
    ]
    found = duplicates_by_partition(later, keys)
    assert list(found) == [1] and found[1][0][1].tolist() == [0, 2]
    assert np.all(np.diff(found[1][0][1]) > 0)
