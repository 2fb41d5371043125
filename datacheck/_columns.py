"""How a feature's values are taken out of Arrow columns: dotted paths into structs, the values
of list columns with the row each came from, and decimals read as floats.

The statistics and the row checks must see the same values of a feature, or a profile and the
row checks disagree about the same data; so these rules have one owner, used by both:

- a feature's path is its column's name, or ``parent.child`` for a field of a struct column
  (at any depth);
- a struct's field is missing where the struct itself is (the struct's nulls are folded into
  the field's);
- a map column is two list features, its keys at ``m.key`` and its values at ``m.value`` (one
  list per row, missing where the map is), so a map is profiled and checked like lists;
- a list column's values are its innermost values (lists of lists flattened all the way),
  each with the row it came from when the caller needs rows;
- a decimal is read as the nearest double.

Everything here is whole-column Arrow and numpy work, never a loop over values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._types import is_list_type

__all__ = [
    "MAP_PARTS",
    "decimal_to_float",
    "leaf_columns",
    "list_values",
    "map_part",
    "resolve_path",
    "struct_field",
]

#: the two features of a map column, under ``map.key`` and ``map.value``
MAP_PARTS = ("key", "value")

#: one column's values: an array, or a table's chunked column
Values: TypeAlias = pa.Array | pa.ChunkedArray


def struct_field(parent: Values, index: int) -> Values:
    """Field ``index`` of a struct column, missing wherever the struct is missing."""
    # The kernel folds the struct's own nulls into the field (as StructArray.flatten does).
    return pc.struct_field(parent, [index])


def _map_part_array(array: pa.MapArray, part: str) -> pa.ListArray:
    offsets = array.offsets
    start, stop = offsets[0].as_py(), offsets[-1].as_py()
    child = array.keys if part == "key" else array.items
    # A sliced map's children are not sliced, and a list with a null bitmap takes only
    # offsets that start at 0: rebase them onto the slice of the children this map covers.
    rebased = pc.subtract(offsets, pa.scalar(start, offsets.type))
    return pa.ListArray.from_arrays(
        rebased,
        child.slice(start, stop - start),
        mask=pc.is_null(array) if array.null_count else None,
    )


def map_part(column: Values, part: str) -> Values:
    """The keys (``part="key"``) or values (``"value"``) of a map column, one list per row
    (missing where the map is)."""
    t = column.type
    item = t.key_type if part == "key" else t.item_type
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array(
            [_map_part_array(c, part) for c in column.chunks], type=pa.list_(item)
        )
    return _map_part_array(column, part)


def leaf_columns(batch: pa.RecordBatch) -> Iterator[tuple[str, pa.Field, pa.Array]]:
    """``(path, field, values)`` of every column that is not a struct or a map, in column
    order; a struct's fields come where the struct is, under ``parent.child``, and a map's
    keys and values as lists under ``map.key`` and ``map.value``."""
    stack: list[tuple[str, pa.Field, pa.Array]] = [
        (f.name, f, batch.column(i)) for i, f in enumerate(batch.schema)
    ]
    stack.reverse()
    while stack:
        path, field, array = stack.pop()
        t = field.type
        if pa.types.is_struct(t):
            children = [
                (f"{path}.{t.field(i).name}", t.field(i), struct_field(array, i))
                for i in range(t.num_fields)
            ]
            stack.extend(reversed(children))
            continue
        if pa.types.is_map(t):
            parts = [
                (f"{path}.{part}", pa.field(part, pa.list_(item)), map_part(array, part))
                for part, item in zip(MAP_PARTS, (t.key_type, t.item_type), strict=True)
            ]
            stack.extend(reversed(parts))
            continue
        yield path, field, array


def resolve_path(table: pa.Table | pa.RecordBatch, path: str) -> Values | None:
    """The values at a feature path: a column of that name, else a field inside a struct
    column (or the keys or values of a map column) whose name is the longest dotted prefix of
    ``path``; None when there is neither."""
    names = table.schema.names
    if path in names:
        return table.column(path)
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:split])
        if head in names:
            column: Values = table.column(head)
            for part in parts[split:]:
                t = column.type
                if pa.types.is_map(t) and part in MAP_PARTS:
                    column = map_part(column, part)
                    continue
                index = t.get_field_index(part) if pa.types.is_struct(t) else -1
                if index < 0:
                    return None
                column = struct_field(column, index)
            return column
    return None


def list_values(array: Values, *, rows: bool) -> tuple[Values, npt.NDArray[np.int64] | None]:
    """The innermost values of a list column, and with ``rows`` the row each value came from.

    A column that is not a list is its own values. The rows are None without ``rows``, and
    for a column that is not a list (its values are its rows).
    """
    # The compute kernels, not casts: pyarrow 25 casts list views to lists with bad offsets.
    parents: npt.NDArray[np.int64] | None = None
    while is_list_type(array.type):
        if rows:
            inner = np.asarray(
                pc.list_parent_indices(array).to_numpy(zero_copy_only=False), dtype=np.int64
            )
            parents = inner if parents is None else parents[inner]
        array = pc.list_flatten(array)
    return array, parents


def decimal_to_float(values: Values) -> Values:
    """Decimals as the nearest doubles.

    Through text: Arrow's direct decimal-to-double cast is not correctly rounded (17.510000
    became 17.509999999999998, below a schema bound of 17.51), while parsing the decimal's
    text is.
    """
    return pc.cast(pc.cast(values, pa.string()), pa.float64())
