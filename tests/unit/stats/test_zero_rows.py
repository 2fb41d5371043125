"""Zero rows are data: profiled, merged, inferred from and validated like any other data."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pyarrow as pa
import pytest

from datacheck import AnomalyCode, FeatureType, infer_schema, validate_statistics
from datacheck.schema import DatasetConstraints
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics, merge_profiles

_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas" / "statistics.v1.json").read_text()
)

COLUMNS = {
    "i": [3, 1, None, 4],
    "f": [1.5, None, 2.5, 0.0],
    "s": ["a", "b", "a", None],
    "b": [True, None, False, True],
    "l": [[1, 2], [], None, [3]],
    "by": [b"x", b"yz", None, b""],
    "w": [1.0, 2.0, 0.5, 1.0],
}


def _full() -> pa.Table:
    return pa.table(COLUMNS)


def _empty() -> pa.Table:
    return _full().slice(0, 0)


def test_zero_rows_keep_every_column_as_a_feature_of_its_type() -> None:
    profile = generate_statistics(_empty())
    full = generate_statistics(_full())
    assert profile.num_rows == 0
    assert {p: f.type for p, f in profile.features.items()} == {
        p: f.type for p, f in full.features.items()
    }
    for feature in profile.features.values():
        assert (feature.num_present, feature.num_missing, feature.presence) == (0, 0, 0.0)


@pytest.mark.parametrize(
    "options", [StatsOptions(), StatsOptions(weight="w", slice_by=("s",))], ids=["plain", "sliced"]
)
def test_a_profile_of_zero_rows_round_trips_through_its_json_schema(
    options: StatsOptions,
) -> None:
    profile = generate_statistics(_empty(), options)
    document = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    jsonschema.Draft202012Validator(_SCHEMA).validate(document)
    assert DatasetProfile.from_dict(document) == profile


@pytest.mark.parametrize("weighted", [False, True])
def test_merging_a_profile_of_zero_rows_changes_nothing(weighted: bool) -> None:
    options = StatsOptions(weight="w" if weighted else None)
    empty, full = generate_statistics(_empty(), options), generate_statistics(_full(), options)
    assert merge_profiles(empty, full) == full
    assert merge_profiles(full, empty) == full


def test_a_header_only_frame_and_table_agree() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"x": pandas.Series([], dtype="int64")})
    assert generate_statistics(frame).features["x"].type is FeatureType.INT


def test_inferred_from_zero_rows_no_feature_is_required() -> None:
    schema = infer_schema(generate_statistics(_empty()))
    assert [f.name for f in schema.features] == list(COLUMNS)
    for feature in schema.features:
        assert (feature.presence.min_fraction, feature.presence.min_count) == (0.0, 0)


def test_zero_rows_against_a_minimum_row_count_is_low_num_examples() -> None:
    schema = infer_schema(generate_statistics(_full()))
    schema = replace(schema, dataset=DatasetConstraints(min_row_count=1))
    report = validate_statistics(generate_statistics(_empty()), schema)
    codes = {a.code for a in report.anomalies}
    assert AnomalyCode.DATASET_LOW_NUM_EXAMPLES in codes
    # No fraction of zero rows is measured: nothing is "present in 0% of rows".
    assert AnomalyCode.FEATURE_TYPE_LOW_FRACTION_PRESENT not in codes


def test_zero_rows_against_an_inferred_schema_pass_without_a_minimum() -> None:
    schema = infer_schema(generate_statistics(_empty()))
    assert validate_statistics(generate_statistics(_empty()), schema).anomalies == ()


@pytest.mark.parametrize("empty_side", ["current", "baseline"])
def test_drift_against_an_empty_side_is_not_measured(empty_side: str) -> None:
    empty, full = generate_statistics(_empty()), generate_statistics(_full())
    current, baseline = (empty, full) if empty_side == "current" else (full, empty)
    report = validate_statistics(current, infer_schema(full), baseline=baseline)
    assert all(m.path is None for m in report.measurements)
    unavailable = {a.path for a in report.anomalies if a.code is AnomalyCode.STATS_NOT_AVAILABLE}
    assert unavailable == {"i", "f", "s", "b", "l", "w"}  # bytes have no distance
