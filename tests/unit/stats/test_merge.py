"""merge_profiles, and the three-way consistency of every generator (as TFDV tests it)."""

from __future__ import annotations

import json
import math
import pickle

import pyarrow as pa
import pytest

from datacheck.errors import OptionError
from datacheck.stats import (
    DatasetProfile,
    ProfileGenerator,
    StatsOptions,
    generate_statistics,
    merge_profiles,
)
from datacheck.testing import assert_generator_consistent
from tests.strategies import assert_profiles_equivalent

#: One small table per generator, with its awkward values: nulls, NaN, inf, empty strings.
TABLES = {
    "numeric": pa.table({"x": [1.0, None, math.nan, -math.inf, 0.0, 7.5, 2.0, None]}),
    "int": pa.table({"x": [3, None, 0, -2, 9, 9, 1, 4]}),
    "string": pa.table({"x": ["a", "", None, "b", "a", "déjà", "a", None]}),
    "dictionary": pa.table({"x": pa.array(["a", None, "b", "a", "c", "a"]).dictionary_encode()}),
    "bytes": pa.table({"x": pa.array([b"a", b"\xff", None, b"", b"abc", b"\xfe"])}),
    "bool": pa.table({"x": [True, None, False, True, True, False]}),
    "list": pa.table({"x": pa.array([[1, None], [], None, [2, 3, 4], [5]])}),
    "struct": pa.table(
        {"x": pa.array([{"a": 1, "b": "u"}, None, {"a": None, "b": "v"}, {"a": 4, "b": None}])}
    ),
    "weighted": pa.table(
        {
            "x": [1.0, 2.0, None, 4.0, 5.0],
            "s": ["a", "b", "a", None, "b"],
            "w": [1.0, 0.5, 2.0, 3.0, None],
        }
    ),
    "sliced": pa.table({"x": [1, 2, 3, 4, 5, 6], "k": ["p", "q", "p", "p", None, "q"]}),
    # Distinct counts pass the cap of 3 partway: only a lower bound is left.
    "capped": pa.table({"x": [1.0, 2.0, 1.0, math.nan, 3.0, 4.0, 2.0], "i": [1, 1, 2, 2, 3, 3, 3]}),
}
OPTIONS = {
    "weighted": StatsOptions(weight="w"),
    "sliced": StatsOptions(slice_by=("k",)),
    "capped": StatsOptions(exact_counts_cap=3),
}


def _batches(table: pa.Table) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=2)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_three_ways_give_one_profile(name: str) -> None:
    assert_generator_consistent(ProfileGenerator(OPTIONS.get(name)), _batches(TABLES[name]))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_accumulators_survive_pickling(name: str) -> None:
    gen = ProfileGenerator(OPTIONS.get(name))
    acc = gen.add_input(gen.create_accumulator(), TABLES[name].combine_chunks().to_batches()[0])
    again = pickle.loads(pickle.dumps(acc))
    # Sketch bytes may differ in layout after a round trip; their contents may not.
    assert_profiles_equivalent(gen.extract_output(again), gen.extract_output(acc))


def test_merge_mutates_only_the_first_accumulator() -> None:
    gen = ProfileGenerator()
    a = gen.add_input(gen.create_accumulator(), _batches(TABLES["string"])[0])
    b = gen.add_input(gen.create_accumulator(), _batches(TABLES["string"])[1])
    before = gen.extract_output(b)
    gen.merge_accumulators([a, b])
    assert gen.extract_output(b) == before


@pytest.mark.parametrize("name", sorted(TABLES))
def test_merged_profiles_equal_the_profile_of_the_union(name: str) -> None:
    table, options = TABLES[name], OPTIONS.get(name)
    half = table.num_rows // 2
    merged = merge_profiles(
        generate_statistics(table.slice(0, half), options),
        generate_statistics(table.slice(half), options),
    )
    assert_profiles_equivalent(merged, generate_statistics(table, options))


def _through_json(profile: DatasetProfile) -> DatasetProfile:
    return DatasetProfile.from_dict(json.loads(json.dumps(profile.to_dict())))


def test_merged_int64_mean_near_the_int64_limits_is_exact() -> None:
    # Found by the thorough hypothesis profile: 2572505088.0 merged, 2572504746.33 exact.
    values = [-(2**63), 2**63 - 1, 7_717_514_240]
    table = pa.table({"a": pa.array(values, pa.int64())})
    parts = [_through_json(generate_statistics(t)) for t in (table.slice(0, 1), table.slice(1))]
    merged = merge_profiles(*parts).features["a"].numeric
    whole = generate_statistics(table).features["a"].numeric
    exact = sum(values) / len(values)  # Python ints: the exact sum, rounded once
    assert merged is not None and whole is not None
    assert merged.mean == whole.mean == exact
    assert merged.std_dev == pytest.approx(whole.std_dev, rel=1e-12)
    assert merged.exact_sum == whole.exact_sum == sum(values)


def test_int_batches_near_the_int64_limits_keep_the_exact_mean() -> None:
    values = [2**63 - 1, 2**63 - 2, -(2**63), -(2**63) + 5, 3, 2**62] * 50
    batches = pa.table({"a": pa.array(values, pa.int64())}).to_batches(max_chunksize=7)
    stats = generate_statistics(batches).features["a"].numeric
    assert stats is not None
    assert stats.mean == sum(values) / len(values)


def test_a_profile_without_exact_sums_still_merges() -> None:
    # Profiles written before exact sums were kept: their means merge as floats.
    table = pa.table({"a": [1, 2, 3, 4]})
    document = generate_statistics(table).to_dict()
    del document["features"][0]["numeric"]["exact_sum"]
    old = DatasetProfile.from_dict(document)
    merged = merge_profiles(old, old).features["a"].numeric
    assert merged is not None and merged.mean == 2.5 and merged.exact_sum is None


def test_merging_high_cardinality_profiles_keeps_sketch_bounds() -> None:
    options = StatsOptions(exact_counts_cap=50)
    a = generate_statistics(pa.table({"s": [f"a{i}" for i in range(3000)]}), options)
    b = generate_statistics(pa.table({"s": [f"b{i}" for i in range(3000)]}), options)
    stats = merge_profiles(a, b).features["s"].string
    assert stats.distinct_lower_bound <= 6000 <= stats.distinct_upper_bound


def test_profiles_with_different_sketch_sizes_do_not_merge() -> None:
    table = pa.table({"x": [1]})
    a = generate_statistics(table, StatsOptions(kll_k=100))
    with pytest.raises(OptionError, match="different kll_k"):
        merge_profiles(a, generate_statistics(table))
