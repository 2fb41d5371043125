"""The schema document: round trips and every kind of bad document."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from datacheck.errors import InputNotFoundError, SchemaFormatError
from datacheck.schema import (
    BoolDomain,
    Comparator,
    ComparatorMethod,
    DatasetConstraints,
    DistributionConstraints,
    Feature,
    FeatureType,
    FloatDomain,
    IntDomain,
    Lifecycle,
    MissingDrift,
    Presence,
    Schema,
    StringDomain,
    UniqueConstraints,
    ValueCount,
    load_schema,
    save_schema,
)


def full_schema() -> Schema:
    return Schema(
        version=4,
        description="every part set",
        default_environments=("TRAINING", "SERVING"),
        severity_overrides={"SCHEMA_NEW_COLUMN": "warning"},
        dataset=DatasetConstraints(
            min_row_count=10, max_row_count=1000, min_row_count_ratio=0.5, max_row_count_ratio=2.0
        ),
        features=(
            Feature(
                name="age",
                type=FeatureType.INT,
                presence=Presence(min_fraction=1.0, min_count=1),
                domain=IntDomain(min=0, max=130),
                drift_comparator=Comparator(method=ComparatorMethod.PSI, threshold=0.2),
                skew_comparator=Comparator(method=ComparatorMethod.KS, threshold=0.1),
                missing_drift=MissingDrift(threshold=0.3),
            ),
            Feature(
                name="score",
                type=FeatureType.FLOAT,
                domain=FloatDomain(min=-1.5, max=2.0, disallow_nan=True, disallow_inf=True),
                drift_comparator=Comparator(method=ComparatorMethod.WASSERSTEIN, threshold=0.3),
            ),
            Feature(
                name="color",
                type=FeatureType.STRING,
                presence=Presence(min_fraction=0.9),
                domain=StringDomain(values=("red", "green", "blue")),
                distribution=DistributionConstraints(min_domain_mass=0.99),
                unique=UniqueConstraints(min=1, max=3),
                severity_overrides={"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "warning"},
                description="paint",
            ),
            Feature(name="ok", type=FeatureType.BOOL, domain=BoolDomain()),
            Feature(
                name="tags",
                type=FeatureType.STRING,
                value_count=ValueCount(min=1, max=5),
                in_environments=("TRAINING",),
            ),
            Feature(
                name="label",
                type=FeatureType.FLOAT,
                not_in_environments=("SERVING",),
                lifecycle=Lifecycle.DEPRECATED,
            ),
        ),
    )


def document() -> dict[str, Any]:
    return full_schema().to_dict()


def problem(doc: Any) -> str:
    with pytest.raises(SchemaFormatError) as info:
        Schema.from_dict(doc, source="s.json")
    return str(info.value)


def test_dict_round_trip_keeps_every_part() -> None:
    assert Schema.from_dict(document()) == full_schema()


def test_file_round_trip(tmp_path: Path) -> None:
    save_schema(full_schema(), tmp_path / "s.json")
    assert load_schema(tmp_path / "s.json") == full_schema()


def test_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    save_schema(full_schema(), tmp_path / "s.json")
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_schema_pickles() -> None:
    assert pickle.loads(pickle.dumps(full_schema())) == full_schema()


def test_string_domain_values_are_sorted_and_unique() -> None:
    assert StringDomain(values=("b", "a", "b")).values == ("a", "b")


def test_severity_override_prefers_the_feature() -> None:
    s = full_schema()
    assert s.severity_override("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "color") == "warning"
    assert s.severity_override("SCHEMA_NEW_COLUMN", "color") == "warning"
    assert s.severity_override("INT_TYPE_BIG_INT", "age") is None


def test_features_in_environment_follow_tfdv_rules() -> None:
    s = full_schema()
    assert "tags" not in [f.name for f in s.features_in("SERVING")]
    assert "tags" in [f.name for f in s.features_in("TRAINING")]
    assert "label" not in [f.name for f in s.features_in(None)]  # deprecated


def test_unknown_key_is_named_with_its_pointer() -> None:
    doc = document()
    doc["features"][2]["domian"] = {}
    assert "s.json: /features/2/domian: Additional properties" in problem(doc)


def test_unknown_top_level_key_fails() -> None:
    doc = document()
    doc["featurs"] = []
    assert "s.json: /featurs:" in problem(doc)


def test_min_greater_than_max_names_the_pointer() -> None:
    doc = document()
    doc["features"][0]["domain"]["min"] = 200
    assert problem(doc).startswith("s.json: /features/0/domain/min: int domain min 200")


def test_value_count_min_greater_than_max_fails() -> None:
    doc = document()
    doc["features"][4]["value_count"] = {"min": 6, "max": 5}
    assert "/features/4/value_count/min" in problem(doc)


def test_string_length_only_on_string_features_and_min_at_most_max() -> None:
    doc = document()
    doc["features"][0]["string_length"] = {"max": 5}  # age, an int feature
    assert (
        "/features/0/string_length: string_length applies to string features only; 'age' is int"
    ) in problem(doc)
    doc = document()
    doc["features"][2]["string_length"] = {"min": 6, "max": 5}
    assert "/features/2/string_length/min: string length min 6" in problem(doc)


def test_row_count_min_greater_than_max_fails() -> None:
    doc = document()
    doc["dataset"]["min_row_count"] = 5000
    assert "/dataset/min_row_count: row count min 5000" in problem(doc)


def test_duplicate_feature_names_fail() -> None:
    doc = document()
    doc["features"][3]["name"] = "age"
    assert "/features/3/name: duplicate feature name 'age' (also /features/0)" in problem(doc)


def test_domain_kind_must_fit_the_type() -> None:
    doc = document()
    doc["features"][0]["domain"] = {"kind": "bool"}
    assert "/features/0/domain/kind: a bool domain cannot constrain a int feature" in problem(doc)


def test_bad_domain_value_type_fails() -> None:
    doc = document()
    doc["features"][1]["domain"]["min"] = "low"
    assert "/features/1/domain/min: 'low' is not of type 'number'" in problem(doc)


def test_unknown_comparator_method_fails() -> None:
    doc = document()
    doc["features"][0]["drift_comparator"]["method"] = "chi2"
    assert "/features/0/drift_comparator/method" in problem(doc)


def test_bad_severity_fails() -> None:
    doc = document()
    doc["severity_overrides"] = {"SCHEMA_NEW_COLUMN": "fatal"}
    assert "/severity_overrides/SCHEMA_NEW_COLUMN" in problem(doc)


def test_environment_in_and_not_in_fails() -> None:
    doc = document()
    doc["features"][4]["not_in_environments"] = ["TRAINING"]
    assert "/features/4/not_in_environments: environment 'TRAINING'" in problem(doc)


def test_newer_format_version_is_refused() -> None:
    doc = document()
    doc["format_version"] = 99
    assert problem(doc) == (
        "s.json: /format_version: 99 is newer than this release knows (1); "
        "upgrade datacheck to read it"
    )


def test_missing_format_version_is_refused() -> None:
    doc = document()
    del doc["format_version"]
    assert "/format_version: missing" in problem(doc)


def test_not_an_object_is_refused() -> None:
    assert "a schema document is a JSON object, not list" in problem([])


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format_version": 1,\n  "version": }')
    with pytest.raises(SchemaFormatError, match=r"bad\.json: malformed JSON at line 2 column"):
        load_schema(path)


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(document()).replace("130", "NaN"))
    with pytest.raises(SchemaFormatError, match="NaN is not a JSON number"):
        load_schema(path)


def test_missing_file_is_input_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such schema file"):
        load_schema(tmp_path / "nope.json")


def test_save_refuses_an_invalid_schema(tmp_path: Path) -> None:
    bad = Schema(
        features=(Feature(name="x", type=FeatureType.INT, domain=IntDomain(min=2, max=1)),)
    )
    with pytest.raises(SchemaFormatError, match="/features/0/domain/min"):
        save_schema(bad, tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_older_formats_are_migrated_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Format 1 is the first; a pretend format 0 that called "features" "columns" shows the chain.
    from datacheck.schema import _serde

    def from_0(doc: dict[str, Any]) -> dict[str, Any]:
        doc = dict(doc, format_version=1)
        doc["features"] = doc.pop("columns")
        return doc

    monkeypatch.setitem(_serde._MIGRATIONS, 0, from_0)
    old = {"format_version": 0, "version": 2, "columns": [{"name": "x", "type": "int"}]}
    assert Schema.from_dict(old).feature_names == ("x",)


def test_format_with_no_migration_is_refused() -> None:
    doc = document()
    doc["format_version"] = 0
    assert "/format_version: 0 is not a datacheck schema format" in problem(doc)


def test_save_refuses_what_would_not_load(tmp_path: Path) -> None:
    bad = Schema(
        features=(Feature(name="x", type=FeatureType.INT, presence=Presence(min_fraction=2.0)),)
    )
    with pytest.raises(SchemaFormatError, match="/features/0/presence/min_fraction"):
        save_schema(bad, tmp_path / "s.json")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_nan(tmp_path: Path) -> None:
    nan = Comparator(method=ComparatorMethod.PSI, threshold=float("nan"))
    bad = Schema(features=(Feature(name="x", type=FeatureType.INT, drift_comparator=nan),))
    with pytest.raises(SchemaFormatError, match="/features/0/drift_comparator/threshold: NaN"):
        save_schema(bad, tmp_path / "s.json")


def test_missing_drift_is_written_with_its_method() -> None:
    (age,) = [f for f in document()["features"] if f["name"] == "age"]
    assert age["missing_drift"] == {"method": "cohens_h", "threshold": 0.3}


def test_missing_drift_takes_only_cohens_h() -> None:
    doc = document()
    doc["features"][0]["missing_drift"]["method"] = "psi"
    assert "/features/0/missing_drift/method" in problem(doc)


def test_a_profile_given_as_a_schema_is_named_and_sent_to_baseline(tmp_path: Path) -> None:
    import pyarrow as pa

    from datacheck.stats import generate_statistics, save_profile

    path = tmp_path / "profile.json"
    save_profile(generate_statistics(pa.table({"a": [1, 2, 3]})), path)
    with pytest.raises(SchemaFormatError) as info:
        load_schema(path)
    message = str(info.value)
    assert message.startswith(f"{path}: this is a profile")
    assert "baseline=" in message and "Additional properties" not in message
