"""Binary, boolean and list statistics on small tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from datacheck.stats import StatsOptions, generate_statistics


def _feature(values: pa.Array, **options: object):
    profile = generate_statistics(pa.table({"c": values}), StatsOptions(**options))  # type: ignore[arg-type]
    return profile.features["c"]


def test_byte_lengths() -> None:
    stats = _feature(pa.array([b"", b"abcd", None], pa.binary())).bytes
    assert (stats.num_values, stats.min_length, stats.max_length, stats.mean_length) == (
        2,
        0,
        4,
        2.0,
    )


def test_invalid_utf8_is_counted_in_small_and_large_batches() -> None:
    small = [b"ok", b"\xff", b"\xc3\x28"]
    assert _feature(pa.array(small, pa.binary())).bytes.num_invalid_utf8 == 2
    large = [b"fine"] * 500 + [b"\xfe"] * 3 + [b"x"] * 500
    assert _feature(pa.array(large, pa.binary())).bytes.num_invalid_utf8 == 3


def test_bool_counts() -> None:
    stats = _feature(pa.array([True, False, True, None])).bool
    assert (stats.num_true, stats.num_false) == (2, 1)


def test_weighted_bool_counts() -> None:
    table = pa.table({"b": [True, False, None], "w": [2.0, 3.0, 4.0]})
    stats = generate_statistics(table, StatsOptions(weight="w")).features["b"]
    assert (stats.bool.weighted_num_true, stats.bool.weighted_num_false) == (2.0, 3.0)
    assert stats.weighted_num_present == 5.0


def test_list_value_counts() -> None:
    feature = _feature(pa.array([[1, 2], [], None, [3, None, 4]], pa.list_(pa.int64())))
    vc = feature.value_counts
    assert (feature.num_present, feature.num_missing) == (3, 1)
    assert (vc.min, vc.max, vc.num_values) == (0, 3, 5)
    assert vc.mean == pytest.approx(5 / 3)
    assert sum(b.count for b in vc.histogram.buckets) == pytest.approx(3)


def test_list_values_skip_null_elements() -> None:
    feature = _feature(pa.array([[1, None], [3]], pa.list_(pa.int64())))
    assert feature.type == "int" and feature.numeric.num_values == 2
    assert feature.numeric.mean == 2.0


def test_nested_lists_profile_innermost_values() -> None:
    feature = _feature(pa.array([[[1, 2], [3]], [[4]]], pa.list_(pa.list_(pa.int64()))))
    assert feature.numeric.num_values == 4 and feature.numeric.max == 4


def test_weighted_lists_weight_each_value_by_its_row() -> None:
    table = pa.table({"l": pa.array([[1.0, 3.0], [10.0]]), "w": [1.0, 2.0]})
    stats = generate_statistics(table, StatsOptions(weight="w")).features["l"].numeric
    assert stats.weighted.mean == pytest.approx((1 + 3 + 20) / 4)


@pytest.mark.parametrize(
    "arrow_type",
    [pa.large_list(pa.int64()), pa.list_(pa.int64(), 2), pa.list_view(pa.int64())],
    ids=["large_list", "fixed_size_list", "list_view"],
)
def test_every_list_layout_gives_its_values(arrow_type: pa.DataType) -> None:
    feature = _feature(pa.array([[1, 2], [3, 4]], arrow_type))
    assert (feature.numeric.min, feature.numeric.max, feature.numeric.num_values) == (1, 4, 4)
    assert feature.value_counts.mean == 2.0


def test_dictionary_encoded_ints_keep_exact_int_statistics() -> None:
    feature = _feature(pa.array([5, 7, 5]).dictionary_encode())
    assert feature.type == "int"
    assert (feature.numeric.min, feature.numeric.max) == (5, 7)
    assert isinstance(feature.numeric.min, int)
