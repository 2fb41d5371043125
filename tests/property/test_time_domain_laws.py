"""Laws of date and timestamp ranges, on schemas of date and timestamp features only (so that
every draw exercises them): documents round-trip, data drawn from a schema passes, and a value
just outside a bound gives its code on exactly its rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.schema import Schema, TimeDomain, infer_schema
from datacheck.stats import generate_statistics
from datacheck.testing import from_schema, schemas, violating
from datacheck.validate import REASONS_COLUMN, AnomalyCode, validate_batches, validate_statistics

TIMES = (FeatureType.DATE, FeatureType.TIMESTAMP)
RANGE_CODES = {AnomalyCode.TIME_TYPE_EARLY_TIME, AnomalyCode.TIME_TYPE_LATE_TIME}


def _ranged(schema: Schema) -> bool:
    return any(isinstance(f.domain, TimeDomain) for f in schema.features_in(None))


def _quarantined_rows(table: pa.Table, schema: Schema) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    offset = 0
    for checked in validate_batches(table.to_batches(), schema):
        reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
        for row, why in zip(checked.quarantined_rows.tolist(), reasons, strict=True):
            out[offset + row] = {r["code"] for r in why}
        offset += checked.batch.num_rows
    return out


@given(schemas(types=TIMES, satisfiable=False))
def test_any_time_domain_round_trips(schema: Schema) -> None:
    assert Schema.from_dict(schema.to_dict()) == schema


@given(st.data())
def test_data_drawn_from_a_ranged_schema_passes(data: st.DataObject) -> None:
    schema = data.draw(schemas(types=TIMES).filter(_ranged))
    table = data.draw(from_schema(schema, kind="tables"))
    report = validate_statistics(generate_statistics(table), schema)
    assert not {a.code for a in report.anomalies} & RANGE_CODES
    assert _quarantined_rows(table, schema) == {}


@settings(suppress_health_check=[HealthCheck.filter_too_much])  # violating picks any constraint
@given(st.data())
def test_a_value_outside_the_range_fails_on_exactly_its_rows(data: st.DataObject) -> None:
    # One feature, so that a range violation is one of few kinds to draw.
    schema = data.draw(schemas(types=TIMES, max_features=1).filter(_ranged))
    broken = data.draw(violating(schema))
    assume(broken.code in RANGE_CODES)
    report = validate_statistics(generate_statistics(broken.table), schema)
    assert (broken.code, broken.path) in {(a.code, a.path) for a in report.anomalies}
    failed = _quarantined_rows(broken.table, schema)
    assert sorted(i for i, codes in failed.items() if broken.code in codes) == list(broken.rows)


@given(st.lists(st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)), min_size=1, max_size=30))
def test_the_inferred_min_accepts_the_data_and_the_next_window(days: list[Any]) -> None:
    table = pa.table({"d": pa.array(days, pa.date32())})
    schema = infer_schema(generate_statistics(table))
    assert _quarantined_rows(table, schema) == {}
    # The next window: the same span again, after the last day.
    span = max(days) - min(days)
    later = pa.table({"d": pa.array([d + span + dt.timedelta(days=1) for d in days])})
    assert _quarantined_rows(later, schema) == {}
