"""Row checks in the schema: the expression parser, load-time errors with their position, the
JSON document, the TFDV round trip, JSON Schema export, diff and compatibility, schema show."""

from __future__ import annotations

import importlib.util
import pickle
from dataclasses import replace
from typing import Any

import pytest

from datacheck.errors import SchemaFormatError
from datacheck.schema import (
    ChangeKind,
    Feature,
    FeatureType,
    RowCheck,
    Schema,
    check_compatible,
    diff_schemas,
    to_json_schema,
)
from datacheck.schema.expression import (
    Binary,
    Call,
    Column,
    ExpressionError,
    IsNull,
    Literal,
    Unary,
    column_names,
    parse_expression,
    print_expression,
)

T = FeatureType
FEATURES = (
    Feature(name="start", type=T.INT),
    Feature(name="end", type=T.INT),
    Feature(name="total", type=T.FLOAT),
    Feature(name="ship date", type=T.DATE),
    Feature(name="city", type=T.STRING),
    Feature(name="ok", type=T.BOOL),
)


def _schema(*checks: RowCheck) -> Schema:
    return Schema(features=FEATURES, row_checks=checks)


def _document(**check: Any) -> dict[str, Any]:
    document = _schema().to_dict()
    document["row_checks"] = [{"name": "c", **check}]
    return document


# --- the parser ------------------------------------------------------------------------------


def test_precedence_is_or_then_and_then_not_then_comparison_then_arithmetic() -> None:
    tree = parse_expression("x is null or not a + b * c >= d and e")
    assert tree == Binary(
        "or",
        IsNull(Column("x")),
        Binary(
            "and",
            Unary(
                "not",
                Binary(
                    ">=",
                    Binary("+", Column("a"), Binary("*", Column("b"), Column("c"))),
                    Column("d"),
                ),
            ),
            Column("e"),
        ),
    )


def test_arithmetic_is_left_associative() -> None:
    assert parse_expression("a - b - c") == Binary(
        "-", Binary("-", Column("a"), Column("b")), Column("c")
    )


def test_names_strings_keywords_and_functions() -> None:
    tree = parse_expression("`ship date` != 'O''Brien' AND abs(x) <= sum(a, b) OR y IS NOT NULL")
    assert tree == Binary(
        "or",
        Binary(
            "and",
            Binary("!=", Column("ship date"), Literal("O'Brien")),
            Binary("<=", Call("abs", (Column("x"),)), Call("sum", (Column("a"), Column("b")))),
        ),
        IsNull(Column("y"), negated=True),
    )


def test_literals() -> None:
    assert parse_expression("1") == Literal(1)
    assert parse_expression("1.5e-3") == Literal(0.0015)
    assert parse_expression("true") == Literal(True)
    assert parse_expression("null") == Literal(None)
    assert parse_expression('"a"') == Literal("a")


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("end >", 6, "expected a value, found the end"),
        ("a = b", 3, "compare with '=='"),
        ("a < b < c", 7, "do not chain"),
        ("(a", 3, "expected ')'"),
        ("'abc", 1, "unclosed '"),
        ("a $ b", 3, "unexpected character '$'"),
        ("abs(a, b)", 1, "abs() takes 1 argument, not 2"),
        ("a b", 3, "expected an operator or the end, found 'b'"),
        ("  ", 1, "empty expression"),
        ("x is 3", 6, "'null' after 'is'"),
    ],
)
def test_a_syntax_error_names_its_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.position + 1 == position
    assert str(caught.value).startswith(f"character {position}: ")
    assert words in str(caught.value)


def test_an_expression_error_is_a_schema_error_and_pickles() -> None:
    with pytest.raises(SchemaFormatError) as caught:
        parse_expression("a >")
    error = caught.value
    assert isinstance(error, ExpressionError)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ExpressionError)
    assert (
        (str(copy), copy.position)
        == (str(error), error.position)
        == ("character 4: expected a value, found the end", 3)
    )


