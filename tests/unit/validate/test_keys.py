"""Unique keys: duplicates quarantined after the first row, nulls not compared, the key limit,
the hashing of each Arrow type, the schema document, TFDV, diffs and the report."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pytest

from datacheck.errors import SchemaFormatError
from datacheck.schema import (
    ChangeKind,
    Feature,
    FeatureType,
    Schema,
    diff_schemas,
    to_json_schema,
)
from datacheck.validate import (
    AnomalyCode,
    Severity,
    ValidationOptions,
    check_dataset,
    validate_batches,
)
from datacheck.validate._keys import KeyTracker, key_hashes


def _schema(*keys: tuple[str, ...], types: dict[str, FeatureType] | None = None) -> Schema:
    types = types or {"a": FeatureType.STRING, "b": FeatureType.INT}
    features = tuple(Feature(name=n, type=t) for n, t in types.items())
    return Schema(features=features, unique_keys=keys)


def _quarantined(
    table: pa.Table, schema: Schema, size: int = 2, max_keys: int | None = None
) -> dict[int, list[dict[str, str]]]:
    out = {}
    offset = 0
    for checked in validate_batches(
        table.to_batches(max_chunksize=size), schema, max_keys=max_keys
    ):
        reasons = checked.quarantined.column("datacheck_reasons").to_pylist()
        for row, r in zip(checked.quarantined_rows, reasons, strict=True):
            out[offset + int(row)] = r
        offset += checked.batch.num_rows
    return out


def test_the_first_row_with_a_key_passes_and_later_ones_are_quarantined() -> None:
    table = pa.table({"a": ["x", "y", "x", "z", "x", "y"], "b": [1, 2, 3, 4, 5, 6]})
    found = _quarantined(table, _schema(("a",)))
    assert found == {i: [{"code": "DUPLICATE_KEY", "feature": "a"}] for i in (2, 4, 5)}


def test_a_compound_key_compares_every_part() -> None:
    table = pa.table({"a": ["x", "x", "y", "x"], "b": [1, 2, 1, 1]})
    found = _quarantined(table, _schema(("a", "b")))
    assert found == {3: [{"code": "DUPLICATE_KEY", "feature": "a,b"}]}


def test_rows_with_a_missing_key_part_are_not_compared() -> None:
    table = pa.table({"a": ["x", None, None, "x"], "b": [None, 1, 1, None]})
    assert _quarantined(table, _schema(("a", "b"))) == {}


def test_parts_are_not_confused_across_columns() -> None:
    # ("ab", "c") and ("a", "bc") concatenate alike; a key is not its concatenation.
    table = pa.table({"a": ["ab", "a"], "c": ["c", "bc"]})
    schema = _schema(("a", "c"), types={"a": FeatureType.STRING, "c": FeatureType.STRING})
    assert _quarantined(table, schema) == {}


def test_a_duplicate_that_fails_another_check_gets_both_reasons() -> None:
    from datacheck.schema import StringPattern

    schema = Schema(
        features=(
            Feature(name="a", type=FeatureType.STRING, pattern=StringPattern(regex="[a-z]")),
        ),
        unique_keys=(("a",),),
    )
    table = pa.table({"a": ["Q", "x", "Q"]})
    assert _quarantined(table, schema, size=10) == {
        0: [{"code": "STRING_PATTERN_MISMATCH", "feature": "a"}],
        2: [
            {"code": "STRING_PATTERN_MISMATCH", "feature": "a"},
            {"code": "DUPLICATE_KEY", "feature": "a"},
        ],
    }


def test_past_max_keys_the_key_is_not_checked_and_the_report_says_so() -> None:
    # Keys by first row: 0 (row 0), 1 (2), 2 (3), 3 (4), 4 (5), 5 (6): the sixth does not fit.
    values = ["0", "0", *(str(i) for i in range(1, 10)), "1"]
    table = pa.table({"a": values, "b": list(range(len(values)))})
    schema = _schema(("a",))
    checked = list(validate_batches(table.to_batches(max_chunksize=4), schema, max_keys=5))
    assert [c.unchecked_keys for c in checked] == [(), ("a",), ("a",)]
    assert [c.quarantined_rows.tolist() for c in checked] == [[1], [], []]
    report = check_dataset(table, schema, options=ValidationOptions(max_keys=5)).report
    assert [(a.code, a.severity) for a in report.anomalies] == [
        (AnomalyCode.DUPLICATE_KEY, Severity.ERROR),  # row 1, before the limit
        (AnomalyCode.KEY_NOT_CHECKED, Severity.WARNING),  # row 11 was not compared
    ]
    assert report.anomalies[0].measured == 1


def test_check_dataset_reports_duplicates_without_rows_wanted() -> None:
    table = pa.table({"a": ["x", "y", "x"], "b": [1, 2, 3]})
    report = check_dataset(table, _schema(("a",))).report
    [anomaly] = report.anomalies
    assert anomaly.code is AnomalyCode.DUPLICATE_KEY and anomaly.path == "a"
    assert anomaly.measured == 1 and report.verdict == "fail"


@pytest.mark.parametrize(
    ("values", "duplicates"),
    [
        (pa.array([1, 2, 1, 2**62, 2**62]), [2, 4]),
        (pa.array([1.5, -0.0, 0.0, float("nan"), float("nan"), 1.5]), [2, 4, 5]),
        (pa.array([True, False, True]), [2]),
        (pa.array([b"\x00", b"", b"\x00\x00", b"\x00"]), [3]),
        (pa.array(["é", "e", "é", ""]).dictionary_encode(), [2]),
        (pa.array([datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)] * 2), [2, 3]),
        (pa.array([10**6, 10**6], pa.timestamp("us", "UTC")), [1]),
        (pa.array(["a" * 1000, "a" * 999 + "b", "a" * 1000]), [2]),
    ],
)
def test_each_type_finds_exactly_its_duplicates(values: pa.Array, duplicates: list[int]) -> None:
    tracker = KeyTracker(("k",), 100)
    found = tracker.duplicates(pa.table({"k": values}))
    assert found is not None and found.tolist() == duplicates


def test_an_integral_float_is_the_same_key_as_the_integer() -> None:
    # A column read as int64 in one file and float64 in another.
    tracker = KeyTracker(("k",), 100)
    assert tracker.duplicates(pa.table({"k": pa.array([1, 2])})).tolist() == []  # type: ignore[union-attr]
    assert tracker.duplicates(pa.table({"k": pa.array([2.0, 3.0])})).tolist() == [0]  # type: ignore[union-attr]


def test_many_batches_find_every_duplicate_across_merged_runs() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 5_000, 20_000)
    tracker = KeyTracker(("k",), 10**6)
    found: list[int] = []
    for start in range(0, values.size, 997):
        rows = tracker.duplicates(pa.table({"k": values[start : start + 997]}))
        assert rows is not None
        found += (rows + start).tolist()
    _, first = np.unique(values, return_index=True)
    expected = sorted(set(range(values.size)) - set(first.tolist()))
    assert found == expected
    assert tracker.size == np.unique(values).size


def test_hashes_of_distinct_strings_differ() -> None:
    strings = pa.array([f"id-{i}" for i in range(50_000)] + ["", "a", "aa", "\x00"])
    h1, h2, complete = key_hashes(pa.table({"k": strings}), ("k",))
    assert complete.all()
    pairs = set(zip(h1.tolist(), h2.tolist(), strict=True))
    assert len(pairs) == len(strings)


def test_a_key_naming_an_unknown_feature_is_a_schema_error() -> None:
    document = _schema(("a",)).to_dict()
    document["unique_keys"] = [["a", "nope"]]
    with pytest.raises(SchemaFormatError, match=r"/unique_keys/0/1.*'nope'"):
        Schema.from_dict(document)


def test_the_document_round_trips() -> None:
    schema = _schema(("a",), ("a", "b"))
    document = schema.to_dict()
    assert document["unique_keys"] == [["a"], ["a", "b"]]
    assert Schema.from_dict(document) == schema


def test_tfdv_round_trip_keeps_the_keys() -> None:
    pytest.importorskip("tensorflow_metadata")
    from datacheck.schema import from_tfdv, to_tfdv

    schema = _schema(("a",), ("b", "a"))
    assert from_tfdv(to_tfdv(schema)) == schema


def test_adding_a_key_tightens_and_removing_it_loosens() -> None:
    [added] = diff_schemas(_schema(), _schema(("a", "b")))
    assert added.kind is ChangeKind.CONSTRAINT_TIGHTENED and not added.backward_compatible
    [removed] = diff_schemas(_schema(("a", "b")), _schema())
    assert removed.kind is ChangeKind.CONSTRAINT_LOOSENED and removed.backward_compatible
    assert diff_schemas(_schema(("a", "b")), _schema(("b", "a"))) == []


def test_json_schema_cannot_express_a_key() -> None:
    # A key is about many records; one record's JSON Schema is the same with or without it.
    assert to_json_schema(_schema(("a",))) == to_json_schema(_schema())


def test_the_report_document_holds_the_new_codes() -> None:
    from datacheck.validate import ValidationReport

    table = pa.table({"a": ["x", "x"], "b": [1, 2]})
    report = check_dataset(table, _schema(("a",))).report
    assert ValidationReport.from_dict(report.to_dict()).anomalies == report.anomalies
