"""Non-finite floats in JSON: float fields by their type, arbitrary values by a tag."""

from __future__ import annotations

import math

from datacheck._json import float_from_json, float_to_json, value_from_json, value_to_json


def test_float_fields_spell_non_finite_values() -> None:
    assert [float_to_json(v) for v in (math.nan, math.inf, -math.inf, 1.5, 2, None)] == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
        2,
        None,
    ]


def test_float_fields_read_what_profiles_always_wrote() -> None:
    assert math.isnan(float_from_json("NaN"))
    assert (float_from_json("Infinity"), float_from_json("-Infinity")) == (math.inf, -math.inf)
    assert float_from_json(3) == 3 and isinstance(float_from_json(3), int)


def test_a_non_finite_float_in_a_value_is_a_tagged_object() -> None:
    assert value_to_json({"max": math.inf, "min": "inf"}) == {
        "max": {"$float": "Infinity"},
        "min": "inf",
    }


def test_an_object_shaped_like_the_tag_is_escaped() -> None:
    value = {"$float": "NaN", "$$x": [1, "nan"]}
    written = value_to_json(value)
    assert written == {"$$float": "NaN", "$$$x": [1, "nan"]}
    assert value_from_json(written) == value


def test_tuples_and_keys_come_back_as_json_has_them() -> None:
    assert value_from_json(value_to_json({1: (math.inf, "a")})) == {"1": [math.inf, "a"]}