def test_the_printer_adds_only_needed_parentheses() -> None:
    for text in ("a - (b - c)", "(a or b) and c", "-(a + b) * c", "(a == b) == c", "not a and b"):
        assert print_expression(parse_expression(text)) == text
    assert print_expression(parse_expression("((a)) + (b * c)")) == "a + b * c"


def test_column_names_in_order_of_first_use() -> None:
    assert column_names(parse_expression("b + a > b or `c d` is null")) == ("b", "a", "c d")


# --- load-time checks -----------------------------------------------------------------------


def test_a_schema_with_row_checks_round_trips_through_its_document() -> None:
    schema = _schema(
        RowCheck(name="order", expression="end >= start", description="no time travel"),
        RowCheck(name="sum", expression="total == start + end", tolerance=0.01, on_null="fail"),
        RowCheck(name="custom", check="my_check"),
    )
    document = schema.to_dict()
    assert document["row_checks"][1] == {
        "name": "sum",
        "expression": "total == start + end",
        "tolerance": 0.01,
        "on_null": "fail",
    }
    assert Schema.from_dict(document) == schema


@pytest.mark.parametrize(
    ("check", "pointer", "words"),
    [
        ({"expression": "end >= strat"}, "/row_checks/0/expression", "character 8: column 'strat'"),
        ({"expression": "end > city"}, "/row_checks/0/expression", "compares number with string"),
        ({"expression": "end + 1"}, "/row_checks/0/expression", "gives a number"),
        ({"expression": "`ship date` + 1 > 2"}, "/row_checks/0/expression", "takes numbers"),
        ({"expression": "ok and end"}, "/row_checks/0/expression", "takes bools, not number"),
        ({"expression": "end >= "}, "/row_checks/0/expression", "character 8: expected a value"),
        ({"check": "x", "tolerance": 0.1}, "/row_checks/0/tolerance", "applies to an expression"),
        ({"expression": "a", "check": "x"}, "/row_checks/0", "is valid under each of"),
        ({}, "/row_checks/0", "is not valid under any of"),
        ({"expression": "end > start", "tolerance": -1}, "/row_checks/0/tolerance", "minimum"),
        ({"expression": "end > start", "on_null": "skip"}, "/row_checks/0/on_null", "'skip'"),
    ],
)
def test_a_bad_row_check_is_a_schema_error_with_its_pointer(
    check: dict[str, Any], pointer: str, words: str
) -> None:
    with pytest.raises(SchemaFormatError, match=f"<schema>: {pointer}: ") as caught:
        Schema.from_dict(_document(**check))
    assert words in str(caught.value)


def test_row_check_names_are_unique() -> None:
    document = _document(expression="end > start")
    document["row_checks"].append({"name": "c", "expression": "end >= start"})
    with pytest.raises(SchemaFormatError, match="/row_checks/1/name: duplicate row check name"):
        Schema.from_dict(document)


def test_a_list_feature_cannot_be_in_an_expression() -> None:
    from datacheck.schema import ValueCount

    schema = Schema(
        features=(Feature(name="xs", type=T.INT, value_count=ValueCount(min=1)),),
        row_checks=(RowCheck(name="c", expression="xs > 0"),),
    )
    with pytest.raises(SchemaFormatError, match="'xs' is a list feature"):
        Schema.from_dict(schema.to_dict())


def test_same_kind_comparisons_of_every_type_load() -> None:
    schema = _schema(
        RowCheck(name="s", expression="city == 'Paris' or city < 'B'"),
        RowCheck(name="b", expression="ok == true and not ok is null"),
        RowCheck(name="d", expression="`ship date` >= `ship date`"),
        RowCheck(name="n", expression="end == null"),
    )
    assert Schema.from_dict(schema.to_dict()) == schema


