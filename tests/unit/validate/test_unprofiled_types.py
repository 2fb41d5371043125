"""Durations, maps and types datacheck cannot profile: data must pass its own schema.

The real case: a Parquet file with a duration and a map column failed the schema inferred from
itself forever, with SCHEMA_NEW_COLUMN for the columns the schema could not describe.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck import generate_statistics
from datacheck.io import read_batches
from datacheck.schema import (
    Schema,
    TimeType,
    from_tfdv,
    infer_schema,
    to_json_schema,
    to_tfdv,
    update_schema,
)
from datacheck.validate import AnomalyCode, validate_batches, validate_statistics

C = AnomalyCode


def _durations_and_maps(n: int = 40) -> pa.Table:
    maps = [None if i % 7 == 0 else {f"k{i % 3}": i, "z": None} for i in range(n)]
    return pa.table(
        {
            "took": pa.array([datetime.timedelta(milliseconds=10 * i) for i in range(n)]).cast(
                pa.duration("ms")
            ),
            "tags": pa.array(maps, pa.map_(pa.string(), pa.int64())),
            "x": pa.array(range(n)),
        }
    )


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "durations_and_maps.parquet"
    pq.write_table(_durations_and_maps(), path)
    return path


def _union(n: int) -> pa.Array:
    types = pa.array([i % 2 for i in range(n)], pa.int8())
    offsets = pa.array([i // 2 for i in range(n)], pa.int32())
    ints = pa.array(range((n + 1) // 2), pa.int64())
    texts = pa.array([f"s{i}" for i in range(n // 2)])
    return pa.UnionArray.from_dense(types, offsets, [ints, texts], ["a", "b"])


def test_durations_and_maps_are_profiled(parquet: Path) -> None:
    profile = generate_statistics(parquet)
    assert profile.skipped == ()
    took = profile.features["took"]
    assert (took.type, took.arrow_type) == ("duration", "duration[ms]")
    assert took.numeric is not None and took.numeric.max == 390
    keys, values = profile.features["tags.key"], profile.features["tags.value"]
    assert (keys.type, values.type) == ("string", "int")
    assert keys.num_missing == values.num_missing == 6
    assert keys.value_counts is not None and keys.value_counts.max == 2


def test_durations_and_maps_pass_their_own_schema(parquet: Path) -> None:
    profile = generate_statistics(parquet)
    schema = infer_schema(profile)
    assert schema.feature("took").time == TimeType(unit="ms")
    assert validate_statistics(profile, schema).anomalies == ()
    (checked,) = validate_batches(read_batches(parquet), schema)
    assert checked.quarantined.num_rows == 0


def test_map_values_are_checked_row_by_row(parquet: Path) -> None:
    schema = infer_schema(generate_statistics(parquet))
    strings = pa.array([{"a": "x"}] * 3, pa.map_(pa.string(), pa.string()))
    bad = _durations_and_maps(3).set_column(1, "tags", strings)
    (checked,) = validate_batches(bad.to_batches(), schema)
    assert checked.quarantined_rows.tolist() == [0, 1, 2]
    assert "UNEXPECTED_DATA_TYPE" in str(checked.quarantined.column("datacheck_reasons"))


def test_a_duration_in_another_unit_warns() -> None:
    schema = infer_schema(generate_statistics(_durations_and_maps()))
    seconds = _durations_and_maps().set_column(0, "took", pa.array(range(40), pa.duration("s")))
    codes = {a.code for a in validate_statistics(generate_statistics(seconds), schema).anomalies}
    assert codes == {C.TIME_UNIT_CHANGED}


def test_a_column_that_cannot_be_profiled_is_recorded_not_new() -> None:
    table = pa.table({"u": _union(10), "x": range(10)})
    profile = generate_statistics(table)
    assert [s.path for s in profile.skipped] == ["u"]
    schema = infer_schema(profile)
    u = schema.feature("u")
    assert u is not None and u.skipped and u.type == "null"
    assert u.arrow_type == profile.skipped[0].arrow_type
    assert validate_statistics(profile, schema).anomalies == ()
    (checked,) = validate_batches(table.to_batches(), schema)
    assert checked.quarantined.num_rows == 0
    # A truly new column is still new.
    more = table.append_column("v", _union(10))
    report = validate_statistics(generate_statistics(more), schema)
    assert [(a.code, a.path) for a in report.anomalies] == [(C.SCHEMA_NEW_COLUMN, "v")]


def test_a_skipped_column_that_changes_type_is_reported() -> None:
    table = pa.table({"u": _union(10), "x": range(10)})
    schema = infer_schema(generate_statistics(table))
    changed = table.set_column(0, "u", pa.array(range(10)))
    report = validate_statistics(generate_statistics(changed), schema)
    assert [(a.code, a.path) for a in report.anomalies] == [(C.UNEXPECTED_DATA_TYPE, "u")]
    # Absent altogether, it is not required.
    assert validate_statistics(generate_statistics(table.drop(["u"])), schema).anomalies == ()


def test_update_records_a_new_skipped_column() -> None:
    table = pa.table({"x": range(10)})
    schema = infer_schema(generate_statistics(table))
    updated, _ = update_schema(schema, generate_statistics(table.append_column("u", _union(10))))
    u = updated.feature("u")
    assert u is not None and u.skipped


def test_new_fields_survive_json_tfdv_and_json_schema(parquet: Path) -> None:
    table = pa.table({"u": _union(4), "t": pa.array([0, 1, 2, 3], pa.timestamp("s", "UTC"))})
    schema = infer_schema(generate_statistics(table))
    schema = Schema(features=schema.features + infer_schema(generate_statistics(parquet)).features)
    assert Schema.from_dict(schema.to_dict()) == schema
    assert from_tfdv(to_tfdv(schema)) == schema
    document = to_json_schema(schema)
    jsonschema.Draft202012Validator.check_schema(document)
    record = {"u": 3, "t": "2024-01-01T00:00:00Z", "took": "PT1S", "x": 1}
    record["tags"] = {"key": ["k1", "z"], "value": [1, 2]}
    jsonschema.validate(record, document)
