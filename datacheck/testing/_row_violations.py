"""violating() for row checks: a simple construction for comparisons, none for the rest.

An arbitrary row expression has no general construction (drawing rows that satisfy ``total ==
a + b`` means solving it), and a custom check is opaque code, so :func:`from_schema` does not
satisfy row checks and :func:`violating` breaks only the ones it can construct: a comparison of
two numeric columns (``end >= start``) or of a numeric column with a number (``age < 150``),
when the schema has that one row check. The drawn table has both columns present in every row,
every row satisfying the comparison but the first, which breaks it; each value stays inside
its feature's domain. Custom checks and other expressions are not generated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from itertools import product

from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.schema import Feature, FloatDomain, IntDomain, Presence, RowCheck
from datacheck.schema.expression import Binary, Column, Literal, Node, parse_expression
from datacheck.testing._violating import C, Violation, _Builder, _Kind, _violation

__all__ = ["row_check_kinds"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _candidates(f: Feature, near: float | None = None) -> list[float]:
    """A few values inside ``f``'s numeric domain, of its type (some ``near`` a number)."""
    d = f.domain
    low = d.min if isinstance(d, IntDomain | FloatDomain) else None
    high = d.max if isinstance(d, IntDomain | FloatDomain) else None
    raw: list[float] = [0, 1, -1, 10, -10, 1000, -1000]
    if near is not None:
        raw += [near, near - 1, near + 1, near - 1000, near + 1000]
    for bound in (low, high):
        if bound is not None and math.isfinite(bound):
            raw += [bound, bound + 1, bound - 1, bound + 10, bound - 10]
    out = []
    for v in raw:
        value: float = int(v) if f.type is FeatureType.INT else float(v)
        if f.type is FeatureType.INT and value != v:
            continue
        if (low is None or value >= low) and (high is None or value <= high):
            out.append(value)
    return sorted(set(out))


def _holds(op: str, x: float, y: float, tolerance: float | None) -> bool:
    if tolerance and op in ("==", "!="):
        near = abs(x - y) <= tolerance
        return near if op == "==" else not near
    return _OPS[op](x, y)


def _numeric(b: _Builder, name: str) -> Feature | None:
    plan = b.plans.get(name)
    if plan is None or not plan.checked:
        return None
    f = plan.feature
    ok = f.type in (FeatureType.INT, FeatureType.FLOAT) and f.value_count is None
    return f if ok and f.unique is None else None


def _comparison_kind(b: _Builder, check: RowCheck) -> _Kind | None:
    assert check.expression is not None
    node: Node = parse_expression(check.expression)
    if not isinstance(node, Binary) or node.op not in _OPS:
        return None
    left, right = node.left, node.right
    if not isinstance(left, Column):
        return None
    a = _numeric(b, left.name)
    if a is None:
        return None
    if isinstance(right, Column) and right.name != left.name:
        other = _numeric(b, right.name)
        if other is None:
            return None
        b_values = _candidates(other)
    elif isinstance(right, Literal) and isinstance(right.value, int | float):
        if isinstance(right.value, bool):
            return None
        other, b_values = None, [float(right.value)]
    else:
        return None
    pairs = list(product(_candidates(a, None if other is not None else b_values[0]), b_values))
    good = next((p for p in pairs if _holds(node.op, *p, check.tolerance)), None)
    bad = next((p for p in pairs if not _holds(node.op, *p, check.tolerance)), None)
    if good is None or bad is None:
        return None
    what = f"row check {check.name!r} ({check.expression}) broken in row 0"
    names = [a.name] + ([] if other is None else [other.name])

    def draw_it(draw: st.DrawFn) -> Violation:
        # Both columns present in every row, so that no row's check is null.
        overrides = {
            n: replace(
                b.plans[n],
                feature=replace(b.plans[n].feature, presence=Presence(min_fraction=1.0)),
            )
            for n in names
        }
        n_rows = draw(st.integers(max(b.needed(), 1), max(b.high(), b.needed(), 1)))
        drawn = b.table(draw, n_rows, overrides=overrides)
        for i in range(n_rows):
            x, y = bad if i == 0 else good
            drawn.columns[a.name][i] = x
            if other is not None:
                drawn.columns[other.name][i] = y
        return _violation(drawn, C.ROW_CHECK_FAILED, None, C.ROW_CHECK_FAILED, [0], what)

    return _Kind(description=what, draw=draw_it)


def row_check_kinds(b: _Builder) -> list[_Kind]:
    """The row-check violations :func:`violating` can construct for ``b``'s schema."""
    checks = b.s.schema.row_checks
    if len(checks) != 1 or checks[0].expression is None:
        return []
    kind = _comparison_kind(b, checks[0])
    return [] if kind is None else [kind]
