"""Floats that are not finite, in the JSON documents datacheck writes and reads.

JSON has no NaN or infinity, and strict parsers reject the bare ``NaN`` and ``Infinity`` that
Python's ``json`` writes by default, so every document datacheck writes uses one of two forms.
This module is their one owner; the profile, the report and the quarantine file use it.

- **Where a field is known to hold a float** (a profile's statistics, a report's distance, a
  quarantined row's float column): the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
  (the names JavaScript and Python give them). The reader knows the field is a float, so the
  string ``"NaN"`` of a string field is never mistaken for one
  (:func:`float_to_json`, :func:`float_from_json`).
- **Where a field holds any JSON value** (an anomaly's measured and expected values), a string
  would be ambiguous: a string feature may well have the value ``"nan"``. There a non-finite
  float is the object ``{"$float": "NaN"}`` (or ``"Infinity"``, ``"-Infinity"``), and an
  object key of the value that starts with ``$`` is written with one more ``$``, so no object
  of the value itself reads as a float (:func:`value_to_json`, :func:`value_from_json`).
"""

from __future__ import annotations

import math
from typing import Any, overload

__all__ = [
    "FLOAT_TAG",
    "float_from_json",
    "float_to_json",
    "value_from_json",
    "value_to_json",
]

#: the key of the object that stands for a non-finite float inside an arbitrary JSON value
FLOAT_TAG = "$float"

_NAN, _INF, _NEG_INF = "NaN", "Infinity", "-Infinity"
#: spelling -> float. The lower-case spellings are read, never written: reports of earlier
#: releases wrote their distances that way.
_READ = {
    _NAN: math.nan,
    _INF: math.inf,
    _NEG_INF: -math.inf,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
}


def _spelling(value: float) -> str:
    return _NAN if math.isnan(value) else (_INF if value > 0 else _NEG_INF)


@overload
def float_to_json(value: None) -> None: ...
@overload
def float_to_json(value: float) -> float | str: ...
def float_to_json(value: float | None) -> float | str | None:
    """A float field's JSON value: finite numbers (and ints, and None) as they are; NaN and
    the infinities as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if value is None or isinstance(value, int) or math.isfinite(value):
        return value
    return _spelling(value)


@overload
def float_from_json(value: None) -> None: ...
@overload
def float_from_json(value: float | str) -> float: ...
def float_from_json(value: float | str | None) -> float | None:
    """The inverse of :func:`float_to_json` (ints stay ints: they are exact statistics).

    Raises:
        KeyError: ``value`` is a string that names no float (the document's JSON Schema,
            checked before reading, rules that out).
    """
    if isinstance(value, str):
        return _READ[value]
    return value


def value_to_json(value: Any) -> Any:
    """Any JSON-like value (dicts, lists, tuples, numbers, strings) as JSON, non-finite floats
    tagged (see the module docstring); dict keys become strings and tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else {FLOAT_TAG: _spelling(value)}
    if isinstance(value, dict):
        return {_escape(str(k)): value_to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [value_to_json(v) for v in value]
    return value


def value_from_json(value: Any) -> Any:
    """The inverse of :func:`value_to_json` (a tuple comes back as a list)."""
    if isinstance(value, dict):
        if len(value) == 1 and FLOAT_TAG in value:
            return _READ[value[FLOAT_TAG]]
        return {_unescape(k): value_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [value_from_json(v) for v in value]
    return value


def _escape(key: str) -> str:
    return "$" + key if key.startswith("$") else key


def _unescape(key: str) -> str:
    return key[1:] if key.startswith("$$") else key
