"""The types of a row expression against the schema's features (see ``_rowchecks.py``).

Imported only for a schema with a row expression: parsing and typing cost nothing to a schema
without one.
"""

from __future__ import annotations

from datacheck._types import FeatureType
from datacheck.schema._model import Feature
from datacheck.schema.expression import (
    Binary,
    Call,
    Column,
    ExpressionError,
    IsNull,
    Literal,
    Node,
    Unary,
)

__all__ = ["BOOL", "NULL", "expression_type"]

_NUMBER = "number"
BOOL = "bool"
NULL = "null"  # a null literal, or a column whose type was never seen: fits anything

#: the expression type of each feature type
_KINDS: dict[FeatureType, str] = {
    FeatureType.INT: _NUMBER,
    FeatureType.FLOAT: _NUMBER,
    FeatureType.DECIMAL: _NUMBER,
    FeatureType.STRING: "string",
    FeatureType.BYTES: "bytes",
    FeatureType.BOOL: BOOL,
    FeatureType.DATE: "date",
    FeatureType.TIMESTAMP: "timestamp",
    FeatureType.DURATION: "duration",
    FeatureType.NULL: NULL,
}
_ORDERED = frozenset({_NUMBER, "string", "bytes", BOOL, "date", "timestamp", "duration"})


class _TypeProblem(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _position(node: Node) -> int:
    """The position of the first column in ``node`` (0 when it names none)."""
    return max(_first_column(node), 0)


def _first_column(node: Node) -> int:
    if isinstance(node, Column):
        return node.position
    if isinstance(node, Unary | IsNull):
        return _first_column(node.operand)
    if isinstance(node, Binary):
        left = _first_column(node.left)
        return left if left >= 0 else _first_column(node.right)
    if isinstance(node, Call):
        return next((p for p in map(_first_column, node.args) if p >= 0), -1)
    return -1


def _literal_kind(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, str):
        return "string"
    return _NUMBER


def _need(node: Node, kind: str, wanted: str, what: str) -> None:
    if kind not in (wanted, NULL):
        raise _TypeProblem(f"{what} takes {wanted}s, not {kind}", _position(node))


def _kind(node: Node, features: dict[str, Feature]) -> str:
    if isinstance(node, Literal):
        return _literal_kind(node.value)
    if isinstance(node, Column):
        f = features.get(node.name)
        if f is None:
            raise _TypeProblem(
                f"column {node.name!r} is not a feature of the schema; "
                "name one of its features (backticks around a name with spaces)",
                max(node.position, 0),
            )
        if f.value_count is not None:
            raise _TypeProblem(
                f"column {node.name!r} is a list feature; expressions work on single values",
                max(node.position, 0),
            )
        return _KINDS[f.type]
    if isinstance(node, IsNull):
        _kind(node.operand, features)
        return BOOL
    if isinstance(node, Unary):
        inner = _kind(node.operand, features)
        wanted = BOOL if node.op == "not" else _NUMBER
        _need(node.operand, inner, wanted, f"'{node.op}'")
        return wanted
    if isinstance(node, Call):
        for arg in node.args:
            _need(arg, _kind(arg, features), _NUMBER, f"{node.name}()")
        return _NUMBER
    left, right = _kind(node.left, features), _kind(node.right, features)
    if node.op in ("and", "or"):
        _need(node.left, left, BOOL, f"'{node.op}'")
        _need(node.right, right, BOOL, f"'{node.op}'")
        return BOOL
    if node.op in ("+", "-", "*", "/"):
        _need(node.left, left, _NUMBER, f"'{node.op}'")
        _need(node.right, right, _NUMBER, f"'{node.op}'")
        return _NUMBER
    # A comparison: both sides of one kind (or null).
    if NULL not in (left, right) and left != right:
        raise _TypeProblem(
            f"'{node.op}' compares {left} with {right}; compare values of one kind",
            _position(node),
        )
    if node.op not in ("==", "!=") and not {left, right} & _ORDERED:
        raise _TypeProblem(f"'{node.op}' needs ordered values", _position(node))
    return BOOL


def expression_type(node: Node, features: dict[str, Feature]) -> str:
    """The kind of value ``node`` gives over rows of ``features`` (``"bool"``, ``"number"``,
    ...).

    Raises:
        ExpressionError: an unknown column, a list feature, or operands of the wrong kinds.
    """
    try:
        return _kind(node, features)
    except _TypeProblem as problem:
        raise ExpressionError(problem.message, position=problem.position) from None
