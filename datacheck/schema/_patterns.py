"""Schema checks of patterns and unique keys: RE2 syntax, a string feature, key features that
exist (the rules themselves live in ``datacheck._regex``)."""

from __future__ import annotations

from datacheck._regex import re2_problem
from datacheck._types import FeatureType
from datacheck.schema._model import Schema

__all__ = ["pattern_key_problems"]


def pattern_key_problems(schema: Schema) -> list[tuple[str, str]]:
    """Every problem of the schema's patterns and unique keys as ``(json_pointer, message)``."""
    problems: list[tuple[str, str]] = []
    for i, f in enumerate(schema.features):
        if f.pattern is None:
            continue
        pointer = f"/features/{i}/pattern"
        if f.type is not FeatureType.STRING:
            problems.append(
                (pointer, f"pattern applies to string features only; {f.name!r} is {f.type}")
            )
            continue
        why = re2_problem(f.pattern.regex)
        if why is not None:
            problems.append(
                (
                    f"{pointer}/regex",
                    f"pattern {f.pattern.regex!r} of feature {f.name!r} is not RE2 syntax "
                    f"({why}); RE2 has no lookaround and no backreferences: rewrite it "
                    "without them",
                )
            )
    features = {f.name: f for f in schema.features}
    for k, key in enumerate(schema.unique_keys):
        if not key:
            problems.append((f"/unique_keys/{k}", "a unique key names at least one feature"))
        for j, name in enumerate(key):
            part = features.get(name)
            where = f"/unique_keys/{k}/{j}"
            if part is None:
                problems.append(
                    (
                        where,
                        f"unique key feature {name!r} is not in the schema; add it or fix the name",
                    )
                )
            elif part.value_count is not None:
                problems.append(
                    (
                        where,
                        f"unique key feature {name!r} is a list feature; a key part is one value",
                    )
                )
            elif name in key[:j]:
                problems.append((where, f"unique key names {name!r} twice; name it once"))
    return problems
