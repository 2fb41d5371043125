"""Which environments a schema defines, and the check that a requested one is among them."""

from __future__ import annotations

from datacheck.errors import OptionError
from datacheck.schema import Schema

__all__ = ["check_environment", "schema_environments"]


def schema_environments(schema: Schema) -> frozenset[str]:
    """Every environment the schema names: its defaults and those its features name."""
    names = set(schema.default_environments)
    for f in schema.features:
        names.update(f.in_environments)
        names.update(f.not_in_environments)
    return frozenset(names)


def check_environment(schema: Schema, environment: str | None) -> None:
    """Raise :class:`OptionError` when ``environment`` is given but the schema never names it."""
    if environment is None:
        return
    known = schema_environments(schema)
    if environment not in known:
        choices = ", ".join(sorted(known)) or "none"
        raise OptionError(
            f"not defined by the schema (it defines: {choices}); pick one of those or add it "
            "to the schema's default_environments",
            parameter="environment",
            value=environment,
        )
