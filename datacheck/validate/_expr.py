"""Row expressions evaluated with Arrow compute: a parsed tree in, one boolean per row out.

The tree comes from ``datacheck.schema``'s parser (syntax and types are checked when the schema
loads); here each node becomes one ``pyarrow.compute`` call over whole columns, never Python
code per row and never ``eval``. Semantics, SQL's where they differ from Python's:

- numbers (int, float, decimal columns and literals) are computed in float64, so ``/`` is true
  division, ``x / 0`` is infinity (or NaN for ``0 / 0``), and ints beyond 2**53 round;
- a null operand makes arithmetic and comparisons null; ``and``/``or`` are Kleene's
  (``false and null`` is false, ``true or null`` is true), ``not null`` is null;
- NaN is a value, not a null: every comparison with NaN is false except ``!=``;
- ``==`` and ``!=`` between numbers honour the check's tolerance: ``a == b`` holds when
  ``abs(a - b) <= tolerance``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from datacheck.schema.expression import Binary, Call, Column, IsNull, Literal, Node, Unary

__all__ = ["Value", "as_mask", "evaluate"]

#: what a node evaluates to: an array (per row) or a scalar (the same for every row)
Value: TypeAlias = "pa.Array | pa.ChunkedArray | pa.Scalar"

_ARITHMETIC = {"+": pc.add, "-": pc.subtract, "*": pc.multiply, "/": pc.divide}
_COMPARE = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}


def _literal(value: object) -> pa.Scalar:
    if value is None:
        return pa.scalar(None, pa.null())
    if isinstance(value, bool):
        return pa.scalar(value, pa.bool_())
    if isinstance(value, int | float):
        return pa.scalar(float(value), pa.float64())
    return pa.scalar(value, pa.string())


def _bool(value: Value) -> Value:
    """A null-typed value (a null literal, an all-null column) as booleans, for Kleene logic."""
    if pa.types.is_null(value.type):
        # (A scalar built here, not at import: pa.scalar imports pandas, ~0.7 s.)
        return (
            pa.scalar(None, pa.bool_())
            if isinstance(value, pa.Scalar)
            else pc.cast(value, pa.bool_())
        )
    return value


def _number(value: Value) -> Value:
    if pa.types.is_null(value.type):
        return (
            pa.scalar(None, pa.float64())
            if isinstance(value, pa.Scalar)
            else pc.cast(value, pa.float64())
        )
    return value


def _is_number(value: Value) -> bool:
    return bool(pa.types.is_floating(value.type))


def evaluate(node: Node, columns: Mapping[str, Value], tolerance: float | None = None) -> Value:
    """The value of ``node`` on every row.

    Args:
        node: a parsed, type-checked expression.
        columns: each column the expression names, prepared (numbers as float64, strings
            decoded), all of one length.
        tolerance: the largest difference at which ``==`` between numbers holds.

    Raises:
        pyarrow.ArrowException: the columns' types do not fit the expression (the caller
            names the check).
    """
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Column):
        return columns[node.name]
    if isinstance(node, IsNull):
        inner = evaluate(node.operand, columns, tolerance)
        if isinstance(inner, pa.Scalar):
            return pa.scalar(inner.is_valid is node.negated, pa.bool_())
        return pc.is_valid(inner) if node.negated else pc.is_null(inner)
    if isinstance(node, Unary):
        inner = evaluate(node.operand, columns, tolerance)
        return pc.invert(_bool(inner)) if node.op == "not" else pc.negate(_number(inner))
    if isinstance(node, Call):
        args = [_number(evaluate(a, columns, tolerance)) for a in node.args]
        if node.name == "abs":
            return pc.abs(args[0])
        total = args[0]
        for arg in args[1:]:
            total = pc.add(total, arg)
        return total
    assert isinstance(node, Binary)
    left = evaluate(node.left, columns, tolerance)
    right = evaluate(node.right, columns, tolerance)
    if node.op == "and":
        return pc.and_kleene(_bool(left), _bool(right))
    if node.op == "or":
        return pc.or_kleene(_bool(left), _bool(right))
    if node.op in _ARITHMETIC:
        return _ARITHMETIC[node.op](_number(left), _number(right))
    if tolerance and node.op in ("==", "!=") and _numeric_pair(left, right):
        near = pc.less_equal(pc.abs(pc.subtract(_number(left), _number(right))), tolerance)
        return near if node.op == "==" else pc.invert(near)
    return _COMPARE[node.op](left, right)


def _numeric_pair(left: Value, right: Value) -> bool:
    """Whether both sides are numbers (a null side takes the other's kind)."""
    kinds = [_is_number(v) for v in (left, right) if not pa.types.is_null(v.type)]
    return bool(kinds) and all(kinds)


def as_mask(value: Value, num_rows: int) -> Any:
    """A scalar outcome (an expression of literals) spread over ``num_rows`` rows."""
    if isinstance(value, pa.Scalar):
        return pa.array([_bool(value).as_py()] * num_rows, pa.bool_())
    return _bool(value)
