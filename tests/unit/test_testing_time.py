"""from_schema and violating with timestamps and durations of a recorded unit and zone."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from datacheck import generate_statistics
from datacheck._types import FeatureType
from datacheck.schema import Feature, Presence, Schema, TimeType
from datacheck.testing import from_schema, violating
from datacheck.validate import AnomalyCode, validate_batches, validate_statistics

SCHEMA = Schema(
    features=(
        Feature(
            name="t",
            type=FeatureType.TIMESTAMP,
            presence=Presence(min_fraction=1.0, min_count=1),
            time=TimeType(unit="ns", zone="Europe/Paris"),
        ),
        Feature(name="d", type=FeatureType.DURATION, time=TimeType(unit="s")),
    )
)


@given(from_schema(SCHEMA, kind="tables"))
def test_drawn_tables_have_the_unit_and_zone_and_pass(table: pa.Table) -> None:
    assert table.schema.field("t").type == pa.timestamp("ns", tz="Europe/Paris")
    assert table.schema.field("d").type == pa.duration("s")
    assert validate_statistics(generate_statistics(table), SCHEMA).anomalies == ()
    assert all(c.quarantined.num_rows == 0 for c in validate_batches(table.to_batches(), SCHEMA))


@given(st.data())
def test_violating_moves_the_zone(data: st.DataObject) -> None:
    v = data.draw(
        violating(SCHEMA).filter(lambda v: v.code is AnomalyCode.TIMESTAMP_TIME_ZONE_CHANGED)
    )
    assert v.table.schema.field("t").type.tz is None
    report = validate_statistics(generate_statistics(v.table), SCHEMA)
    assert [(a.code, a.path) for a in report.anomalies] == [(v.code, "t")]
    (checked,) = validate_batches(v.table.combine_chunks().to_batches(), SCHEMA)
    assert tuple(checked.quarantined_rows.tolist()) == v.rows
