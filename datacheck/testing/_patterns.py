"""Values for patterns and unique keys: strings that match a pattern, and which column of a
unique key is drawn all-distinct.

Valid strings come from hypothesis' ``from_regex`` (Python's ``re``, compiled with
``re.ASCII`` so that ``\\d``, ``\\w`` and ``\\b`` are RE2's ASCII classes), kept only when
Arrow's RE2 agrees (``\\s`` still differs: Python's ASCII ``\\s`` has ``\\v``, RE2's has not). A
pattern outside the common subset (``\\p{L}``, ``[[:alpha:]]``, ``\\z``: see
``datacheck.schema._patterns.python_problem``) cannot be generated: :func:`pattern_problem`
says so, and ``from_schema`` refuses the schema with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import strategies as st

from datacheck._regex import anchored, python_problem
from datacheck.schema import Feature, Schema

__all__ = ["key_unique_parts", "matches", "pattern_problem", "pattern_values"]


@lru_cache(maxsize=256)
def _matcher(regex: str) -> Callable[[str], bool]:
    whole = anchored(regex)

    def matches(value: str) -> bool:
        return bool(pc.match_substring_regex(pa.array([value], pa.string()), whole)[0].as_py())

    return matches


def matches(regex: str, value: str) -> bool:
    """Whether ``value`` matches the RE2 ``regex`` as a whole, as validation decides it."""
    return _matcher(regex)(value)


def pattern_problem(feature: Feature) -> str | None:
    """Why values of ``feature``'s pattern cannot be generated, or None when they can."""
    if feature.pattern is None:
        return None
    why = python_problem(feature.pattern.regex)
    if why is None:
        return None
    return f"its pattern {feature.pattern.regex!r} cannot be generated ({why})"


def pattern_values(feature: Feature, low: int, high: int) -> st.SearchStrategy[str]:
    """Strings of ``low`` to ``high`` characters that match ``feature``'s pattern."""
    assert feature.pattern is not None
    regex = feature.pattern.regex
    if pattern_problem(feature) is not None:
        return st.nothing()
    return st.from_regex(re.compile(regex, re.ASCII), fullmatch=True).filter(
        lambda v: low <= len(v) <= high and matches(regex, v)
    )


def key_unique_parts(schema: Schema, sizes: dict[str, float]) -> set[str]:
    """For each unique key, the feature drawn with distinct values in every present row (the
    part with the most possible values), which makes the key unique whatever the other parts
    hold. ``sizes``: feature -> how many distinct values it may hold."""
    out: set[str] = set()
    for key in schema.unique_keys:
        parts = [name for name in key if name in sizes]
        if parts and len(parts) == len(key) and not out.intersection(parts):
            out.add(max(parts, key=lambda name: sizes[name]))
    return out
