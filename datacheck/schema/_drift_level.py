"""Setting how a feature's drift counts: ``datacheck schema set NAME FEATURE --drift LEVEL``.

The use case lives here, the command only parses and prints: :func:`with_drift_level` returns
the changed schema, and the caller saves it as a new version (the store never overwrites one).
"""

from __future__ import annotations

from dataclasses import replace

from datacheck.errors import OptionError, require
from datacheck.schema._defaults import default_comparators
from datacheck.schema._model import DRIFT_LEVELS, Schema

__all__ = ["with_drift_level"]


def with_drift_level(schema: Schema, feature: str, level: str) -> Schema:
    """``schema`` with feature ``feature``'s drift level set to ``level``.

    Turning drift on (``"warning"`` or ``"error"``) for a feature without a drift comparator
    (a date, an identifier or a counter, which inference leaves without one) gives it the
    default comparator of its type; ``"off"`` keeps the comparator, so the distance is still
    measured and reported, and a later ``"error"`` restores it as it was. The version number
    is left as it is: :meth:`SchemaStore.save` numbers the new version.

    Args:
        schema: the schema to change.
        feature: the feature's path.
        level: one of ``"error"``, ``"warning"`` and ``"off"``.

    Returns:
        The changed schema (``schema`` itself when the level was already ``level``).

    Raises:
        OptionError: ``feature`` is not in the schema, ``level`` is not a drift level, or
            no drift comparator applies to the feature's type (bytes, null).
        ArgumentTypeError: ``schema`` is not a schema (a TypeError).
    """
    require(
        schema,
        Schema,
        function="with_drift_level",
        parameter="schema",
        needs="a Schema (load_schema reads one, infer_schema makes one)",
    )
    if level not in DRIFT_LEVELS:
        raise OptionError(f"use one of {', '.join(DRIFT_LEVELS)}", parameter="level", value=level)
    found = schema.feature(feature)
    if found is None:
        names = ", ".join(repr(n) for n in schema.feature_names[:5])
        raise OptionError(
            f"no such feature in the schema (it has {names}"
            f"{', ...' if len(schema.features) > 5 else ''})",
            parameter="feature",
            value=feature,
        )
    comparator = found.drift_comparator
    if comparator is None and level != "off":
        comparator = default_comparators(found.type)[0]
        if comparator is None:
            raise OptionError(
                f"no drift distance applies to {found.type} features",
                parameter="feature",
                value=feature,
            )
    if found.drift_level == level and comparator == found.drift_comparator:
        return schema
    changed = replace(found, drift_level=level, drift_comparator=comparator)
    return replace(schema, features=tuple(changed if f is found else f for f in schema.features))
