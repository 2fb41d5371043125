"""Laws of validation on data drawn from schemas: what satisfies a schema passes it, what
breaks one constraint gives that constraint's anomaly, and every document round-trips.

The schemas come from :func:`datacheck.testing.schemas` and the data from
:func:`~datacheck.testing.from_schema` and :func:`~datacheck.testing.violating`, so the laws
cover every constraint kind, struct paths, lists, environments and deprecated features. The
laws on arbitrary Arrow data live beside: ``test_stats_laws.py`` (split, merge order, empty
merge), ``test_schema_laws.py`` (inference, update, schema documents),
``test_validate_distances.py`` (distance laws).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import InferOptions, Schema, infer_schema, update_schema
from datacheck.stats import DatasetProfile, generate_statistics, merge_profiles
from datacheck.testing import SchemaStrategies, Violation, from_schema, schemas, violating
from datacheck.validate import (
    REASONS_COLUMN,
    AnomalyCode,
    ValidationReport,
    schema_environments,
    validate_batches,
    validate_statistics,
)
from tests.strategies import assert_profiles_equivalent

_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
#: "could not check" is the one anomaly valid data may get (a bytes feature's string domain)
_CANNOT_CHECK = AnomalyCode.STATS_NOT_AVAILABLE
#: what update_schema leaves on purpose (see datacheck.validate.unfixed_anomalies): a changed
#: type or time zone would break the data the schema accepted before
_TYPE_CODES = {
    AnomalyCode.UNEXPECTED_DATA_TYPE,
    AnomalyCode.BOOL_TYPE_UNEXPECTED_STRING,
    AnomalyCode.BOOL_TYPE_UNEXPECTED_INT,
    AnomalyCode.BOOL_TYPE_UNEXPECTED_FLOAT,
    AnomalyCode.TIMESTAMP_TIME_ZONE_CHANGED,
}
_EAGER = InferOptions(infer_ranges=True, max_distinct_ratio=1.0, max_unseen_mass=1.0)


def _document_schema(name: str) -> jsonschema.protocols.Validator:
    document = json.loads((_SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(document)


@st.composite
def _schema_and_environment(draw: st.DrawFn) -> tuple[Schema, str | None]:
    schema = draw(schemas())
    environment = draw(st.sampled_from([None, *sorted(schema_environments(schema))]))
    return schema, environment


Valid = tuple[Schema, str | None, pa.Table]
Broken = tuple[Schema, str | None, Violation | None]


@st.composite
def _valid(draw: st.DrawFn) -> Valid:
    """A schema, an environment, and a table that satisfies the schema there."""
    schema, environment = draw(_schema_and_environment())
    return schema, environment, draw(from_schema(schema, environment=environment, kind="tables"))


@st.composite
def _broken(draw: st.DrawFn) -> Broken:
    """A schema, an environment, and a violation of it (None: no active feature to break)."""
    schema, environment = draw(_schema_and_environment())
    if not schema.features_in(environment):
        return schema, environment, None
    return schema, environment, draw(violating(schema, environment=environment))


def _profile(table: pa.Table) -> DatasetProfile:
    with warnings.catch_warnings():
        # Floats near the largest double overflow the variance; that is the data, not a bug.
        warnings.simplefilter("ignore", RuntimeWarning)
        return generate_statistics(table)


def _quarantined(table: pa.Table, schema: Schema, environment: str | None) -> list[Any]:
    rows: list[Any] = []
    for checked in validate_batches(table.to_batches(), schema, environment=environment):
        rows += checked.quarantined.column(REASONS_COLUMN).to_pylist()
    return rows


# --- data that satisfies the schema ------------------------------------------------------------


@given(_valid())
def test_data_from_a_schema_gives_no_anomaly(case: Valid) -> None:
    schema, environment, table = case
    if table.num_columns == 0:
        return  # every feature deprecated or out of the environment: nothing to profile
    report = validate_statistics(_profile(table), schema, environment=environment)
    # (A schema may make "could not check" an error: the verdict is not asserted.)
    assert [a for a in report.anomalies if a.code is not _CANNOT_CHECK] == []


@given(_valid())
def test_data_from_a_schema_quarantines_no_row(case: Valid) -> None:
    schema, environment, table = case
    assert _quarantined(table, schema, environment) == []


@given(_schema_and_environment(), st.data())
def test_records_from_a_schema_pass_row_checks(
    case: tuple[Schema, str | None], data: st.DataObject
) -> None:
    schema, environment = case
    strategies = SchemaStrategies(schema, environment=environment)
    record = data.draw(strategies.records())
    table = pa.Table.from_pylist([record]) if record else pa.table({})
    if table.num_columns:
        # Arrow infers the types back from the values; all-null columns come back as null.
        assert _quarantined(table, schema, environment) == []


# --- data that breaks one constraint ---------------------------------------------------------


@given(_broken())
def test_a_violation_gives_its_code_on_its_feature(case: Broken) -> None:
    schema, environment, violation = case
    if violation is None:
        return  # nothing active to break
    report = validate_statistics(_profile(violation.table), schema, environment=environment)
    found = {(a.code, a.path) for a in report.anomalies}
    assert (violation.code, violation.path) in found
    assert {f for f in found if f[0] is not _CANNOT_CHECK} <= {(violation.code, violation.path)}


@given(_broken())
def test_a_violation_quarantines_exactly_its_rows(case: Broken) -> None:
    schema, environment, violation = case
    if violation is None:
        return  # nothing active to break
    quarantined: list[int] = []
    offset = 0
    for checked in validate_batches(violation.table.to_batches(), schema, environment=environment):
        reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
        for entry in reasons:
            assert {(r["code"], r["feature"]) for r in entry} == {
                (str(violation.row_code), violation.path)
            }
        quarantined += [offset + i for i in range(len(reasons))]
        offset += checked.valid.num_rows + checked.quarantined.num_rows
    assert len(quarantined) == len(violation.rows)


# --- documents -------------------------------------------------------------------------------


@given(_broken())
def test_report_round_trips_and_passes_its_json_schema(case: Broken) -> None:
    schema, environment, violation = case
    if violation is None:
        return  # nothing active to break
    profile = _profile(violation.table)
    report = validate_statistics(profile, schema, baseline=profile, environment=environment)
    document = json.loads(report.to_json())
    _document_schema("report.v1.json").validate(document)
    assert ValidationReport.from_dict(document).to_dict() == document


@given(schemas())
def test_drawn_schemas_round_trip_and_pass_their_json_schema(schema: Schema) -> None:
    document = json.loads(json.dumps(schema.to_dict(), allow_nan=False))
    _document_schema("schema.v1.json").validate(document)
    assert Schema.from_dict(document) == schema


@pytest.mark.costly
@given(_valid())
def test_profile_of_schema_data_round_trips_and_passes_its_json_schema(case: Valid) -> None:
    table = case[2]
    if table.num_columns == 0:
        return
    profile = _profile(table)
    document = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    _document_schema("statistics.v1.json").validate(document)
    assert DatasetProfile.from_dict(document) == profile


# --- profiles, drift, inference, evolution ---------------------------------------------------


@pytest.mark.costly
@given(_valid(), st.data())
def test_merged_profiles_of_two_parts_equal_the_profile_of_the_whole(
    case: Valid, data: st.DataObject
) -> None:
    table = case[2]
    if table.num_rows < 2:
        return  # a schema that allows at most one row has no two parts
    cut = data.draw(st.integers(1, table.num_rows - 1))
    # Through JSON, as profiles of two shards written by two jobs would be merged.
    parts = [
        DatasetProfile.from_dict(json.loads(json.dumps(_profile(part).to_dict())))
        for part in (table.slice(0, cut), table.slice(cut))
    ]
    assert_profiles_equivalent(merge_profiles(*parts), _profile(table))


@given(_valid())
def test_data_does_not_drift_from_itself(case: Valid) -> None:
    schema, environment, table = case
    if table.num_columns == 0:
        return
    profile = _profile(table)
    report = validate_statistics(
        profile, schema, baseline=profile, serving=profile, environment=environment
    )
    for m in report.measurements:
        if m.method == "row_count_ratio":
            assert m.distance == 1.0, m
        else:
            assert m.distance == 0.0, m
            assert not m.exceeded, m


@given(_valid())
def test_inferred_schema_accepts_the_data_of_any_schema(case: Valid) -> None:
    table = case[2]
    if table.num_columns == 0:
        return
    profile = _profile(table)
    inferred = infer_schema(profile, _EAGER)
    assert validate_statistics(profile, inferred).anomalies == ()
    assert _quarantined(table, inferred, None) == []


@given(_schema_and_environment(), st.data())
def test_after_update_both_old_and_new_data_pass(
    case: tuple[Schema, str | None], data: st.DataObject
) -> None:
    schema, environment = case
    strategies = SchemaStrategies(schema, environment=environment)
    old = data.draw(strategies.tables())
    if old.num_columns == 0 or not schema.features_in(environment):
        return
    new = data.draw(violating(schema, environment=environment)).table
    updated, changes = update_schema(schema, _profile(new))
    assert all(c.backward_compatible for c in changes), changes
    for table in (old, new):
        report = validate_statistics(_profile(table), updated, environment=environment)
        # A type or zone change is not relaxed (update_schema leaves it for validation).
        left = {a.code for a in report.errors} - _TYPE_CODES - {_CANNOT_CHECK}
        assert left == set(), (report.anomalies, changes)
