"""Patterns: RE2 syntax, whole-value matching row by row, the dataset-level share, the schema
document, the TFDV round trip, JSON Schema export and diffs."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from datacheck._regex import ecma_problem, python_problem
from datacheck.errors import SchemaFormatError
from datacheck.schema import (
    ChangeKind,
    Feature,
    FeatureType,
    Presence,
    Schema,
    StringDomain,
    StringPattern,
    diff_schemas,
    to_json_schema,
)
from datacheck.validate import AnomalyCode, CheckedBatch, check_dataset, validate_batches

ID = r"N\d+A[12]"


def _schema(regex: str = ID, share: float = 0.0, **extra: object) -> Schema:
    f = Feature(
        name="id",
        type=FeatureType.STRING,
        pattern=StringPattern(regex=regex, max_mismatch_fraction=share),
        **extra,  # type: ignore[arg-type]
    )
    return Schema(features=(f,))


def _reasons(table: pa.Table, schema: Schema) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    offset = 0
    for checked in validate_batches(table.to_batches(max_chunksize=3), schema):
        reasons = checked.quarantined.column("datacheck_reasons").to_pylist()
        for row, rs in zip(checked.quarantined_rows, reasons, strict=True):
            out[offset + int(row)] = [r["code"] for r in rs]
        offset += checked.batch.num_rows
    return out


def test_rows_that_do_not_match_the_whole_value_are_quarantined() -> None:
    table = pa.table({"id": ["N1A1", "N12A2", "xN1A1", "N1A1x", "N1A3", None, "N1A1\n"]})
    assert _reasons(table, _schema()) == {i: ["STRING_PATTERN_MISMATCH"] for i in (2, 3, 4, 6)}


def test_an_alternation_is_matched_whole_on_each_side() -> None:
    # Anchoring without a group would read ^a|b$ as "starts with a, or ends with b".
    table = pa.table({"id": ["a", "b", "ab", "ba", "bx", "xa"]})
    assert sorted(_reasons(table, _schema("a|b"))) == [2, 3, 4, 5]


def test_dictionary_encoded_values_are_checked() -> None:
    table = pa.table({"id": pa.array(["N1A1", "bad", "N1A1", "bad"]).dictionary_encode()})
    assert sorted(_reasons(table, _schema())) == [1, 3]


def test_a_lookahead_is_a_schema_error_naming_feature_and_pattern() -> None:
    document = _schema().to_dict()
    document["features"][0]["pattern"]["regex"] = "N(?=1)"
    with pytest.raises(SchemaFormatError, match=r"/features/0/pattern/regex.*'N\(\?=1\)'.*'id'"):
        Schema.from_dict(document)


def test_a_backreference_and_an_unbalanced_group_are_schema_errors() -> None:
    for regex in (r"(a)\1", "a)|(b"):
        document = _schema().to_dict()
        document["features"][0]["pattern"]["regex"] = regex
        with pytest.raises(SchemaFormatError, match="not RE2 syntax"):
            Schema.from_dict(document)


def test_a_pattern_on_an_int_feature_is_a_schema_error() -> None:
    document = {
        "format_version": 1,
        "version": 1,
        "features": [{"name": "n", "type": "int", "pattern": {"regex": "1"}}],
    }
    with pytest.raises(SchemaFormatError, match="string features only"):
        Schema.from_dict(document)


def test_the_document_round_trips() -> None:
    schema = _schema(share=0.25)
    document = schema.to_dict()
    assert document["features"][0]["pattern"] == {"regex": ID, "max_mismatch_fraction": 0.25}
    assert Schema.from_dict(document) == schema


def test_the_dataset_fails_when_the_share_is_over_the_allowed_one() -> None:
    table = pa.table({"id": ["N1A1", "N2A2", "bad", "N3A1"]})
    for share, fails in ((0.0, True), (0.2, True), (0.25, False), (0.5, False)):
        report = check_dataset(table, _schema(share=share)).report
        found = [a for a in report.anomalies if a.code is AnomalyCode.STRING_PATTERN_MISMATCH]
        assert bool(found) is fails, share
        if fails:
            assert found[0].path == "id" and found[0].measured == pytest.approx(0.25)


def test_the_dataset_share_is_counted_when_rows_are_quarantined_too() -> None:
    table = pa.table({"id": ["N1A1", "bad"]})
    seen: list[CheckedBatch] = []
    report = check_dataset(table, _schema(), on_quarantine=seen.append).report
    assert [a.code for a in report.anomalies] == [AnomalyCode.STRING_PATTERN_MISMATCH]
    assert sum(c.quarantined.num_rows for c in seen) == 1


def test_tfdv_round_trip_keeps_the_pattern() -> None:
    pytest.importorskip("tensorflow_metadata")
    from datacheck.schema import from_tfdv, to_tfdv

    schema = _schema(r"[a-z]+,=\"x\"", share=0.1)
    assert from_tfdv(to_tfdv(schema)) == schema


def test_json_schema_exports_an_anchored_pattern_where_the_dialects_agree() -> None:
    exported = to_json_schema(_schema(presence=Presence(min_fraction=1.0)))
    assert exported["properties"]["id"]["pattern"] == rf"^(?:{ID})$"


def test_json_schema_leaves_out_a_pattern_ecma_reads_otherwise() -> None:
    exported = to_json_schema(_schema(r"(?i)n\d+", presence=Presence(min_fraction=1.0)))
    node = exported["properties"]["id"]
    assert "pattern" not in node and "inline flags" in node["$comment"]


@pytest.mark.parametrize(
    ("regex", "ecma", "python"),
    [
        (ID, True, True),
        (r"\p{Lu}+", False, False),
        (r"[[:alpha:]]+", False, False),
        (r"(?P<x>a)b", False, True),
        (r"\s+", False, True),
        (r"\\s", True, True),  # a literal backslash, then s
        (r"a\z", False, False),
    ],
)
def test_dialect_differences_are_named(regex: str, ecma: bool, python: bool) -> None:
    assert (ecma_problem(regex) is None) is ecma
    assert (python_problem(regex) is None) is python


def test_adding_a_pattern_tightens_and_changing_it_breaks_both_ways() -> None:
    plain = Schema(features=(Feature(name="id", type=FeatureType.STRING),))
    [added] = diff_schemas(plain, _schema())
    assert added.kind is ChangeKind.CONSTRAINT_TIGHTENED
    assert not added.backward_compatible and added.forward_compatible
    [changed] = diff_schemas(_schema(), _schema("N\\d+"))
    assert changed.kind is ChangeKind.PATTERN_CHANGED
    assert not changed.backward_compatible and not changed.forward_compatible
    [looser] = diff_schemas(_schema(), _schema(share=0.1))
    assert looser.kind is ChangeKind.CONSTRAINT_LOOSENED


def test_a_string_domain_and_a_pattern_both_apply() -> None:
    schema = _schema(domain=StringDomain(values=("N1A1", "bad")))
    table = pa.table({"id": ["N1A1", "bad", "other"]})
    assert _reasons(table, schema) == {
        1: ["STRING_PATTERN_MISMATCH"],
        2: ["ENUM_TYPE_UNEXPECTED_STRING_VALUES", "STRING_PATTERN_MISMATCH"],
    }


def test_python_fullmatch_agrees_on_a_common_pattern() -> None:
    values = ["N1A1", "N01A2", "NA1", "n1a1", "N1A1 ", ""]
    table = pa.table({"id": values})
    failed = set(_reasons(table, _schema()))
    assert failed == {i for i, v in enumerate(values) if not re.fullmatch(ID, v, re.ASCII)}


@pytest.mark.parametrize("encode", [False, True])
def test_with_a_matching_domain_only_outside_values_are_matched(encode: bool) -> None:
    # Every domain value matches, so the pattern is tested on the values outside it alone.
    schema = _schema(domain=StringDomain(values=("N1A1", "N2A1")))
    values = pa.array(["N1A1", "N2A2", "zz", None, "N2A1", "zz"])
    table = pa.table({"id": values.dictionary_encode() if encode else values})
    assert _reasons(table, schema) == {
        1: ["ENUM_TYPE_UNEXPECTED_STRING_VALUES"],
        2: ["ENUM_TYPE_UNEXPECTED_STRING_VALUES", "STRING_PATTERN_MISMATCH"],
        5: ["ENUM_TYPE_UNEXPECTED_STRING_VALUES", "STRING_PATTERN_MISMATCH"],
    }
