"""to_json_schema: records drawn from a schema pass; records that break a domain fail."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import (
    BoolDomain,
    Feature,
    FeatureType,
    FloatDomain,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    ValueCount,
    to_json_schema,
)

REQUIRED = Presence(min_fraction=1.0, min_count=1)

SCHEMA = Schema(
    features=(
        Feature(
            name="age", type=FeatureType.INT, presence=REQUIRED, domain=IntDomain(min=0, max=130)
        ),
        Feature(name="score", type=FeatureType.FLOAT, domain=FloatDomain(min=-1.0, max=1.0)),
        Feature(
            name="color",
            type=FeatureType.STRING,
            presence=REQUIRED,
            domain=StringDomain(values=("red", "green")),
        ),
        Feature(name="ok", type=FeatureType.BOOL, domain=BoolDomain()),
        Feature(name="tags", type=FeatureType.STRING, value_count=ValueCount(min=1, max=3)),
        Feature(name="day", type=FeatureType.DATE),
        Feature(name="user.id", type=FeatureType.INT, presence=REQUIRED),
        Feature(
            name="user.name", type=FeatureType.STRING, string_length=StringLength(min=1, max=5)
        ),
        Feature(
            name="old", type=FeatureType.INT, presence=REQUIRED, lifecycle=Lifecycle.DEPRECATED
        ),
        Feature(
            name="label", type=FeatureType.INT, presence=REQUIRED, not_in_environments=("SERVING",)
        ),
    )
)


def _value(f: Feature) -> st.SearchStrategy[Any]:
    d = f.domain
    if isinstance(d, IntDomain):
        base: st.SearchStrategy[Any] = st.integers(d.min, d.max)
    elif isinstance(d, FloatDomain):
        base = st.floats(d.min, d.max, allow_nan=False)
    elif isinstance(d, StringDomain):
        base = st.sampled_from(d.values)
    elif f.type is FeatureType.INT:
        base = st.integers()
    elif f.type is FeatureType.BOOL:
        base = st.booleans()
    elif f.type is FeatureType.DATE:
        base = st.dates().map(lambda x: x.isoformat())
    elif f.string_length is not None:
        base = st.text(min_size=f.string_length.min or 0, max_size=f.string_length.max)
    else:
        base = st.text()
    if f.value_count is not None:
        base = st.lists(base, min_size=f.value_count.min or 0, max_size=f.value_count.max)
    return base if f.presence.required else st.none() | base


@st.composite
def records(draw: st.DrawFn, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in schema.features_in("TRAINING"):
        if not f.presence.required and draw(st.booleans()):
            continue  # an optional key may be absent
        *parents, leaf = f.name.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = draw(_value(f))
    return out


def valid(record: dict[str, Any], environment: str | None = None) -> bool:
    return jsonschema.Draft202012Validator(
        to_json_schema(SCHEMA, environment=environment),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).is_valid(record)


def good() -> dict[str, Any]:
    return {"age": 30, "color": "red", "user": {"id": 1}, "label": 1, "tags": ["a"]}


def test_document_is_a_valid_draft_2020_12_schema() -> None:
    document = to_json_schema(SCHEMA)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


@given(records(SCHEMA))
def test_generated_records_pass(record: dict[str, Any]) -> None:
    assert valid(record)


def test_value_outside_string_domain_fails() -> None:
    assert not valid(good() | {"color": "purple"})


def test_int_above_range_fails() -> None:
    assert not valid(good() | {"age": 131})


def test_float_below_range_fails() -> None:
    assert not valid(good() | {"score": -1.5})


def test_wrong_type_fails() -> None:
    assert not valid(good() | {"age": "thirty"})


def test_bool_domain_refuses_ints() -> None:
    assert not valid(good() | {"ok": 1})


def test_missing_required_feature_fails() -> None:
    record = good()
    del record["color"]
    assert not valid(record)


def test_null_in_required_feature_fails() -> None:
    assert not valid(good() | {"age": None})


def test_null_in_optional_feature_passes() -> None:
    assert valid(good() | {"score": None})


def test_list_too_long_fails() -> None:
    assert not valid(good() | {"tags": ["a", "b", "c", "d"]})


def test_missing_nested_required_field_fails() -> None:
    assert not valid(good() | {"user": {"name": "x"}})


def test_unknown_key_fails() -> None:
    assert not valid(good() | {"surprise": 1})


def test_unknown_key_passes_when_new_columns_are_warnings() -> None:
    lenient = Schema(features=SCHEMA.features, severity_overrides={"SCHEMA_NEW_COLUMN": "warning"})
    assert jsonschema.Draft202012Validator(to_json_schema(lenient)).is_valid(good() | {"x": 1})


def test_bad_date_fails() -> None:
    assert not valid(good() | {"day": "2024-13-45"})


def test_deprecated_feature_is_unchecked() -> None:
    assert valid(good() | {"old": "anything"})


def test_feature_not_in_environment_is_not_required() -> None:
    record = good()
    del record["label"]
    assert not valid(record)
    assert valid(record, environment="SERVING")


@pytest.mark.parametrize("ftype", list(FeatureType))
def test_every_type_exports(ftype: FeatureType) -> None:
    s = Schema(features=(Feature(name="x", type=ftype),))
    jsonschema.Draft202012Validator.check_schema(to_json_schema(s))


def test_string_length_counts_characters() -> None:
    assert valid(good() | {"user": {"id": 1, "name": "😀😀😀😀😀"}})
    assert not valid(good() | {"user": {"id": 1, "name": ""}})
    assert not valid(good() | {"user": {"id": 1, "name": "abcdef"}})
