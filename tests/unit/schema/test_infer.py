"""infer_schema: right on data shaped like real columns, avoiding TFDV's known mistakes."""

from __future__ import annotations

from datacheck.schema import (
    BoolDomain,
    ComparatorMethod,
    FeatureType,
    FloatDomain,
    InferOptions,
    IntDomain,
    StringDomain,
    StringLength,
    ValueCount,
    infer_schema,
)
from datacheck.schema._infer import presence_lower_bound, range_with_margin

RANGES = InferOptions(infer_ranges=True)


def test_bool_domain_only_for_bool_columns(stats) -> None:
    p = stats.profile(100, stats.boolean("b"), stats.numeric("zero_one", 0, 1))
    s = infer_schema(p, RANGES)
    assert s.feature("b").domain == BoolDomain()
    assert s.feature("zero_one").domain == IntDomain(min=0, max=1)  # not [0, 2]


def test_single_valued_int_column_gets_no_bool_domain(stats) -> None:
    s = infer_schema(stats.profile(3, stats.numeric("one", 1, 1, rows=3)))
    assert s.feature("one").type is FeatureType.INT
    assert s.feature("one").domain is None


def test_categorical_gets_the_exact_value_domain(stats) -> None:
    counts = {"rain": 641, "sun": 640, "fog": 101, "drizzle": 53, "snow": 26}
    s = infer_schema(stats.profile(1461, stats.string("weather", counts, rows=1461)))
    assert s.feature("weather").domain == StringDomain(values=tuple(counts))


def test_thousand_value_categorical_gets_a_domain_when_data_supports_it(stats) -> None:
    counts = {f"v{i}": 20 for i in range(1000)}
    s = infer_schema(stats.profile(20_000, stats.string("code", counts, rows=20_000)))
    assert len(s.feature("code").domain.values) == 1000


def test_thousand_value_categorical_seen_twice_each_gets_none(stats) -> None:
    counts = {f"v{i}": 2 for i in range(1000)}
    s = infer_schema(stats.profile(2000, stats.string("code", counts, rows=2000)))
    assert s.feature("code").domain is None


def test_free_text_gets_no_domain(stats) -> None:
    counts = {f"text {i}": 1 for i in range(500)}
    s = infer_schema(stats.profile(500, stats.string("comment", counts, rows=500)))
    assert s.feature("comment").domain is None


def test_many_singletons_mean_an_open_set(stats) -> None:
    counts = {"a": 5000, "b": 4000} | {f"rare{i}": 1 for i in range(200)}
    s = infer_schema(stats.profile(9200, stats.string("c", counts, rows=9200)))
    assert s.feature("c").domain is None


def test_distinct_count_from_sketch_over_the_cap_gives_no_domain(stats) -> None:
    # No exact counts (above the profile's cap): never build a domain from top-k.
    f = stats.string("id", None, rows=1_000_000, distinct=250_000.0)
    assert infer_schema(stats.profile(1_000_000, f)).feature("id").domain is None


def test_max_domain_size_limits_the_domain(stats) -> None:
    counts = {f"v{i}": 50 for i in range(30)}
    p = stats.profile(1500, stats.string("c", counts, rows=1500))
    assert infer_schema(p, InferOptions(max_domain_size=29)).feature("c").domain is None


def test_always_present_column_requires_presence_one(stats) -> None:
    s = infer_schema(stats.profile(100, stats.numeric("x", 0, 5)))
    assert (s.feature("x").presence.min_fraction, s.feature("x").presence.min_count) == (1.0, 1)


def test_partly_missing_column_gets_a_lower_bound(stats) -> None:
    s = infer_schema(stats.profile(10_000, stats.numeric("x", 0, 5, rows=10_000, present=9000)))
    bound = s.feature("x").presence.min_fraction
    assert 0.73 < bound < 0.75  # 10% missing may rise by an effect of h = 0.4 (to 26%), plus noise


def test_presence_bound_never_exceeds_the_observed_fraction() -> None:
    for present, rows in [(1, 2), (9, 10), (999, 1000), (3, 7), (1, 1_000_000)]:
        assert presence_lower_bound(present, rows, InferOptions()) <= present / rows


def test_presence_bound_tolerates_a_few_points_at_low_shares() -> None:
    # nycflights13: dep_time 1.93% missing in January (27,004 flights), 5.05% in February.
    assert presence_lower_bound(27_004 - 521, 27_004, InferOptions()) < 1 - 0.0505


def test_presence_bound_catches_a_tenfold_rise_at_low_shares() -> None:
    # 2% missing in 100k rows: 20% missing is caught.
    assert presence_lower_bound(98_000, 100_000, InferOptions()) > 0.8


