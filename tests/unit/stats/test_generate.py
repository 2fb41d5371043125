"""generate_statistics: dataset-level behaviour (paths, skipped columns, slices, options)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from datacheck import FeatureType
from datacheck.errors import OptionError
from datacheck.stats import StatsOptions, generate_statistics


def test_row_count_and_column_order() -> None:
    profile = generate_statistics(pa.table({"b": [1, 2], "a": ["x", "y"]}))
    assert profile.num_rows == 2
    assert list(profile.features) == ["b", "a"]


def test_struct_fields_become_dotted_paths_missing_with_their_parent() -> None:
    struct = pa.array(
        [{"x": 1, "y": {"z": "a"}}, None, {"x": None, "y": None}],
        pa.struct([("x", pa.int64()), ("y", pa.struct([("z", pa.string())]))]),
    )
    profile = generate_statistics(pa.table({"s": struct, "t": [1, 2, 3]}))
    assert list(profile.features) == ["s.x", "s.y.z", "t"]
    assert profile.features["s.x"].num_missing == 2
    assert profile.features["s.y.z"].num_present == 1


def test_union_columns_and_lists_of_maps_are_skipped_with_a_reason() -> None:
    maps = pa.array([[[("k", 1)]]], pa.list_(pa.map_(pa.string(), pa.int64())))
    union = pa.UnionArray.from_sparse(pa.array([0], pa.int8()), [pa.array([1]), pa.array(["a"])])
    profile = generate_statistics(pa.table({"m": maps, "u": union, "ok": [1]}))
    assert list(profile.features) == ["ok"]
    reasons = {s.path: s.reason for s in profile.skipped}
    assert reasons == {
        "m": "lists of maps are not profiled",
        "u": "union columns are not profiled",
    }


def test_a_map_column_is_its_keys_and_values_as_lists() -> None:
    maps = pa.array([[("k", 1), ("j", 2)], None], pa.map_(pa.string(), pa.int64()))
    profile = generate_statistics(pa.table({"m": maps, "ok": [1, 2]}))
    assert list(profile.features) == ["m.key", "m.value", "ok"]
    keys = profile.features["m.key"]
    assert (keys.type, keys.num_present, keys.num_missing) == ("string", 1, 1)
    assert profile.features["m.value"].arrow_type == "list<item: int64>"


def test_mixed_types_flag_comes_from_the_field_metadata() -> None:
    field = pa.field("m", pa.string(), metadata={b"datacheck.mixed_types": b"true"})
    batch = pa.record_batch(
        [pa.array(["1", "x"])],
        schema=pa.schema(
            [
                field,
            ]
        ),
    )
    profile = generate_statistics([batch])
    assert profile.features["m"].mixed_types


def test_all_null_column_has_type_null_and_no_kind_statistics() -> None:
    feature = generate_statistics(pa.table({"n": pa.nulls(3)})).features["n"]
    assert feature.type == "null" and feature.num_missing == 3
    assert feature.numeric is None and feature.string is None


def test_null_then_typed_batches_widen_to_the_type() -> None:
    first = pa.record_batch({"c": pa.nulls(2)})
    second = pa.record_batch({"c": pa.array([1, 2])})
    feature = generate_statistics([first, second]).features["c"]
    assert feature.type == "int" and feature.num_missing == 2 and feature.numeric.max == 2


def test_int_then_float_batches_widen_to_float() -> None:
    batches = [pa.record_batch({"c": pa.array([1])}), pa.record_batch({"c": pa.array([2.5])})]
    feature = generate_statistics(batches).features["c"]
    assert feature.type == "float" and feature.numeric.mean == 1.75


def test_conflicting_types_between_batches_are_skipped_not_dropped_silently() -> None:
    batches = [pa.record_batch({"c": pa.array([1])}), pa.record_batch({"c": pa.array(["a"])})]
    profile = generate_statistics(batches)
    assert "c" not in profile.features
    assert "type changed" in profile.skipped[0].reason


def test_slices_profile_each_value_and_the_whole() -> None:
    table = pa.table({"k": ["a", "b", "a", None], "x": [1, 2, 3, 4]})
    profile = generate_statistics(table, StatsOptions(slice_by=("k",)))
    assert profile.num_rows == 4
    assert list(profile.slices) == ['k="a"', 'k="b"', "k=null"]
    assert profile.slices['k="a"'].features["x"].numeric.mean == 2.0
    assert profile.slices["k=null"].num_rows == 1


def test_slices_by_two_columns() -> None:
    table = pa.table({"k": ["a", "a", "b"], "n": [1, 2, 1], "x": [1.0, 2.0, 3.0]})
    profile = generate_statistics(table, StatsOptions(slice_by=("k", "n")))
    assert sorted(profile.slices) == ['k="a",n=1', 'k="a",n=2', 'k="b",n=1']


def test_too_many_slices_is_an_option_error() -> None:
    table = pa.table({"id": list(range(20))})
    with pytest.raises(OptionError, match="more than 5 slices"):
        generate_statistics(table, StatsOptions(slice_by=("id",), max_slices=5))


def test_unknown_weight_column_names_it() -> None:
    with pytest.raises(OptionError, match="weight='nope': no such column"):
        generate_statistics(pa.table({"x": [1]}), StatsOptions(weight="nope"))


def test_unknown_slice_column_names_it() -> None:
    with pytest.raises(OptionError, match="slice_by='nope': no such column"):
        generate_statistics(pa.table({"x": [1]}), StatsOptions(slice_by=("nope",)))


def test_text_weight_column_is_refused() -> None:
    with pytest.raises(OptionError, match="not numbers"):
        generate_statistics(pa.table({"w": ["a"]}), StatsOptions(weight="w"))


def test_weighted_row_count_treats_missing_weight_as_zero() -> None:
    table = pa.table({"w": [1.5, None, 2.0]})
    assert generate_statistics(table, StatsOptions(weight="w")).weighted_num_rows == 3.5


def test_zero_rows_give_a_profile_of_typed_features_with_zero_counts() -> None:
    table = pa.table({"x": pa.array([], pa.int64()), "s": pa.array([], pa.string())})
    profile = generate_statistics(table)
    assert profile.num_rows == 0
    assert {p: f.type for p, f in profile.features.items()} == {
        "x": FeatureType.INT,
        "s": FeatureType.STRING,
    }
    x = profile.features["x"]
    assert (x.num_present, x.num_missing, x.presence) == (0, 0, 0.0)
    assert x.numeric is not None and x.numeric.mean is None and x.numeric.quantiles == ()


def test_a_header_only_csv_file_is_data_of_zero_rows(tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("a,b\n")
    profile = generate_statistics(str(path))
    assert profile.num_rows == 0 and list(profile.features) == ["a", "b"]


def test_reads_files_through_the_reader(tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    profile = generate_statistics(str(path))
    assert profile.num_rows == 2 and profile.features["a"].numeric.max == 2


def test_single_and_multi_threaded_runs_agree() -> None:
    table = pa.table({"x": list(range(100)), "s": [str(i % 7) for i in range(100)]})
    one = generate_statistics(table, StatsOptions(threads=1, batch_size=10))
    two = generate_statistics(table, StatsOptions(threads=2, batch_size=10))
    assert one == two


def test_small_batches_are_joined_and_schema_changes_flush() -> None:
    from datacheck.stats._generate import iter_batches

    small = [pa.record_batch({"x": [i, i]}) for i in range(5)]
    other = pa.record_batch({"x": pa.array([1.5])})
    sizes = [b.num_rows for b in iter_batches([*small, other], batch_size=4)]
    assert sizes == [4, 4, 2, 1]
