"""Load-time checks of a schema's row checks: names, the expression's syntax, columns and types.

A row expression is parsed and typed against the schema's features when the schema loads, so
that a typo (``end >= strat``), a comparison of a string with a number, or an arithmetic on a
date is a :class:`SchemaFormatError` naming the JSON pointer and the character, before any data
is read. Types follow the features': int, float and decimal are numbers (computed in float64),
strings, bytes and booleans compare with their own kind, dates, timestamps and durations compare
with their own kind; arithmetic is on numbers only. A null literal fits every type (see
``_rowtypes.py``). Also the row checks' JSON objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from datacheck.schema._model import ROW_CHECK_ON_NULL, Feature, RowCheck, Schema

__all__ = [
    "row_check_from_dict",
    "row_check_problems",
    "row_check_to_dict",
]


def _check_problems(
    check: RowCheck, pointer: str, features: dict[str, Feature]
) -> list[tuple[str, str]]:
    if (check.expression is None) == (check.check is None):
        return [(pointer, "give a row check exactly one of 'expression' and 'check'")]
    problems: list[tuple[str, str]] = []
    if check.on_null not in ROW_CHECK_ON_NULL:
        problems.append((f"{pointer}/on_null", f"{check.on_null!r} is not 'pass' or 'fail'"))
    if check.tolerance is not None:
        if check.expression is None:
            problems.append(
                (f"{pointer}/tolerance", "a tolerance applies to an expression's '==' and '!='")
            )
        elif not (math.isfinite(check.tolerance) and check.tolerance >= 0):
            problems.append(
                (f"{pointer}/tolerance", f"{check.tolerance!r}: give a finite number >= 0")
            )
    if check.check is not None and not check.check.strip():
        problems.append((f"{pointer}/check", "an empty check name; name a registered check"))
    if check.expression is not None:
        # Imported here: a schema without expressions never loads the parser.
        from datacheck.schema._rowtypes import BOOL, NULL, expression_type
        from datacheck.schema.expression import ExpressionError, parse_expression

        try:
            kind = expression_type(parse_expression(check.expression), features)
        except ExpressionError as error:
            problems.append((f"{pointer}/expression", f"{check.expression!r}, {error}"))
        else:
            if kind not in (BOOL, NULL):
                problems.append(
                    (
                        f"{pointer}/expression",
                        f"{check.expression!r} gives a {kind}, not true or false; "
                        "compare it with something",
                    )
                )
    return problems


def row_check_problems(schema: Schema) -> list[tuple[str, str]]:
    """Every problem of the schema's row checks as ``(json_pointer, message)``."""
    features = {f.name: f for f in schema.features}
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, check in enumerate(schema.row_checks):
        pointer = f"/row_checks/{i}"
        if check.name in seen:
            problems.append(
                (
                    f"{pointer}/name",
                    f"duplicate row check name {check.name!r} (also /row_checks/"
                    f"{seen[check.name]}); give each check its own name",
                )
            )
        seen.setdefault(check.name, i)
        problems += _check_problems(check, pointer, features)
    return problems


def row_check_to_dict(c: RowCheck) -> dict[str, Any]:
    """The JSON object of a row check (defaults left out)."""
    out: dict[str, Any] = {"name": c.name}
    for key, value in (
        ("expression", c.expression),
        ("check", c.check),
        ("tolerance", c.tolerance),
    ):
        if value is not None:
            out[key] = value
    if c.on_null != "pass":
        out["on_null"] = c.on_null
    if c.description:
        out["description"] = c.description
    return out


def row_check_from_dict(d: Mapping[str, Any]) -> RowCheck:
    """The row check of its JSON object (already checked by the JSON Schema)."""
    tolerance = d.get("tolerance")
    return RowCheck(
        name=d["name"],
        expression=d.get("expression"),
        check=d.get("check"),
        tolerance=None if tolerance is None else float(tolerance),
        on_null=d.get("on_null", "pass"),
        description=d.get("description", ""),
    )