def test_presence_bound_tolerates_small_count_noise() -> None:
    # 1 missing in 1,000: a fresh sample with 4 missing is ordinary Poisson noise.
    assert presence_lower_bound(999, 1000, InferOptions()) < 0.996


def test_presence_bound_catches_a_jump_of_twenty_five_points() -> None:
    assert presence_lower_bound(50_000, 100_000, InferOptions()) > 0.25


def test_all_missing_column_is_optional(stats) -> None:
    s = infer_schema(stats.profile(10, stats.numeric("x", None, None, rows=10, present=0)))
    assert (s.feature("x").presence.min_fraction, s.feature("x").presence.min_count) == (0.0, 0)


def test_no_ranges_unless_asked(stats) -> None:
    s = infer_schema(stats.profile(100, stats.numeric("x", 3, 97)))
    assert s.feature("x").domain is None


def test_int_range_has_a_margin_and_stays_non_negative(stats) -> None:
    s = infer_schema(stats.profile(100, stats.numeric("age", 3, 97)), RANGES)
    assert s.feature("age").domain == IntDomain(min=0, max=106)  # a margin of 9, not 9.4


def test_float_range_flags_follow_the_data(stats) -> None:
    f = stats.numeric("x", -1.0, 1.0, ftype=FeatureType.FLOAT, nan=2)
    d = infer_schema(stats.profile(100, f), RANGES).feature("x").domain
    assert isinstance(d, FloatDomain)
    assert (d.min, d.max, d.disallow_nan, d.disallow_inf) == (-1.2, 1.2, False, True)


def test_float_with_infinity_gets_no_finite_range(stats) -> None:
    f = stats.numeric("x", 0.0, float("inf"), ftype=FeatureType.FLOAT, inf=1)
    assert infer_schema(stats.profile(100, f), RANGES).feature("x").domain == FloatDomain(
        disallow_nan=True
    )


def test_range_with_margin_contains_the_data() -> None:
    for low, high in [(0.0, 0.0), (-5.0, -5.0), (0.001, 0.002), (-3.5, 1e9), (7.0, 7.0)]:
        lo, hi = range_with_margin(low, high, 0.1)
        assert lo <= low and hi >= high


def test_huge_int_range_keeps_exact_bounds(stats) -> None:
    big = 2**62 + 1
    d = infer_schema(stats.profile(10, stats.numeric("x", big, big, rows=10)), RANGES)
    domain = d.feature("x").domain
    assert domain.min <= big <= domain.max


def test_fixed_length_lists_keep_their_length(stats) -> None:
    s = infer_schema(stats.profile(100, stats.numeric("emb", 0, 1, list_lengths=(8, 8))))
    assert s.feature("emb").value_count == ValueCount(min=8, max=8)


def test_ragged_lists_keep_only_the_minimum(stats) -> None:
    s = infer_schema(stats.profile(100, stats.numeric("tags", 0, 1, list_lengths=(1, 9))))
    assert s.feature("tags").value_count == ValueCount(min=1, max=None)


def test_default_comparators_on_every_comparable_feature(stats) -> None:
    counts = {"a": 50, "b": 50}
    p = stats.profile(100, stats.numeric("n", 0, 1), stats.string("s", counts), stats.boolean("b"))
    s = infer_schema(p)
    assert s.feature("n").drift_comparator.method is ComparatorMethod.JENSEN_SHANNON
    assert s.feature("n").skew_comparator.threshold == 0.05
    assert s.feature("s").drift_comparator.method is ComparatorMethod.L_INFINITY
    assert s.feature("b").skew_comparator.threshold == 0.15


def test_features_follow_profile_order(stats) -> None:
    p = stats.profile(10, stats.numeric("z", 0, 1, rows=10), stats.numeric("a", 0, 1, rows=10))
    assert infer_schema(p).feature_names == ("z", "a")


def test_default_environments_come_from_options(stats) -> None:
    opts = InferOptions(default_environments=("TRAINING", "SERVING"))
    assert infer_schema(stats.profile(0), opts).default_environments == ("TRAINING", "SERVING")


def test_free_text_gets_a_string_length_with_ranges(stats) -> None:
    counts = {f"text {i}": 1 for i in range(500)}  # 6 to 8 characters
    p = stats.profile(
        500,
        stats.string("comment", counts, rows=500),
        stats.string("weather", {"rain": 300, "sun": 200}, rows=500),
    )
    assert infer_schema(p).feature("comment").string_length is None
    s = infer_schema(p, RANGES)
    assert s.feature("comment").string_length == StringLength(min=1, max=9)
    # A value domain already bounds a categorical's values.
    assert s.feature("weather").string_length is None
