"""validate_statistics: each check's code on the right feature, drift, and bad requests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest

from datacheck.errors import InputError, OptionError, ProfileFormatError
from datacheck.schema import (
    Comparator,
    ComparatorMethod,
    DatasetConstraints,
    DistributionConstraints,
    Feature,
    FloatDomain,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    UniqueConstraints,
    ValueCount,
)
from datacheck.schema import FeatureType as T
from datacheck.stats import generate_statistics
from datacheck.validate import AnomalyCode, Severity, validate_statistics

C = AnomalyCode
RNG = np.random.default_rng(3)


def _codes(table: pa.Table, schema: Schema, **kwargs: object) -> list[tuple[str, str | None]]:
    report = validate_statistics(generate_statistics(table), schema, **kwargs)  # type: ignore[arg-type]  # kwargs are the keyword options
    return [(str(a.code), a.path) for a in report.anomalies]


def _one(name: str, ftype: T, **kwargs: object) -> Schema:
    return Schema(features=(Feature(name=name, type=ftype, **kwargs),))  # type: ignore[arg-type]  # kwargs are Feature fields


def test_clean_data_has_no_anomaly() -> None:
    schema = _one("a", T.INT, domain=IntDomain(min=0, max=9))
    assert _codes(pa.table({"a": [1, 2, 3]}), schema) == []


def test_new_column() -> None:
    schema = _one("a", T.INT)
    assert _codes(pa.table({"a": [1], "b": ["x"]}), schema) == [("SCHEMA_NEW_COLUMN", "b")]


def test_missing_required_column() -> None:
    schema = Schema(
        features=(
            Feature(name="a", type=T.INT),
            Feature(name="gone", type=T.INT, presence=Presence(min_fraction=1.0)),
        )
    )
    assert _codes(pa.table({"a": [1]}), schema) == [("SCHEMA_MISSING_COLUMN", "gone")]


def test_missing_optional_column_is_fine() -> None:
    schema = Schema(features=(Feature(name="a", type=T.INT), Feature(name="opt", type=T.INT)))
    assert _codes(pa.table({"a": [1]}), schema) == []


def test_text_in_an_int_column() -> None:
    schema = _one("a", T.INT)
    assert _codes(pa.table({"a": ["1", "x"]}), schema) == [("UNEXPECTED_DATA_TYPE", "a")]


def test_bool_as_true_false_text_is_fine() -> None:
    assert _codes(pa.table({"b": ["true", "False"]}), _one("b", T.BOOL)) == []


def test_bool_with_other_text() -> None:
    codes = _codes(pa.table({"b": ["true", "maybe"]}), _one("b", T.BOOL))
    assert codes == [("BOOL_TYPE_UNEXPECTED_STRING", "b")]


def test_bool_as_text_that_never_reads_as_bool_is_a_type_change() -> None:
    codes = _codes(pa.table({"b": ["x", "y"]}), _one("b", T.BOOL))
    assert codes == [("UNEXPECTED_DATA_TYPE", "b")]


def test_bool_with_other_ints() -> None:
    codes = _codes(pa.table({"b": [0, 1, 2]}), _one("b", T.BOOL))
    assert codes == [("BOOL_TYPE_UNEXPECTED_INT", "b")]


def test_bool_with_fractional_floats() -> None:
    codes = _codes(pa.table({"b": [0.0, 0.5, 1.0]}), _one("b", T.BOOL))
    assert codes == [("BOOL_TYPE_UNEXPECTED_FLOAT", "b")]


def test_int_arriving_for_a_float_feature_is_fine() -> None:
    assert _codes(pa.table({"a": [1, 2]}), _one("a", T.FLOAT)) == []


def test_low_fraction_present() -> None:
    schema = _one("a", T.INT, presence=Presence(min_fraction=0.9))
    table = pa.table({"a": pa.array([1, None, None, 4], pa.int64())})
    assert _codes(table, schema) == [("FEATURE_TYPE_LOW_FRACTION_PRESENT", "a")]


def test_low_number_present() -> None:
    schema = _one("a", T.INT, presence=Presence(min_count=5))
    assert _codes(pa.table({"a": [1, 2]}), schema) == [("FEATURE_TYPE_LOW_NUMBER_PRESENT", "a")]


def test_not_present_at_all() -> None:
    schema = _one("a", T.INT, presence=Presence(min_fraction=0.5))
    table = pa.table({"a": pa.array([None, None], pa.int64())})
    assert _codes(table, schema) == [("FEATURE_TYPE_NOT_PRESENT", "a")]


def test_list_lengths() -> None:
    schema = _one("l", T.INT, value_count=ValueCount(min=1, max=2))
    table = pa.table({"l": [[1], [], [1, 2, 3]]})
    assert _codes(table, schema) == [
        ("FEATURE_TYPE_LOW_NUMBER_VALUES", "l"),
        ("FEATURE_TYPE_HIGH_NUMBER_VALUES", "l"),
    ]


def test_unexpected_strings_list_the_values_and_share() -> None:
    schema = _one("c", T.STRING, domain=StringDomain(values=("a", "b")))
    report = validate_statistics(
        generate_statistics(pa.table({"c": ["a", "b", "zz", "a"]})), schema
    )
    (a,) = report.anomalies
    assert a.code is C.ENUM_TYPE_UNEXPECTED_STRING_VALUES
    assert a.measured["values"] == ["zz"]
    assert a.measured["share"] == pytest.approx(0.25)


def test_min_domain_mass_tolerates_a_few_unexpected_values() -> None:
    schema = _one(
        "c",
        T.STRING,
        domain=StringDomain(values=("a",)),
        distribution=DistributionConstraints(min_domain_mass=0.7),
    )
    assert _codes(pa.table({"c": ["a", "a", "a", "zz"]}), schema) == []


def test_int_range() -> None:
    schema = _one("a", T.INT, domain=IntDomain(min=0, max=5))
    assert _codes(pa.table({"a": [-1, 9]}), schema) == [
        ("INT_TYPE_SMALL_INT", "a"),
        ("INT_TYPE_BIG_INT", "a"),
    ]


def test_float_range_nan_and_inf() -> None:
    schema = _one("f", T.FLOAT, domain=FloatDomain(max=1.0, disallow_nan=True, disallow_inf=True))
    table = pa.table({"f": [0.5, float("nan"), float("inf")]})
    assert _codes(table, schema) == [
        ("FLOAT_TYPE_BIG_FLOAT", "f"),
        ("FLOAT_TYPE_HAS_NAN", "f"),
        ("FLOAT_TYPE_HAS_INF", "f"),
    ]


def test_unique_bounds_are_warnings() -> None:
    schema = _one("c", T.STRING, unique=UniqueConstraints(max=1))
    report = validate_statistics(generate_statistics(pa.table({"c": ["a", "b", "c"]})), schema)
    (a,) = report.anomalies
    assert (a.code, a.severity) == (C.FEATURE_TYPE_HIGH_UNIQUE, Severity.WARNING)


def test_row_count_bounds() -> None:
    schema = Schema(
        features=(Feature(name="a", type=T.INT),), dataset=DatasetConstraints(min_row_count=5)
    )
    assert _codes(pa.table({"a": [1]}), schema) == [("DATASET_LOW_NUM_EXAMPLES", None)]


def test_row_count_ratio_against_the_baseline() -> None:
    schema = Schema(
        features=(Feature(name="a", type=T.INT),),
        dataset=DatasetConstraints(max_row_count_ratio=1.5),
    )
    baseline = generate_statistics(pa.table({"a": [1, 2]}))
    codes = _codes(pa.table({"a": [1, 2, 3, 4]}), schema, baseline=baseline)
    assert codes == [("COMPARATOR_HIGH_NUM_EXAMPLES", None)]


def test_severity_override_from_the_schema() -> None:
    schema = replace(
        _one("a", T.INT, domain=IntDomain(max=0)),
        severity_overrides={"INT_TYPE_BIG_INT": "warning"},
    )
    report = validate_statistics(generate_statistics(pa.table({"a": [3]})), schema)
    assert report.anomalies[0].severity is Severity.WARNING
    assert report.verdict == "pass"


def test_deprecated_feature_is_not_checked() -> None:
    schema = _one("a", T.INT, domain=IntDomain(max=0), lifecycle=Lifecycle.DEPRECATED)
    assert _codes(pa.table({"a": [3]}), schema) == []


def test_feature_outside_the_environment_is_not_checked() -> None:
    schema = Schema(
        features=(
            Feature(name="x", type=T.INT),
            Feature(
                name="label",
                type=T.INT,
                presence=Presence(min_fraction=1.0),
                not_in_environments=("SERVING",),
            ),
        ),
        default_environments=("TRAINING", "SERVING"),
    )
    assert _codes(pa.table({"x": [1]}), schema, environment="SERVING") == []


def _numeric_drift(threshold: float) -> Schema:
    comparator = Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=threshold)
    return _one("x", T.FLOAT, drift_comparator=comparator)


def test_shifted_distribution_is_drift() -> None:
    baseline = generate_statistics(pa.table({"x": RNG.normal(size=5000)}))
    current = pa.table({"x": RNG.normal(loc=2.0, size=5000)})
    codes = _codes(current, _numeric_drift(0.05), baseline=baseline)
    assert codes == [("COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH", "x")]


def test_same_distribution_is_no_drift_and_every_method_is_reported() -> None:
    baseline = generate_statistics(pa.table({"x": RNG.normal(size=5000)}))
    current = generate_statistics(pa.table({"x": RNG.normal(size=5000)}))
    report = validate_statistics(current, _numeric_drift(0.05), baseline=baseline)
    assert report.anomalies == ()
    assert {m.method for m in report.measurements} >= {"jensen_shannon", "psi", "ks", "wasserstein"}
    assert [m.method for m in report.measurements if m.enforced] == ["jensen_shannon"]


def test_categorical_skew_uses_l_infinity() -> None:
    comparator = Comparator(method=ComparatorMethod.L_INFINITY, threshold=0.1)
    schema = _one("c", T.STRING, skew_comparator=comparator)
    serving = generate_statistics(pa.table({"c": ["a"] * 50 + ["b"] * 50}))
    codes = _codes(pa.table({"c": ["a"] * 90 + ["b"] * 10}), schema, serving=serving)
    assert codes == [("COMPARATOR_L_INFTY_HIGH", "c")]


def test_comparison_without_statistics_says_so() -> None:
    baseline = generate_statistics(pa.table({"y": [1.0]}))
    schema = Schema(
        features=(
            Feature(
                name="x",
                type=T.FLOAT,
                drift_comparator=Comparator(method=ComparatorMethod.KS, threshold=0.1),
            ),
            Feature(name="y", type=T.FLOAT),
        )
    )
    codes = _codes(pa.table({"x": [1.0], "y": [1.0]}), schema, baseline=baseline)
    assert codes == [("STATS_NOT_AVAILABLE", "x")]


def test_schema_sharing_no_column_is_a_bad_request() -> None:
    with pytest.raises(InputError, match="share no name"):
        _codes(pa.table({"b": [1]}), _one("a", T.INT))


def test_unknown_environment_is_a_bad_request() -> None:
    schema = replace(_one("a", T.INT), default_environments=("TRAINING",))
    with pytest.raises(OptionError, match="PROD"):
        _codes(pa.table({"a": [1]}), schema, environment="PROD")


def test_baseline_of_another_format_version_is_a_bad_request() -> None:
    baseline = replace(generate_statistics(pa.table({"a": [1]})), format_version=99)
    with pytest.raises(ProfileFormatError, match="format_version 99"):
        _codes(pa.table({"a": [1]}), _one("a", T.INT), baseline=baseline)


def test_string_lengths_in_characters() -> None:
    schema = _one("t", T.STRING, string_length=StringLength(min=2, max=3))
    assert _codes(pa.table({"t": ["ab", "éèà", None]}), schema) == []
    assert _codes(pa.table({"t": ["a", "abcd"]}), schema) == [
        ("STRING_TYPE_SHORT_STRING", "t"),
        ("STRING_TYPE_LONG_STRING", "t"),
    ]
    [long] = validate_statistics(
        generate_statistics(pa.table({"t": ["ab", "😀😀😀😀"]})), schema
    ).anomalies
    assert (long.measured, long.expected) == ({"min": 2, "max": 4}, {"min": 2, "max": 3})
