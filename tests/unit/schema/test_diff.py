"""diff_schemas classifies each change; check_compatible applies registry modes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from datacheck.errors import OptionError
from datacheck.schema import (
    BoolDomain,
    ChangeKind,
    Comparator,
    ComparatorMethod,
    CompatibilityMode,
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
    SchemaChange,
    StringDomain,
    StringLength,
    UniqueConstraints,
    ValueCount,
    check_compatible,
    diff_schemas,
)

BASE = Feature(
    name="f",
    type=FeatureType.INT,
    presence=Presence(min_fraction=0.5, min_count=10),
    domain=IntDomain(min=0, max=10),
    value_count=ValueCount(min=1, max=3),
    unique=UniqueConstraints(min=2, max=20),
    distribution=DistributionConstraints(min_domain_mass=0.9),
    drift_comparator=Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.05),
)


def one(old: Feature, new: Feature) -> SchemaChange:
    [change] = diff_schemas(Schema(features=(old,)), Schema(features=(new,)))
    return change


def classified(change: SchemaChange) -> tuple[ChangeKind, bool, bool]:
    return change.kind, change.backward_compatible, change.forward_compatible


def test_equal_schemas_have_no_changes() -> None:
    assert diff_schemas(Schema(features=(BASE,)), Schema(features=(BASE,), version=9)) == []


def test_new_optional_feature_is_compatible() -> None:
    new = Feature(name="g", type=FeatureType.STRING)
    [c] = diff_schemas(Schema(features=(BASE,)), Schema(features=(BASE, new)))
    assert classified(c) == (ChangeKind.FEATURE_ADDED, True, True)


def test_new_required_feature_is_breaking() -> None:
    new = Feature(name="g", type=FeatureType.STRING, presence=Presence(min_fraction=1.0))
    [c] = diff_schemas(Schema(features=(BASE,)), Schema(features=(BASE, new)))
    assert classified(c) == (ChangeKind.FEATURE_ADDED, False, True)
    assert c.breaking


def test_removed_required_feature_breaks_forward_only() -> None:
    [c] = diff_schemas(Schema(features=(BASE,)), Schema())
    assert classified(c) == (ChangeKind.FEATURE_REMOVED, True, False)


def test_removed_optional_feature_is_compatible() -> None:
    optional = Feature(name="g", type=FeatureType.STRING)
    [c] = diff_schemas(Schema(features=(optional,)), Schema())
    assert classified(c) == (ChangeKind.FEATURE_REMOVED, True, True)


def test_type_change_is_breaking_both_ways() -> None:
    c = one(BASE, replace(BASE, type=FeatureType.FLOAT, domain=None))
    assert classified(c) == (ChangeKind.TYPE_CHANGED, False, False)


def test_wider_range_is_compatible() -> None:
    c = one(BASE, replace(BASE, domain=IntDomain(min=0, max=11)))
    assert classified(c) == (ChangeKind.RANGE_WIDENED, True, False)
    assert (c.field, c.old, c.new) == ("domain.max", 10, 11)


def test_removed_bound_is_a_wider_range() -> None:
    c = one(BASE, replace(BASE, domain=IntDomain(min=None, max=10)))
    assert classified(c) == (ChangeKind.RANGE_WIDENED, True, False)


def test_narrowed_range_is_breaking() -> None:
    c = one(BASE, replace(BASE, domain=IntDomain(min=1, max=10)))
    assert classified(c) == (ChangeKind.RANGE_NARROWED, False, True)


def test_float_range_and_flags() -> None:
    old = Feature(name="x", type=FeatureType.FLOAT, domain=FloatDomain(min=0.0, max=1.0))
    new = replace(old, domain=FloatDomain(min=0.0, max=1.0, disallow_nan=True))
    assert classified(one(old, new)) == (ChangeKind.CONSTRAINT_TIGHTENED, False, True)
    assert classified(one(new, old)) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_new_domain_value_is_compatible() -> None:
    old = Feature(name="s", type=FeatureType.STRING, domain=StringDomain(values=("a",)))
    c = one(old, replace(old, domain=StringDomain(values=("a", "b"))))
    assert classified(c) == (ChangeKind.DOMAIN_VALUES_ADDED, True, False)
    assert c.new == ["b"]


def test_removed_domain_value_is_breaking() -> None:
    old = Feature(name="s", type=FeatureType.STRING, domain=StringDomain(values=("a", "b")))
    c = one(old, replace(old, domain=StringDomain(values=("a",))))
    assert classified(c) == (ChangeKind.DOMAIN_VALUES_REMOVED, False, True)
    assert c.old == ["b"]


def test_added_domain_is_breaking() -> None:
    c = one(replace(BASE, domain=None), BASE)
    assert classified(c) == (ChangeKind.DOMAIN_ADDED, False, True)


def test_removed_domain_is_compatible() -> None:
    c = one(BASE, replace(BASE, domain=None))
    assert classified(c) == (ChangeKind.DOMAIN_REMOVED, True, False)


def test_domain_kind_change_is_breaking_both_ways() -> None:
    old = Feature(name="b", type=FeatureType.STRING, domain=StringDomain(values=("a",)))
    # Not a valid schema (bool domain on a string), but the diff must still say something.
    c = one(old, replace(old, domain=BoolDomain()))
    assert classified(c) == (ChangeKind.DOMAIN_KIND_CHANGED, False, False)


def test_lower_presence_is_compatible() -> None:
    c = one(BASE, replace(BASE, presence=Presence(min_fraction=0.4, min_count=10)))
    assert classified(c) == (ChangeKind.PRESENCE_LOWERED, True, False)


def test_raised_presence_is_breaking() -> None:
    c = one(BASE, replace(BASE, presence=Presence(min_fraction=0.5, min_count=11)))
    assert classified(c) == (ChangeKind.PRESENCE_RAISED, False, True)
    assert c.field == "presence.min_count"


def test_value_count_bounds() -> None:
    c = one(BASE, replace(BASE, value_count=ValueCount(min=1, max=2)))
    assert classified(c) == (ChangeKind.RANGE_NARROWED, False, True)
    assert c.field == "value_count.max"


def test_unique_bounds() -> None:
    c = one(BASE, replace(BASE, unique=UniqueConstraints(min=1, max=20)))
    assert classified(c) == (ChangeKind.RANGE_WIDENED, True, False)
    assert c.field == "unique.min"


def test_domain_mass() -> None:
    c = one(BASE, replace(BASE, distribution=DistributionConstraints(min_domain_mass=1.0)))
    assert classified(c) == (ChangeKind.CONSTRAINT_TIGHTENED, False, True)


def test_comparator_threshold_raised_is_looser() -> None:
    comp = Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.1)
    c = one(BASE, replace(BASE, drift_comparator=comp))
    assert classified(c) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_comparator_added_is_stricter() -> None:
    comp = Comparator(method=ComparatorMethod.L_INFINITY, threshold=0.1)
    c = one(BASE, replace(BASE, skew_comparator=comp))
    assert classified(c) == (ChangeKind.CONSTRAINT_TIGHTENED, False, True)


def test_comparator_removed_is_looser() -> None:
    c = one(BASE, replace(BASE, drift_comparator=None))
    assert classified(c) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_comparator_method_change_is_breaking_both_ways() -> None:
    comp = Comparator(method=ComparatorMethod.PSI, threshold=0.05)
    c = one(BASE, replace(BASE, drift_comparator=comp))
    assert classified(c) == (ChangeKind.COMPARATOR_METHOD_CHANGED, False, False)


def test_environment_change_is_breaking_both_ways() -> None:
    c = one(BASE, replace(BASE, not_in_environments=("SERVING",)))
    assert classified(c) == (ChangeKind.ENVIRONMENTS_CHANGED, False, False)


def test_deprecation_is_looser() -> None:
    c = one(BASE, replace(BASE, lifecycle=Lifecycle.DEPRECATED))
    assert classified(c) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_description_change_is_compatible() -> None:
    c = one(BASE, replace(BASE, description="now documented"))
    assert classified(c) == (ChangeKind.DESCRIPTION_CHANGED, True, True)


def test_severity_lowered_to_warning_is_looser() -> None:
    c = one(BASE, replace(BASE, severity_overrides={"INT_TYPE_BIG_INT": "warning"}))
    assert classified(c) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_dataset_row_count_bounds() -> None:
    old = Schema(dataset=DatasetConstraints(min_row_count=10))
    [c] = diff_schemas(old, Schema(dataset=DatasetConstraints(min_row_count=100)))
    assert classified(c) == (ChangeKind.RANGE_NARROWED, False, True)
    assert (c.feature, c.field) == (None, "dataset.row_count.min")


def test_default_environments_change() -> None:
    [c] = diff_schemas(Schema(), Schema(default_environments=("TRAINING",)))
    assert classified(c) == (ChangeKind.ENVIRONMENTS_CHANGED, False, False)


def test_message_is_one_readable_line() -> None:
    c = one(BASE, replace(BASE, domain=IntDomain(min=0, max=11)))
    assert c.message == "feature 'f': domain.max: 10 -> 11"


def test_backward_mode_rejects_narrowing() -> None:
    new = replace(BASE, domain=IntDomain(min=1, max=10))
    result = check_compatible(Schema(features=(BASE,)), Schema(features=(new,)), "BACKWARD")
    assert not result.compatible
    assert [v.kind for v in result.violations] == [ChangeKind.RANGE_NARROWED]


def test_forward_mode_accepts_narrowing_and_rejects_widening() -> None:
    narrow = Schema(features=(replace(BASE, domain=IntDomain(min=1, max=10)),))
    wide = Schema(features=(replace(BASE, domain=IntDomain(min=-1, max=10)),))
    assert check_compatible(Schema(features=(BASE,)), narrow, CompatibilityMode.FORWARD)
    assert not check_compatible(Schema(features=(BASE,)), wide, CompatibilityMode.FORWARD)


def test_full_mode_rejects_both_directions() -> None:
    wide = Schema(features=(replace(BASE, domain=IntDomain(min=-1, max=10)),))
    assert check_compatible(Schema(features=(BASE,)), wide, "backward")
    assert not check_compatible(Schema(features=(BASE,)), wide, "FULL")


def test_full_mode_accepts_description_only_changes() -> None:
    documented = Schema(features=(replace(BASE, description="d"),))
    assert check_compatible(Schema(features=(BASE,)), documented, "FULL")


def test_unknown_mode_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="use one of BACKWARD, FORWARD, FULL"):
        check_compatible(Schema(), Schema(), "SIDEWAYS")


def test_string_length_bounds() -> None:
    old = Feature(name="t", type=FeatureType.STRING, string_length=StringLength(min=1, max=9))
    wider = replace(old, string_length=StringLength(min=1, max=20))
    assert classified(one(old, wider)) == (ChangeKind.RANGE_WIDENED, True, False)
    narrower = replace(old, string_length=StringLength(min=2, max=9))
    assert classified(one(old, narrower)) == (ChangeKind.RANGE_NARROWED, False, True)
    assert one(old, narrower).field == "string_length.min"


def test_missing_drift_added_is_stricter_and_removed_looser() -> None:
    guarded = replace(BASE, missing_drift=MissingDrift(threshold=0.22))
    added = one(BASE, guarded)
    assert classified(added) == (ChangeKind.CONSTRAINT_TIGHTENED, False, True)
    assert added.field == "missing_drift"
    removed = one(guarded, BASE)
    assert classified(removed) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)


def test_missing_drift_threshold_raised_is_looser() -> None:
    old = replace(BASE, missing_drift=MissingDrift(threshold=0.22))
    c = one(old, replace(BASE, missing_drift=MissingDrift(threshold=0.5)))
    assert classified(c) == (ChangeKind.CONSTRAINT_LOOSENED, True, False)
    assert (c.field, c.old, c.new) == ("missing_drift.threshold", 0.22, 0.5)
