"""TFDV schema.pbtxt interop: round trip, and a TFDV-written schema means the same here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from datacheck.errors import SchemaFormatError
from datacheck.schema import (
    Comparator,
    ComparatorMethod,
    Feature,
    FeatureType,
    FloatDomain,
    IntDomain,
    Lifecycle,
    MissingDrift,
    Presence,
    Schema,
    StringDomain,
    ValueCount,
    load_tfdv_schema,
    save_tfdv_schema,
    to_tfdv,
)

pytest.importorskip("tensorflow_metadata", reason="needs the tfdv extra")

from google.protobuf import text_format  # only after the extra is known present

# A schema as TFDV's infer_schema writes it, plus hand edits TFDV users make.
TFDV_PBTXT = """
feature {
  name: "trip_miles"
  type: FLOAT
  float_domain { min: 0.0 max: 500.0 disallow_nan: true }
  presence { min_fraction: 1.0 min_count: 1 }
  shape { dim { size: 1 } }
  drift_comparator { jensen_shannon_divergence { threshold: 0.01 } }
}
feature {
  name: "payment_type"
  type: BYTES
  domain: "payment_type"
  presence { min_fraction: 0.9 min_count: 1 }
  value_count { min: 1 max: 1 }
  skew_comparator { infinity_norm { threshold: 0.01 } }
  distribution_constraints { min_domain_mass: 0.95 }
  not_in_environment: "SERVING"
}
feature {
  name: "tips"
  type: INT
  bool_domain { }
  value_count { min: 1 max: 1 }
}
feature {
  name: "pickup"
  type: STRUCT
  struct_domain {
    feature { name: "lat" type: FLOAT value_count { min: 1 max: 1 } }
  }
}
feature {
  name: "words"
  type: BYTES
  value_count { min: 0 max: 20 }
  lifecycle_stage: DEPRECATED
  annotation { comment: "free text" }
}
string_domain { name: "payment_type" value: "Cash" value: "Credit Card" }
default_environment: "TRAINING"
default_environment: "SERVING"
dataset_constraints {
  min_examples_count: 100
  num_examples_drift_comparator { min_fraction_threshold: 0.8 max_fraction_threshold: 1.2 }
}
"""


@pytest.fixture
def tfdv_schema(tmp_path: Path) -> Schema:
    path = tmp_path / "schema.pbtxt"
    path.write_text(TFDV_PBTXT)
    return load_tfdv_schema(path)


def full_schema() -> Schema:
    return Schema(
        version=5,
        description="round trip",
        default_environments=("TRAINING", "SERVING"),
        severity_overrides={"SCHEMA_NEW_COLUMN": "warning"},
        features=(
            Feature(
                name="age",
                type=FeatureType.INT,
                presence=Presence(min_fraction=1.0, min_count=1),
                domain=IntDomain(min=0, max=130),
                drift_comparator=Comparator(method=ComparatorMethod.PSI, threshold=0.2),
                skew_comparator=Comparator(method=ComparatorMethod.L_INFINITY, threshold=0.1),
                missing_drift=MissingDrift(threshold=0.22),
            ),
            Feature(
                name="score",
                type=FeatureType.FLOAT,
                domain=FloatDomain(min=-0.1, max=2.3, disallow_nan=True, disallow_inf=True),
                drift_comparator=Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.05),
            ),
            Feature(
                name="color",
                type=FeatureType.STRING,
                domain=StringDomain(values=("a", "b")),
                severity_overrides={"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "warning"},
                description="paint",
                not_in_environments=("SERVING",),
            ),
            Feature(name="ok", type=FeatureType.BOOL),
            Feature(name="day", type=FeatureType.DATE),
            Feature(name="blob", type=FeatureType.BYTES),
            Feature(name="one", type=FeatureType.INT, value_count=ValueCount(min=1, max=1)),
            Feature(name="user.id", type=FeatureType.INT, lifecycle=Lifecycle.DEPRECATED),
            Feature(
                name="user.geo.lat",
                type=FeatureType.FLOAT,
                drift_comparator=Comparator(method=ComparatorMethod.WASSERSTEIN, threshold=0.3),
            ),
        ),
    )


def test_pbtxt_round_trip_is_lossless(tmp_path: Path) -> None:
    save_tfdv_schema(full_schema(), tmp_path / "schema.pbtxt")
    assert load_tfdv_schema(tmp_path / "schema.pbtxt") == full_schema()


def test_written_float_bounds_never_narrow_the_range() -> None:
    proto = to_tfdv(full_schema())
    score = next(f for f in proto.feature if f.name == "score")
    assert score.float_domain.min <= -0.1 and score.float_domain.max >= 2.3


def test_tfdv_comparators_are_written_natively() -> None:
    text = text_format.MessageToString(to_tfdv(full_schema()))
    assert "infinity_norm" in text and "jensen_shannon_divergence" in text


def test_psi_has_no_tfdv_field_and_rides_in_a_tag() -> None:
    proto = to_tfdv(full_schema())
    age = next(f for f in proto.feature if f.name == "age")
    assert not age.HasField("drift_comparator")
    assert "datacheck:drift_comparator=psi:0.2" in age.annotation.tag


def test_scalars_are_single_valued_for_tfdv() -> None:
    proto = to_tfdv(full_schema())
    age = next(f for f in proto.feature if f.name == "age")
    assert (age.value_count.min, age.value_count.max) == (1, 1)


def test_struct_paths_become_struct_features() -> None:
    proto = to_tfdv(full_schema())
    user = next(f for f in proto.feature if f.name == "user")
    assert [f.name for f in user.struct_domain.feature] == ["id", "geo"]


def test_tfdv_float_feature(tfdv_schema: Schema) -> None:
    f = tfdv_schema.feature("trip_miles")
    assert f.type is FeatureType.FLOAT
    assert f.domain == FloatDomain(min=0.0, max=500.0, disallow_nan=True)
    assert f.presence == Presence(min_fraction=1.0, min_count=1)
    assert f.drift_comparator == Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.01)


def test_tfdv_named_string_domain(tfdv_schema: Schema) -> None:
    f = tfdv_schema.feature("payment_type")
    assert (f.type, f.domain) == (FeatureType.STRING, StringDomain(values=("Cash", "Credit Card")))
    assert f.value_count is None  # TFDV's single-valued mark
    assert f.distribution.min_domain_mass == 0.95
    assert f.skew_comparator.method is ComparatorMethod.L_INFINITY
    assert f.not_in_environments == ("SERVING",)


def test_tfdv_bool_domain_on_int_is_zero_or_one(tfdv_schema: Schema) -> None:
    f = tfdv_schema.feature("tips")
    assert (f.type, f.domain) == (FeatureType.INT, IntDomain(min=0, max=1))


def test_tfdv_struct_becomes_dotted_path(tfdv_schema: Schema) -> None:
    assert tfdv_schema.feature("pickup.lat").type is FeatureType.FLOAT


def test_tfdv_lists_lifecycle_and_comment(tfdv_schema: Schema) -> None:
    f = tfdv_schema.feature("words")
    assert f.value_count == ValueCount(min=0, max=20)
    assert (f.lifecycle, f.description) == (Lifecycle.DEPRECATED, "free text")


def test_tfdv_dataset_constraints(tfdv_schema: Schema) -> None:
    d = tfdv_schema.dataset
    assert (d.min_row_count, d.min_row_count_ratio, d.max_row_count_ratio) == (100, 0.8, 1.2)
    assert tfdv_schema.default_environments == ("TRAINING", "SERVING")


def test_normalized_abs_difference_warns_and_drops(tmp_path: Path) -> None:
    path = tmp_path / "s.pbtxt"
    path.write_text(
        'feature { name: "x" type: FLOAT '
        "drift_comparator { normalized_abs_difference { threshold: 0.1 } } }"
    )
    with pytest.warns(UserWarning, match="normalized_abs_difference has no datacheck equivalent"):
        schema = load_tfdv_schema(path)
    assert schema.feature("x").drift_comparator is None


def test_undefined_named_domain_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.pbtxt"
    path.write_text('feature { name: "x" type: BYTES domain: "nope" }')
    with pytest.raises(SchemaFormatError, match="domain 'nope' is not defined at schema level"):
        load_tfdv_schema(path)


def test_malformed_pbtxt_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.pbtxt"
    path.write_text("feature { name: ")
    with pytest.raises(SchemaFormatError, match=r"s\.pbtxt: not a TFDV schema"):
        load_tfdv_schema(path)


def test_min_above_max_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.pbtxt"
    path.write_text('feature { name: "x" type: INT int_domain { min: 5 max: 1 } }')
    with pytest.raises(SchemaFormatError, match="/features/0/domain/min"):
        load_tfdv_schema(path)


def test_round_trip_keeps_an_inferred_schema(tmp_path: Path) -> None:
    schema = replace(full_schema(), features=full_schema().features[:3])
    save_tfdv_schema(schema, tmp_path / "a.pbtxt")
    save_tfdv_schema(load_tfdv_schema(tmp_path / "a.pbtxt"), tmp_path / "b.pbtxt")
    assert (tmp_path / "a.pbtxt").read_text() == (tmp_path / "b.pbtxt").read_text()


def test_missing_drift_has_no_tfdv_field_and_rides_in_a_tag() -> None:
    proto = to_tfdv(full_schema())
    age = next(f for f in proto.feature if f.name == "age")
    assert "datacheck:missing_drift=0.22" in age.annotation.tag
