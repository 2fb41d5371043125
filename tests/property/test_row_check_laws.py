"""Laws of row expressions: printing then parsing gives the tree back, Arrow's evaluation agrees
with a plain-Python evaluator of SQL's three-valued logic on rows with nulls, NaN and infinities,
and the failing rows do not depend on how the rows are split into batches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import Feature, FeatureType, RowCheck, Schema
from datacheck.schema.expression import (
    Binary,
    Call,
    Column,
    IsNull,
    Literal,
    Node,
    Unary,
    parse_expression,
    print_expression,
)
from datacheck.validate import validate_batches

_NAMES = ("a", "b", "n", "ship date", "and", "abs", "x`y", "s.t")
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")

# --- trees ------------------------------------------------------------------------------------


def _literals() -> st.SearchStrategy[Node]:
    numbers = st.integers(0, 10**20) | st.floats(0, 1e300, allow_nan=False)
    texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=5)
    return st.builds(Literal, numbers | texts | st.booleans() | st.none())


def _trees(names: tuple[str, ...]) -> st.SearchStrategy[Node]:
    leaves = _literals() | st.builds(Column, st.sampled_from(names))
    return st.recursive(
        leaves,
        lambda inner: (
            st.builds(Unary, st.sampled_from(("-", "not")), inner)
            | st.builds(
                Binary,
                st.sampled_from(("+", "-", "*", "/", "and", "or", *_COMPARISONS)),
                inner,
                inner,
            )
            | st.builds(IsNull, inner, st.booleans())
            | st.builds(Call, st.just("abs"), st.tuples(inner))
            | st.builds(Call, st.just("sum"), st.lists(inner, min_size=1, max_size=3).map(tuple))
        ),
        max_leaves=12,
    )


@given(_trees(_NAMES))
def test_printing_then_parsing_gives_the_tree_back(tree: Node) -> None:
    text = print_expression(tree)
    assert parse_expression(text) == tree
    assert print_expression(parse_expression(text)) == text


# --- evaluation against a reference --------------------------------------------------------------

_NUMERIC = ("a", "b", "n")  # a, b float64; n int64


def _numeric_trees() -> st.SearchStrategy[Node]:
    leaves = (
        st.builds(Column, st.sampled_from(_NUMERIC))
        | st.builds(Literal, st.integers(0, 5) | st.sampled_from([0.5, 2.25, 1e300]))
        | st.just(Literal(None))
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.builds(Unary, st.just("-"), inner)
            | st.builds(Binary, st.sampled_from(("+", "-", "*", "/")), inner, inner)
            | st.builds(Call, st.just("abs"), st.tuples(inner))
            | st.builds(Call, st.just("sum"), st.lists(inner, min_size=1, max_size=3).map(tuple))
        ),
        max_leaves=5,
    )


def _boolean_trees() -> st.SearchStrategy[Node]:
    numbers = _numeric_trees()
    leaves = (
        st.builds(Binary, st.sampled_from(_COMPARISONS), numbers, numbers)
        | st.builds(IsNull, numbers, st.booleans())
        | st.builds(Literal, st.booleans())
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.builds(Unary, st.just("not"), inner)
            | st.builds(Binary, st.sampled_from(("and", "or")), inner, inner)
        ),
        max_leaves=4,
    )


def _reference(node: Node, row: dict[str, Any], tolerance: float | None) -> Any:
    """The value of ``node`` on one row, in plain Python (numpy floats for IEEE arithmetic)."""
    if isinstance(node, Literal):
        v = node.value
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
    if isinstance(node, Column):
        v = row[node.name]
        return None if v is None else float(v)
    if isinstance(node, IsNull):
        inner = _reference(node.operand, row, tolerance)
        return (inner is not None) if node.negated else (inner is None)
    if isinstance(node, Unary):
        inner = _reference(node.operand, row, tolerance)
        if inner is None:
            return None
        return (not inner) if node.op == "not" else float(-np.float64(inner))
    if isinstance(node, Call):
        args = [_reference(a, row, tolerance) for a in node.args]
        if any(a is None for a in args):
            return None
        if node.name == "abs":
            return abs(args[0])
        total = np.float64(args[0])
        for a in args[1:]:
            total = total + np.float64(a)
        return float(total)
    assert isinstance(node, Binary)
    x = _reference(node.left, row, tolerance)
    y = _reference(node.right, row, tolerance)
    if node.op == "and":
        if x is False or y is False:
            return False
        return None if x is None or y is None else True
    if node.op == "or":
        if x is True or y is True:
            return True
        return None if x is None or y is None else False
    if x is None or y is None:
        return None
    with np.errstate(all="ignore"):
        fx, fy = np.float64(x), np.float64(y)
        if node.op == "+":
            return float(fx + fy)
        if node.op == "-":
            return float(fx - fy)
        if node.op == "*":
            return float(fx * fy)
        if node.op == "/":
            return float(fx / fy)
        if tolerance and node.op in ("==", "!="):
            near = bool(np.abs(fx - fy) <= tolerance)
            return near if node.op == "==" else not near
    return {
        "==": x == y,
        "!=": x != y,
        "<": x < y,
        "<=": x <= y,
        ">": x > y,
        ">=": x >= y,
    }[node.op]


_FLOATS = st.none() | st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, math.nan, math.inf, -math.inf])
_ROWS = st.lists(
    st.fixed_dictionaries({"a": _FLOATS, "b": _FLOATS, "n": st.none() | st.integers(-3, 3)}),
    min_size=1,
    max_size=40,
)
_FEATURES = (
    Feature(name="a", type=FeatureType.FLOAT),
    Feature(name="b", type=FeatureType.FLOAT),
    Feature(name="n", type=FeatureType.INT),
)


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {
            "a": pa.array([r["a"] for r in rows], pa.float64()),
            "b": pa.array([r["b"] for r in rows], pa.float64()),
            "n": pa.array([r["n"] for r in rows], pa.int64()),
        }
    )


def _failing(table: pa.Table, schema: Schema, sizes: list[int] | None = None) -> list[int]:
    batches = [table.to_batches()[0]] if sizes is None else _split(table, sizes)
    out: list[int] = []
    start = 0
    for checked in validate_batches(batches, schema):
        out += [start + int(i) for i in checked.quarantined_rows]
        start += checked.batch.num_rows
    return out


def _split(table: pa.Table, sizes: list[int]) -> list[pa.RecordBatch]:
    batch = table.combine_chunks().to_batches()[0]
    out, at = [], 0
    for size in sizes:
        out.append(batch.slice(at, size))
        at += size
    out.append(batch.slice(at))
    return out


@given(
    _boolean_trees(),
    _ROWS,
    st.sampled_from([None, 0.5]),
    st.sampled_from(["pass", "fail"]),
)
def test_arrow_evaluation_equals_the_python_reference(
    tree: Node, rows: list[dict[str, Any]], tolerance: float | None, on_null: str
) -> None:
    check = RowCheck(
        name="law", expression=print_expression(tree), tolerance=tolerance, on_null=on_null
    )
    schema = Schema(features=_FEATURES, row_checks=(check,))
    outcomes = [_reference(tree, r, tolerance) for r in rows]
    expected = [
        i for i, o in enumerate(outcomes) if o is False or (o is None and on_null == "fail")
    ]
    assert _failing(_table(rows), schema) == expected


@given(_boolean_trees(), _ROWS, st.lists(st.integers(0, 15), max_size=5))
def test_failing_rows_do_not_depend_on_the_batch_split(
    tree: Node, rows: list[dict[str, Any]], sizes: list[int]
) -> None:
    check = RowCheck(name="law", expression=print_expression(tree))
    schema = Schema(features=_FEATURES, row_checks=(check,))
    table = _table(rows)
    fitted, left = [], len(rows)
    for size in sizes:
        fitted.append(min(size, left))
        left -= fitted[-1]
    assert _failing(table, schema, fitted) == _failing(table, schema)


_CHECKS = st.builds(
    RowCheck,
    name=st.text(min_size=1, max_size=8),
    expression=_boolean_trees().map(print_expression),
    tolerance=st.none() | st.floats(0, 10),
    on_null=st.sampled_from(["pass", "fail"]),
    description=st.text(max_size=10),
) | st.builds(
    RowCheck,
    name=st.text(min_size=1, max_size=8),
    check=st.text(min_size=1, max_size=8).filter(str.strip),
    on_null=st.sampled_from(["pass", "fail"]),
)


@given(st.lists(_CHECKS, max_size=4, unique_by=lambda c: c.name))
def test_row_checks_round_trip_through_the_document(checks: list[RowCheck]) -> None:
    schema = Schema(features=_FEATURES, row_checks=tuple(checks))
    assert Schema.from_dict(schema.to_dict()) == schema
