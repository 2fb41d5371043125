"""Table layout: feature paths to Arrow columns, with dotted paths nested in struct columns.

A dotted path (``user.id``) becomes field ``id`` of a struct column ``user``, as datacheck
profiles struct columns. When the paths cannot nest (one path is a prefix of another, or a part
is empty), every path stays a flat column name; validation reads both forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

__all__ = ["assemble", "nests"]

_Tree = dict[str, "_Tree | str"]


def nests(paths: Sequence[str]) -> bool:
    """Whether ``paths`` can be laid out as struct columns (no path a prefix of another)."""
    parts = [p.split(".") for p in paths]
    if any("" in p for p in parts):
        return False
    leaves = {tuple(p) for p in parts}
    return not any(tuple(p[:i]) in leaves for p in parts for i in range(1, len(p)))


def _tree(paths: Sequence[str]) -> _Tree:
    root: _Tree = {}
    for path in paths:
        node = root
        *heads, leaf = path.split(".")
        for head in heads:
            child = node.setdefault(head, {})
            assert isinstance(child, dict)
            node = child
        node[leaf] = path
    return root


def _array(
    node: _Tree | str,
    columns: Mapping[str, Sequence[Any]],
    types: Mapping[str, pa.DataType],
    num_rows: int,
) -> pa.Array:
    if isinstance(node, str):
        t = types[node]
        if pa.types.is_null(t):
            return pa.nulls(num_rows)
        return pa.array(list(columns[node]), type=t)
    names = list(node)
    children = [_array(node[name], columns, types, num_rows) for name in names]
    # The parent struct is never null: each field's own nulls say where it is missing.
    return pa.StructArray.from_arrays(children, names=names)


def assemble(
    paths: Sequence[str],
    columns: Mapping[str, Sequence[Any]],
    types: Mapping[str, pa.DataType],
    num_rows: int,
) -> pa.Table:
    """The table whose features ``paths`` hold ``columns`` (Python values) of Arrow ``types``.

    A table without columns has no rows (Arrow cannot say otherwise).
    """
    if nests(paths):
        tree = _tree(paths)
        return pa.table({name: _array(tree[name], columns, types, num_rows) for name in tree})
    return pa.table({p: _array(p, columns, types, num_rows) for p in paths})
