"""The service's shortcut profile answers date and timestamp ranges as the library does."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from datacheck.schema import Feature, FeatureType, Schema, TimeDomain, TimeType
from datacheck.service._quick import quick_profile
from datacheck.validate import AnomalyCode, validate_statistics
from tests.unit.service.test_quick import _assert_same

DAYS = [dt.date(1970, 1, 1), dt.date(2008, 11, 2), None, dt.date(2031, 1, 1)]
MOMENTS = [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2013, 2, 1, 4, tzinfo=dt.UTC)]

DATE = Feature(
    name="x", type=FeatureType.DATE, domain=TimeDomain(min="2007-10-16", max="2030-01-01")
)
STAMP = Feature(
    name="x",
    type=FeatureType.TIMESTAMP,
    time=TimeType(unit="s", zone="UTC"),
    domain=TimeDomain(min="2012-12-01T16:00:00+00:00"),
)


@pytest.mark.parametrize(
    ("feature", "values"),
    [
        (DATE, pa.array(DAYS, pa.date32())),
        (DATE, pa.array(DAYS, pa.date64())),
        (DATE, pa.array(DAYS[1:2], pa.date32())),
        (DATE, pa.array([None], pa.date32())),
        (DATE, pa.array(["2008-11-02"])),
        (STAMP, pa.array(MOMENTS, pa.timestamp("s", tz="UTC"))),
        (STAMP, pa.array(MOMENTS, pa.timestamp("ns", tz="UTC"))),
    ],
)
def test_ranges_give_the_librarys_report(feature: Feature, values: pa.Array) -> None:
    _assert_same(pa.table({"x": values}), Schema(features=(feature,)))


def test_the_shortcut_reads_the_earliest_date() -> None:
    schema = Schema(features=(DATE,))
    table = pa.table({"x": pa.array(DAYS, pa.date32())})
    report = validate_statistics(quick_profile(table.to_batches(), schema), schema)
    codes = {a.code for a in report.anomalies}
    assert {AnomalyCode.TIME_TYPE_EARLY_TIME, AnomalyCode.TIME_TYPE_LATE_TIME} <= codes
