"""update_schema relaxes a schema to accept new data, bumps its version, lists the changes."""

from __future__ import annotations

from dataclasses import replace

from datacheck.schema import (
    ChangeKind,
    DatasetConstraints,
    Feature,
    FeatureType,
    FloatDomain,
    InferOptions,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    ValueCount,
    infer_schema,
    update_schema,
)

REQUIRED = Presence(min_fraction=1.0, min_count=1)


def test_same_data_changes_nothing(stats) -> None:
    p = stats.profile(100, stats.string("c", {"a": 60, "b": 40}), stats.numeric("n", 0, 9))
    schema = infer_schema(p, InferOptions(infer_ranges=True))
    assert update_schema(schema, p) == (schema, [])


def test_new_domain_values_are_added(stats) -> None:
    schema = Schema(
        features=(Feature(name="c", type=FeatureType.STRING, domain=StringDomain(values=("a",))),)
    )
    new, changes = update_schema(schema, stats.profile(100, stats.string("c", {"a": 50, "z": 50})))
    assert new.feature("c").domain == StringDomain(values=("a", "z"))
    assert [c.kind for c in changes] == [ChangeKind.DOMAIN_VALUES_ADDED]
    assert new.version == 2


def test_domain_dropped_when_values_no_longer_fit(stats) -> None:
    schema = Schema(
        features=(Feature(name="c", type=FeatureType.STRING, domain=StringDomain(values=("a",))),)
    )
    f = stats.string("c", None, distinct=50_000.0, rows=100_000)
    new, changes = update_schema(schema, stats.profile(100_000, f))
    assert new.feature("c").domain is None
    assert [c.kind for c in changes] == [ChangeKind.DOMAIN_REMOVED]


def test_int_range_widens_to_the_new_data(stats) -> None:
    schema = Schema(
        features=(Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=0, max=10)),)
    )
    new, changes = update_schema(schema, stats.profile(100, stats.numeric("n", 2, 20)))
    assert new.feature("n").domain.min == 0
    assert new.feature("n").domain.max >= 20
    assert all(c.kind is ChangeKind.RANGE_WIDENED for c in changes)


def test_float_flags_relax_when_nan_appears(stats) -> None:
    schema = Schema(
        features=(
            Feature(
                name="x",
                type=FeatureType.FLOAT,
                domain=FloatDomain(min=0.0, max=1.0, disallow_nan=True),
            ),
        )
    )
    f = stats.numeric("x", 0.0, 1.0, ftype=FeatureType.FLOAT, nan=3)
    new, _ = update_schema(schema, stats.profile(100, f))
    assert new.feature("x").domain == FloatDomain(min=0.0, max=1.0)


def test_presence_lowers_to_the_new_bound(stats) -> None:
    schema = Schema(features=(Feature(name="n", type=FeatureType.INT, presence=REQUIRED),))
    new, changes = update_schema(
        schema, stats.profile(1000, stats.numeric("n", 0, 1, rows=1000, present=800))
    )
    assert 0 < new.feature("n").presence.min_fraction <= 0.8
    assert [c.kind for c in changes] == [ChangeKind.PRESENCE_LOWERED]


def test_feature_absent_from_new_data_becomes_optional(stats) -> None:
    schema = Schema(features=(Feature(name="gone", type=FeatureType.INT, presence=REQUIRED),))
    new, _ = update_schema(schema, stats.profile(10))
    assert new.feature("gone").presence == Presence()


def test_new_feature_is_added_as_optional(stats) -> None:
    new, changes = update_schema(Schema(), stats.profile(100, stats.numeric("fresh", 0, 1)))
    assert new.feature("fresh").presence == Presence()
    assert new.feature("fresh").drift_comparator is not None
    assert [(c.kind, c.backward_compatible) for c in changes] == [(ChangeKind.FEATURE_ADDED, True)]


def test_list_lengths_widen(stats) -> None:
    schema = Schema(
        features=(Feature(name="t", type=FeatureType.INT, value_count=ValueCount(min=2, max=2)),)
    )
    new, _ = update_schema(
        schema, stats.profile(100, stats.numeric("t", 0, 1, list_lengths=(1, 3)))
    )
    assert new.feature("t").value_count == ValueCount(min=1, max=3)


def test_row_count_bounds_widen(stats) -> None:
    schema = Schema(dataset=DatasetConstraints(min_row_count=50, max_row_count=60))
    new, _ = update_schema(schema, stats.profile(100))
    assert (new.dataset.min_row_count, new.dataset.max_row_count) == (50, 100)


def test_type_change_is_left_for_validation(stats) -> None:
    schema = Schema(features=(Feature(name="n", type=FeatureType.INT),))
    f = stats.numeric("n", 0.5, 1.5, ftype=FeatureType.FLOAT)
    assert update_schema(schema, stats.profile(100, f)) == (schema, [])


def test_deprecated_feature_is_left_alone(stats) -> None:
    gone = Feature(
        name="old", type=FeatureType.INT, presence=REQUIRED, lifecycle=Lifecycle.DEPRECATED
    )
    schema = Schema(features=(gone,))
    assert update_schema(schema, stats.profile(10))[0] == schema


def test_every_change_is_backward_compatible(stats) -> None:
    schema = Schema(
        features=(
            Feature(
                name="c",
                type=FeatureType.STRING,
                presence=REQUIRED,
                domain=StringDomain(values=("a",)),
            ),
            Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=0, max=1)),
        )
    )
    p = stats.profile(
        100,
        stats.string("c", {"a": 10, "b": 80}, present=90),
        stats.numeric("n", -5, 5),
        stats.numeric("new", 0, 1),
    )
    _, changes = update_schema(schema, p)
    assert changes and all(c.backward_compatible for c in changes)


def test_version_bumps_from_the_current_one(stats) -> None:
    schema = replace(Schema(), version=7)
    new, _ = update_schema(schema, stats.profile(5, stats.numeric("x", 0, 1, rows=5)))
    assert new.version == 8


def test_float_range_widens_on_the_finite_side_when_the_other_is_infinite(stats) -> None:
    schema = Schema(
        features=(
            Feature(
                name="x",
                type=FeatureType.FLOAT,
                domain=FloatDomain(min=0.0, max=0.1, disallow_inf=True),
            ),
        )
    )
    f = stats.numeric("x", float("-inf"), 1.0, ftype=FeatureType.FLOAT, inf=0)
    d = update_schema(schema, stats.profile(3, f))[0].feature("x").domain
    assert d.min is None and d.max >= 1.0


def test_all_missing_column_relaxes_presence_and_keeps_the_type(stats) -> None:
    schema = Schema(features=(Feature(name="n", type=FeatureType.INT, presence=REQUIRED),))
    f = stats.numeric("n", None, None, rows=10, present=0, ftype=FeatureType.NULL)
    new, _ = update_schema(schema, stats.profile(10, f))
    assert new.feature("n").type is FeatureType.INT
    assert new.feature("n").presence == Presence()


def test_string_lengths_widen(stats) -> None:
    schema = Schema(
        features=(
            Feature(name="t", type=FeatureType.STRING, string_length=StringLength(min=3, max=4)),
        )
    )
    counts = {"ab": 5, "abcdef": 5}
    new, _ = update_schema(schema, stats.profile(10, stats.string("t", counts, rows=10)))
    assert new.feature("t").string_length == StringLength(min=2, max=6)
