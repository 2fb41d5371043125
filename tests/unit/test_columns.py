"""Reaching a feature's values: struct paths with the parents' nulls, list values with rows."""

from __future__ import annotations

import pyarrow as pa

from datacheck._columns import decimal_to_float, leaf_columns, list_values, resolve_path

NESTED = pa.record_batch(
    {
        "s": pa.array([{"a": 1, "b": {"c": 2}}, None, {"a": None, "b": None}]),
        "x": [1, 2, 3],
    }
)


def test_leaves_come_in_column_order_under_dotted_paths() -> None:
    assert [path for path, _, _ in leaf_columns(NESTED)] == ["s.a", "s.b.c", "x"]


def test_a_struct_field_is_missing_where_its_parent_is() -> None:
    leaves = {path: values.to_pylist() for path, _, values in leaf_columns(NESTED)}
    assert leaves["s.b.c"] == [2, None, None]
    resolved = resolve_path(pa.Table.from_batches([NESTED]), "s.b.c")
    assert resolved is not None and resolved.to_pylist() == leaves["s.b.c"]


def test_an_unknown_path_resolves_to_nothing() -> None:
    assert resolve_path(NESTED, "s.b.nope") is None
    assert resolve_path(NESTED, "x.y") is None


def test_nested_list_values_keep_their_rows() -> None:
    column = pa.array([[[1, 2], [3]], None, [[4]], []])
    values, rows = list_values(column, rows=True)
    assert values.to_pylist() == [1, 2, 3, 4]
    assert rows is not None and rows.tolist() == [0, 0, 0, 2]
    assert list_values(column, rows=False)[1] is None


def test_decimals_become_the_nearest_double() -> None:
    values = pa.array(["17.510000"], pa.string()).cast(pa.decimal128(10, 6))
    assert decimal_to_float(values).to_pylist() == [17.51]
