"""Laws of schemas: inferred schemas accept their own data; documents round-trip; diffs agree."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import (
    InferOptions,
    Schema,
    check_compatible,
    diff_schemas,
    infer_schema,
    update_schema,
)
from datacheck.stats import generate_statistics
from datacheck.testing import schemas as any_schemas
from datacheck.validate import validate_batches, validate_statistics
from tests.strategies import arrow_tables

#: options that give string columns a domain whenever there are exact counts, so the law also
#: covers domain checks on small tables
EAGER = InferOptions(infer_ranges=True, max_distinct_ratio=1.0, max_unseen_mass=1.0)
OPTIONS = st.sampled_from([InferOptions(), InferOptions(infer_ranges=True), EAGER])


@pytest.mark.costly
@given(arrow_tables(), OPTIONS)
def test_inferred_schema_reports_no_anomaly_on_its_own_data(
    table: pa.Table, options: InferOptions
) -> None:
    profile = generate_statistics(table)
    report = validate_statistics(profile, infer_schema(profile, options))
    assert report.anomalies == ()


def _quarantined(table: pa.Table, options: InferOptions) -> int:
    schema = infer_schema(generate_statistics(table), options)
    return sum(c.quarantined.num_rows for c in validate_batches(table.to_batches(), schema))


@pytest.mark.costly
@given(arrow_tables(), OPTIONS)
def test_inferred_schema_quarantines_no_row_of_its_own_data(
    table: pa.Table, options: InferOptions
) -> None:
    assert _quarantined(table, options) == 0


def test_dictionary_column_with_a_domain_quarantines_no_row() -> None:
    table = pa.table({"d": pa.array(["a", "b", None, "a"]).dictionary_encode()})
    assert _quarantined(table, EAGER) == 0


@pytest.mark.costly
@given(arrow_tables(), arrow_tables())
def test_updated_schema_accepts_the_new_data(first: pa.Table, second: pa.Table) -> None:
    schema = infer_schema(generate_statistics(first), EAGER)
    profile = generate_statistics(second)
    updated, changes = update_schema(schema, profile, EAGER)
    assert all(c.backward_compatible for c in changes)
    anomalies = validate_statistics(profile, updated).anomalies
    # A column whose type differs between the two tables is left for validation to report.
    assert {a.code for a in anomalies} <= {"UNEXPECTED_DATA_TYPE"}


@pytest.mark.costly
@given(arrow_tables(), OPTIONS)
def test_update_with_the_same_data_changes_nothing(table: pa.Table, options: InferOptions) -> None:
    profile = generate_statistics(table)
    schema = infer_schema(profile, options)
    assert update_schema(schema, profile, options) == (schema, [])


# --- drawn schemas ---------------------------------------------------------------------------


# Shared with users: datacheck.testing.schemas; satisfiable=False draws any valid document.
def schemas() -> st.SearchStrategy[Schema]:
    return any_schemas(min_features=0, max_features=6, satisfiable=False)


@given(schemas())
def test_json_document_round_trips(schema: Schema) -> None:
    assert Schema.from_dict(schema.to_dict()) == schema


@given(schemas())
def test_a_schema_has_no_changes_against_itself(schema: Schema) -> None:
    assert diff_schemas(schema, schema) == []
    assert check_compatible(schema, schema, "FULL")


@given(schemas(), schemas())
def test_backward_one_way_is_forward_the_other(a: Schema, b: Schema) -> None:
    assert bool(check_compatible(a, b, "BACKWARD")) == bool(check_compatible(b, a, "FORWARD"))


@given(schemas())
def test_tfdv_pbtxt_round_trips(schema: Schema) -> None:
    pytest.importorskip("tensorflow_metadata")
    from datacheck.schema import from_tfdv, to_tfdv

    # TFDV keys struct children under their parent, so dotted names regroup; keep names flat.
    flat = Schema(
        features=tuple(f for f in schema.features if "." not in f.name),
        dataset=schema.dataset,
        default_environments=schema.default_environments,
        severity_overrides=schema.severity_overrides,
        description=schema.description,
        version=schema.version,
    )
    back = from_tfdv(to_tfdv(flat))
    assert back == flat or _only_float32_noise(flat, back)


def _only_float32_noise(a: Schema, b: Schema) -> bool:
    # Presence fractions and thresholds are doubles in TFDV too; only float domains are 32-bit
    # there, and those travel exactly in a tag. Nothing else may differ.
    return (
        all(
            math.isclose(x.presence.min_fraction, y.presence.min_fraction)
            for x, y in zip(a.features, b.features, strict=True)
        )
        and a.to_dict() == b.to_dict()
    )
