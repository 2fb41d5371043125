"""datacheck.testing: strategies from a schema, for users' property-based tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import datacheck.testing
from datacheck.errors import OptionError, SchemaFormatError
from datacheck.schema import (
    DatasetConstraints,
    Feature,
    FloatDomain,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    ValueCount,
    save_schema,
)
from datacheck.schema import FeatureType as T
from datacheck.testing import Violation, from_schema, schemas, violating
from datacheck.validate import AnomalyCode

REQUIRED = Presence(min_fraction=1.0, min_count=1)

SCHEMA = Schema(
    features=(
        Feature(name="age", type=T.INT, presence=REQUIRED, domain=IntDomain(min=18, max=99)),
        Feature(
            name="score", type=T.FLOAT, domain=FloatDomain(min=0.0, max=1.0, disallow_nan=True)
        ),
        Feature(
            name="color",
            type=T.STRING,
            presence=REQUIRED,
            domain=StringDomain(values=("red", "green")),
        ),
        Feature(name="tags", type=T.STRING, value_count=ValueCount(min=1, max=3)),
        Feature(name="user.id", type=T.INT, presence=REQUIRED),
        Feature(name="old", type=T.INT, lifecycle=Lifecycle.DEPRECATED),
        Feature(name="label", type=T.BOOL, presence=REQUIRED, not_in_environments=("SERVING",)),
    ),
    default_environments=("TRAINING", "SERVING"),
)

_QUIET = settings(database=None, max_examples=2000)


def test_all_is_sorted() -> None:
    assert datacheck.testing.__all__ == sorted(datacheck.testing.__all__)


# --- the README example ----------------------------------------------------------------------


def test_readme_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_schema(SCHEMA, tmp_path / "schema.json")
    monkeypatch.chdir(tmp_path)

    # --- exactly as in README.md ---
    from hypothesis import given

    from datacheck.schema import load_schema
    from datacheck.testing import from_schema

    @given(from_schema(load_schema("schema.json")))
    def test_ages_are_adult(record):  # type: ignore[no-untyped-def]  # as users write it
        assert record["age"] >= 18

    # --- end ---

    test_ages_are_adult()

    @given(from_schema(load_schema("schema.json")))
    def test_ages_are_over_18(record):  # type: ignore[no-untyped-def]  # the same, too strict
        assert record["age"] > 18

    with pytest.raises(AssertionError):
        test_ages_are_over_18()


# --- records ---------------------------------------------------------------------------------


@given(from_schema(SCHEMA))
def test_a_record_holds_every_required_feature(record: dict[str, Any]) -> None:
    assert 18 <= record["age"] <= 99
    assert record["color"] in ("red", "green")
    assert record["user"]["id"] is not None
    assert isinstance(record["label"], bool)


@given(from_schema(SCHEMA))
def test_list_lengths_and_ranges_hold(record: dict[str, Any]) -> None:
    assert record["tags"] is None or 1 <= len(record["tags"]) <= 3
    assert record["score"] is None or 0.0 <= record["score"] <= 1.0


def test_an_optional_feature_may_be_missing() -> None:
    record = find(from_schema(SCHEMA), lambda r: r["score"] is None, settings=_QUIET)
    assert record["score"] is None


def test_a_deprecated_feature_is_drawn_or_left_out() -> None:
    records = from_schema(SCHEMA)
    assert "old" in find(records, lambda r: "old" in r, settings=_QUIET)
    assert "old" not in find(records, lambda r: "old" not in r, settings=_QUIET)


@given(from_schema(SCHEMA, environment="SERVING"))
def test_a_feature_not_expected_in_the_environment_is_left_out(record: dict[str, Any]) -> None:
    assert "label" not in record


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(OptionError, match="EVAL"):
        from_schema(SCHEMA, environment="EVAL")


# --- tables ----------------------------------------------------------------------------------


@given(from_schema(SCHEMA, kind="tables", min_rows=2, max_rows=5))
def test_tables_keep_the_row_bounds(table: pa.Table) -> None:
    assert 2 <= table.num_rows <= 5


@given(from_schema(SCHEMA, kind="tables"))
def test_dotted_paths_become_struct_fields(table: pa.Table) -> None:
    assert pa.types.is_struct(table.schema.field("user").type)
    assert table.schema.field("tags").type == pa.list_(pa.string())


def test_paths_that_cannot_nest_stay_flat_columns() -> None:
    schema = Schema(features=(Feature(name="a", type=T.INT), Feature(name="a.b", type=T.INT)))
    table = find(from_schema(schema, kind="tables"), lambda t: True, settings=_QUIET)
    assert table.column_names == ["a", "a.b"]


def test_row_bounds_the_schema_cannot_meet_are_refused() -> None:
    schema = Schema(dataset=DatasetConstraints(min_row_count=10))
    with pytest.raises(OptionError, match="max_rows=5"):
        from_schema(schema, kind="tables", max_rows=5)


def test_a_schema_no_data_satisfies_is_refused_with_its_pointer() -> None:
    schema = Schema(features=(Feature(name="n", type=T.NULL, presence=REQUIRED),))
    with pytest.raises(SchemaFormatError, match="/features/0"):
        from_schema(schema)


@settings(max_examples=10)
@given(
    from_schema(
        Schema(features=SCHEMA.features[:3], dataset=DatasetConstraints(min_row_count=30)),
        kind="tables",
    )
)
def test_a_schema_that_needs_many_rows_passes_the_health_checks(table: pa.Table) -> None:
    assert table.num_rows >= 30


@given(from_schema(SCHEMA, kind="batches"))
def test_batches_are_record_batches(batch: pa.RecordBatch) -> None:
    assert isinstance(batch, pa.RecordBatch)
    assert batch.num_rows >= 1


@given(from_schema(SCHEMA, kind="dataframes"))
def test_dataframes_keep_arrow_types(frame: pd.DataFrame) -> None:
    assert isinstance(frame.dtypes["age"], pd.ArrowDtype)
    assert pa.Table.from_pandas(frame).schema.field("age").type == pa.int64()


@given(from_schema(SCHEMA, kind="polars_frames"))
def test_polars_frames(frame: Any) -> None:
    pl = pytest.importorskip("polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame["age"].min() >= 18


# --- shrinking -------------------------------------------------------------------------------


def test_a_failing_property_shrinks_to_a_small_readable_table() -> None:
    # The minimal table with 3 rows is 3 rows of the simplest values the schema allows.
    table = find(from_schema(SCHEMA, kind="tables"), lambda t: t.num_rows >= 3, settings=_QUIET)
    assert table.num_rows == 3
    assert table.column("age").to_pylist() == [18, 18, 18]
    assert table.column("color").to_pylist() == ["green"] * 3
    assert table.column("score").to_pylist() == [None] * 3


def test_a_failing_property_on_values_shrinks_to_the_boundary() -> None:
    record = find(from_schema(SCHEMA), lambda r: r["age"] > 50, settings=_QUIET)
    assert record["age"] == 51
    assert record["tags"] is None


# --- violating -------------------------------------------------------------------------------


@pytest.mark.slow
def test_violating_names_the_code_and_rows() -> None:
    violation = find(
        violating(SCHEMA), lambda v: v.code is AnomalyCode.INT_TYPE_BIG_INT, settings=_QUIET
    )
    assert violation.path == "age"
    assert violation.row_code is AnomalyCode.INT_TYPE_BIG_INT
    assert [violation.table.column("age")[i].as_py() for i in violation.rows] == [100]


def test_violating_a_dataset_constraint_names_no_rows() -> None:
    schema = Schema(
        features=(Feature(name="a", type=T.INT),), dataset=DatasetConstraints(min_row_count=3)
    )
    violation = find(violating(schema), lambda v: v.path is None, settings=_QUIET)
    assert violation.code is AnomalyCode.DATASET_LOW_NUM_EXAMPLES
    assert violation.table.num_rows == 2
    assert violation.row_code is None and violation.rows == ()


def test_violating_a_schema_without_active_features_is_refused() -> None:
    with pytest.raises(OptionError, match="no active feature"):
        violating(Schema())


@given(violating(SCHEMA))
def test_a_violation_is_a_value(violation: Violation) -> None:
    assert violation.description
    assert all(0 <= i < violation.table.num_rows for i in violation.rows)


# --- schemas ---------------------------------------------------------------------------------


@given(schemas(min_features=2, max_features=3))
def test_schemas_respect_the_feature_count(schema: Schema) -> None:
    assert 2 <= len(schema.features) <= 3


@given(schemas(types=(T.STRING,)), st.data())
def test_schemas_of_one_type_draw_data(schema: Schema, data: st.DataObject) -> None:
    assert {f.type for f in schema.features} == {T.STRING}
    data.draw(from_schema(schema, kind="tables"))


@given(schemas(satisfiable=False))
def test_any_schema_is_a_valid_document(schema: Schema) -> None:
    assert Schema.from_dict(schema.to_dict()) == schema


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(OptionError, match="unknown kind 'rows'"):
        from_schema(SCHEMA, kind="rows")  # type: ignore[arg-type]