# --- other faces ------------------------------------------------------------------------------


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow_metadata") is None, reason="needs tensorflow-metadata"
)
def test_row_checks_survive_the_tfdv_round_trip_as_tags() -> None:
    from datacheck.schema import from_tfdv, to_tfdv

    schema = _schema(
        RowCheck(name="order", expression="end >= start", description="a=b"),
        RowCheck(name="custom", check="my_check", on_null="fail"),
        RowCheck(name="sum", expression="total == start + end", tolerance=0.5),
    )
    proto = to_tfdv(schema)
    assert sum(t.startswith("datacheck:row_check={") for t in proto.annotation.tag) == 3
    assert from_tfdv(proto) == schema


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow_metadata") is None, reason="needs tensorflow-metadata"
)
def test_a_broken_row_check_tag_is_a_schema_error() -> None:
    from datacheck.schema import from_tfdv, to_tfdv

    proto = to_tfdv(_schema())
    proto.annotation.tag.append("datacheck:row_check={not json")
    with pytest.raises(SchemaFormatError, match="annotation tag"):
        from_tfdv(proto)


def test_json_schema_export_leaves_row_checks_out() -> None:
    plain = to_json_schema(_schema())
    assert to_json_schema(_schema(RowCheck(name="o", expression="end >= start"))) == plain


def _kinds(old: Schema, new: Schema) -> list[tuple[ChangeKind, str, bool, bool]]:
    return [
        (c.kind, c.field, c.backward_compatible, c.forward_compatible)
        for c in diff_schemas(old, new)
    ]


def test_adding_a_row_check_tightens_and_removing_one_loosens() -> None:
    check = RowCheck(name="order", expression="end >= start")
    assert _kinds(_schema(), _schema(check)) == [
        (ChangeKind.CONSTRAINT_TIGHTENED, "row_checks.order", False, True)
    ]
    assert _kinds(_schema(check), _schema()) == [
        (ChangeKind.CONSTRAINT_LOOSENED, "row_checks.order", True, False)
    ]
    assert not check_compatible(_schema(), _schema(check))
    assert check_compatible(_schema(check), _schema())


def test_changing_a_row_check() -> None:
    old = RowCheck(name="sum", expression="total == start + end", tolerance=0.01)
    assert _kinds(_schema(old), _schema(replace(old, expression="total >= start"))) == [
        (ChangeKind.ROW_CHECK_CHANGED, "row_checks.sum", False, False)
    ]
    assert _kinds(_schema(old), _schema(replace(old, tolerance=0.1))) == [
        (ChangeKind.CONSTRAINT_LOOSENED, "row_checks.sum.tolerance", True, False)
    ]
    assert _kinds(_schema(old), _schema(replace(old, tolerance=None))) == [
        (ChangeKind.CONSTRAINT_TIGHTENED, "row_checks.sum.tolerance", False, True)
    ]
    assert _kinds(_schema(old), _schema(replace(old, on_null="fail"))) == [
        (ChangeKind.CONSTRAINT_TIGHTENED, "row_checks.sum.on_null", False, True)
    ]
    assert _kinds(_schema(old), _schema(replace(old, description="x"))) == [
        (ChangeKind.DESCRIPTION_CHANGED, "row_checks.sum.description", True, True)
    ]
    assert _kinds(_schema(old), _schema(old)) == []


def test_a_row_checks_rule_in_words() -> None:
    assert RowCheck(name="a", expression="end >= start").rule == "end >= start"
    assert (
        RowCheck(name="a", expression="t == a + b", tolerance=0.01, on_null="fail").rule
        == "t == a + b (± 0.01; null fails)"
    )
    assert RowCheck(name="a", check="fare_ok").rule == "custom check fare_ok"


def test_update_schema_keeps_the_row_checks() -> None:
    import pyarrow as pa

    from datacheck.schema import infer_schema, update_schema
    from datacheck.stats import generate_statistics

    checks = (RowCheck(name="order", expression="end >= start"),)
    old = replace(
        infer_schema(generate_statistics(pa.table({"start": [1, 2], "end": [2, 3]}))),
        row_checks=checks,
    )
    new, changes = update_schema(old, generate_statistics(pa.table({"start": [9], "end": [1]})))
    assert new.row_checks == checks
    assert all(not c.field.startswith("row_checks") for c in changes)
