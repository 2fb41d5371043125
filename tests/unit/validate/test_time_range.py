"""Dates and timestamps outside a time domain: quarantined row by row, and reported from the
profile's earliest and latest values."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from datacheck._types import FeatureType
from datacheck.schema import Feature, Schema, TimeDomain, TimeType
from datacheck.stats import generate_statistics
from datacheck.validate import REASONS_COLUMN, AnomalyCode, validate_batches, validate_statistics

EARLY, LATE = AnomalyCode.TIME_TYPE_EARLY_TIME, AnomalyCode.TIME_TYPE_LATE_TIME


def _schema(ftype: FeatureType, domain: TimeDomain, time: TimeType | None = None) -> Schema:
    return Schema(features=(Feature(name="x", type=ftype, domain=domain, time=time),))


def _quarantined(table: pa.Table, schema: Schema) -> dict[int, list[str]]:
    """Row index -> the codes it was quarantined for (rows carry a position column)."""
    numbered = table.append_column("i", pa.array(range(table.num_rows)))
    out: dict[int, list[str]] = {}
    for checked in validate_batches(numbered.to_batches(), schema):
        bad = checked.quarantined.to_pylist()
        for row in bad:
            out[row["i"]] = sorted(r["code"] for r in row[REASONS_COLUMN])
    return out


def _codes(table: pa.Table, schema: Schema) -> list[str]:
    report = validate_statistics(generate_statistics(table), schema)
    return sorted(a.code for a in report.anomalies if a.path == "x")


DAYS = [dt.date(1970, 1, 1), dt.date(2007, 11, 9), None, dt.date(2009, 12, 1), dt.date(2007, 11, 1)]


@pytest.mark.parametrize("arrow_type", [pa.date32(), pa.date64()])
def test_dates_outside_the_range_are_quarantined_on_their_rows(arrow_type: pa.DataType) -> None:
    table = pa.table({"x": pa.array(DAYS, arrow_type)})
    schema = _schema(FeatureType.DATE, TimeDomain(min="2007-11-01", max="2008-12-31"))
    # The bounds themselves pass; a missing value is presence's business.
    assert _quarantined(table, schema) == {0: [EARLY], 3: [LATE]}
    assert _codes(table, schema) == [EARLY, LATE]


def test_dates_inside_the_range_give_no_anomaly() -> None:
    table = pa.table({"x": pa.array(DAYS[1:3] + DAYS[4:], pa.date32())})
    schema = _schema(FeatureType.DATE, TimeDomain(min="2007-11-01", max="2008-12-31"))
    assert _quarantined(table, schema) == {}
    assert _codes(table, schema) == []


def test_the_dataset_anomaly_names_the_earliest_value_as_a_date() -> None:
    table = pa.table({"x": pa.array(DAYS, pa.date32())})
    report = validate_statistics(
        generate_statistics(table), _schema(FeatureType.DATE, TimeDomain(min="2007-11-01"))
    )
    (anomaly,) = report.anomalies
    assert "1970-01-01" in anomaly.message
    assert anomaly.measured == {"min": "1970-01-01", "max": "2009-12-01"}


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_bound_finer_than_the_unit_rounds_inwards(unit: str) -> None:
    # Seconds cannot hold the .5: 10:00:00 is before the min, 10:00:01 is not.
    moments = [dt.datetime(2013, 1, 1, 10, 0, 0), dt.datetime(2013, 1, 1, 10, 0, 1)]
    table = pa.table({"x": pa.array(moments, pa.timestamp(unit))})
    schema = _schema(
        FeatureType.TIMESTAMP,
        TimeDomain(min="2013-01-01T10:00:00.500000", max="2013-01-01T10:00:00.999999"),
        TimeType(unit=unit),
    )
    assert _quarantined(table, schema) == {0: [EARLY], 1: [LATE]}
    assert _codes(table, schema) == [EARLY, LATE]


def test_zoned_bounds_compare_as_instants() -> None:
    # 2013-01-01T00:30+01:00 is 2012-12-31T23:30 UTC.
    moments = [
        dt.datetime(2012, 12, 31, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2012, 12, 31, 23, 30, tzinfo=dt.UTC),
    ]
    table = pa.table({"x": pa.array(moments, pa.timestamp("us", tz="UTC"))})
    schema = _schema(
        FeatureType.TIMESTAMP,
        TimeDomain(min="2013-01-01T00:30:00+01:00"),
        TimeType(unit="us", zone="UTC"),
    )
    assert _quarantined(table, schema) == {0: [EARLY]}
    assert _codes(table, schema) == [EARLY]


def test_a_date_bound_on_timestamps_is_its_midnight() -> None:
    moments = [dt.datetime(2012, 12, 31, 23, 59, 59), dt.datetime(2013, 1, 1)]
    table = pa.table({"x": pa.array(moments, pa.timestamp("s"))})
    schema = _schema(FeatureType.TIMESTAMP, TimeDomain(min="2013-01-01"), TimeType(unit="s"))
    assert _quarantined(table, schema) == {0: [EARLY]}


def test_a_bound_beyond_what_nanoseconds_hold_fails_nothing_it_should_not() -> None:
    moments = [dt.datetime(1700, 1, 1), dt.datetime(2200, 1, 1)]
    table = pa.table({"x": pa.array(moments, pa.timestamp("ns"))})
    schema = _schema(
        FeatureType.TIMESTAMP,
        TimeDomain(min="0001-01-01T00:00:00", max="9999-12-31T00:00:00"),
        TimeType(unit="ns"),
    )
    assert _quarantined(table, schema) == {}
    assert _codes(table, schema) == []
    tight = _schema(
        FeatureType.TIMESTAMP, TimeDomain(min="1800-01-01T00:00:00"), TimeType(unit="ns")
    )
    assert _quarantined(table, tight) == {0: [EARLY]}


def test_dates_of_another_type_are_the_type_checks_business() -> None:
    table = pa.table({"x": pa.array(["1970-01-01"])})
    schema = _schema(FeatureType.DATE, TimeDomain(min="2007-11-01"))
    assert _quarantined(table, schema) == {0: [AnomalyCode.UNEXPECTED_DATA_TYPE]}
