"""Timestamps whose time zone or unit changes: the schema records both, validation reports them.

The real case: a UTC timestamp column that arrived naive passed validation. The fixture pair is
written by pandas, as the users' files were.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck import generate_statistics
from datacheck.errors import OptionError
from datacheck.io import read_batches
from datacheck.schema import (
    Feature,
    Schema,
    TimeType,
    diff_schemas,
    infer_schema,
    with_drift_level,
)
from datacheck.stats import DatasetProfile, merge_profiles
from datacheck.validate import (
    AnomalyCode,
    Severity,
    ValidationReport,
    validate_batches,
    validate_statistics,
)

C = AnomalyCode


def _stamps(tz: str | None) -> pd.DataFrame:
    times = pd.date_range("2024-01-01", periods=50, freq="h", tz=tz)
    return pd.DataFrame({"t": times, "x": range(50)})


@pytest.fixture
def utc_and_naive(tmp_path: Path) -> tuple[Path, Path]:
    utc, naive = tmp_path / "utc.parquet", tmp_path / "naive.parquet"
    _stamps("UTC").to_parquet(utc)
    _stamps(None).to_parquet(naive)
    return utc, naive


def _table(unit: str = "us", tz: str | None = None) -> pa.Table:
    return pa.table({"t": pa.array(range(0, 50_000_000, 1_000_000), pa.timestamp(unit, tz))})


def _codes(report: ValidationReport) -> dict[AnomalyCode, Severity]:
    return {a.code: a.severity for a in report.anomalies}


def test_the_schema_records_unit_and_zone(utc_and_naive: tuple[Path, Path]) -> None:
    utc, naive = utc_and_naive
    unit = pq.read_schema(utc).field("t").type.unit  # what pandas wrote: us or ns
    assert infer_schema(generate_statistics(utc)).feature("t").time == TimeType(
        unit=unit, zone="UTC"
    )
    assert infer_schema(generate_statistics(naive)).feature("t").time == TimeType(unit=unit)


def test_utc_to_naive_is_an_error(utc_and_naive: tuple[Path, Path]) -> None:
    utc, naive = utc_and_naive
    schema = infer_schema(generate_statistics(utc))
    report = validate_statistics(generate_statistics(naive), schema)
    assert _codes(report) == {C.TIMESTAMP_TIME_ZONE_CHANGED: Severity.ERROR}
    assert "naive" in report.anomalies[0].message
    # And the other way round.
    back = validate_statistics(generate_statistics(utc), infer_schema(generate_statistics(naive)))
    assert _codes(back) == {C.TIMESTAMP_TIME_ZONE_CHANGED: Severity.ERROR}


def test_utc_to_naive_fails_every_row(utc_and_naive: tuple[Path, Path]) -> None:
    utc, naive = utc_and_naive
    schema = infer_schema(generate_statistics(utc))
    (checked,) = validate_batches(read_batches(naive), schema)
    assert checked.quarantined.num_rows == 50
    reasons = checked.quarantined.column("datacheck_reasons").to_pylist()[0]
    assert reasons == [{"code": "TIMESTAMP_TIME_ZONE_CHANGED", "feature": "t"}]
    (same,) = validate_batches(read_batches(utc), schema)
    assert same.quarantined.num_rows == 0


def test_another_zone_is_an_error_but_a_name_of_utc_is_not() -> None:
    schema = infer_schema(generate_statistics(_table(tz="UTC")))
    paris = validate_statistics(generate_statistics(_table(tz="Europe/Paris")), schema)
    assert _codes(paris) == {C.TIMESTAMP_TIME_ZONE_CHANGED: Severity.ERROR}
    assert validate_statistics(generate_statistics(_table(tz="Etc/UTC")), schema).anomalies == ()
    (checked,) = validate_batches(_table(tz="+00:00").to_batches(), schema)
    assert checked.quarantined.num_rows == 0


def test_a_unit_change_alone_is_a_warning_and_not_measured_for_drift() -> None:
    baseline = generate_statistics(_table("us"))
    current = generate_statistics(_table("ms"))
    # Inference gives timestamps no drift comparator (freshness instead): set one.
    schema = with_drift_level(infer_schema(baseline), "t", "error")
    report = validate_statistics(current, schema, baseline=baseline)
    assert _codes(report) == {
        C.TIME_UNIT_CHANGED: Severity.WARNING,
        C.STATS_NOT_AVAILABLE: Severity.WARNING,
    }
    distances = {"jensen_shannon", "psi", "ks", "wasserstein"}
    assert not {m.method for m in report.measurements if m.path == "t"} & distances
    (checked,) = validate_batches(_table("ms").to_batches(), infer_schema(baseline))
    assert checked.quarantined.num_rows == 0


def test_a_schema_without_time_accepts_any_zone() -> None:
    schema = infer_schema(generate_statistics(_table(tz="UTC")))
    plain = Schema(features=tuple(Feature(name=f.name, type=f.type) for f in schema.features))
    assert validate_statistics(generate_statistics(_table()), plain).anomalies == ()


def test_batches_in_two_units_profile_in_the_first() -> None:
    seconds = pa.table({"t": pa.array([1, 2], pa.timestamp("s"))})
    micros = pa.table({"t": pa.array([3_000_000], pa.timestamp("us"))})
    profile = generate_statistics([seconds.to_batches()[0], micros.to_batches()[0]])
    numeric = profile.features["t"].numeric
    assert numeric is not None
    assert (numeric.min, numeric.max) == (1, 3)


def test_time_round_trips_and_diffs() -> None:
    schema = infer_schema(generate_statistics(_table(tz="UTC")))
    assert Schema.from_dict(schema.to_dict()) == schema
    assert schema.to_dict()["features"][0]["time"] == {"unit": "us", "zone": "UTC"}
    naive = infer_schema(generate_statistics(_table()))
    (change,) = diff_schemas(schema, naive)
    assert (change.field, change.old, change.new, change.breaking) == (
        "time.zone",
        "UTC",
        None,
        True,
    )


def test_a_profile_written_to_json_keeps_the_zone() -> None:
    profile = generate_statistics(_table(tz="Asia/Tokyo"))
    again = DatasetProfile.from_dict(profile.to_dict())
    assert infer_schema(again).feature("t").time == TimeType(unit="us", zone="Asia/Tokyo")


def test_profiles_in_two_units_do_not_merge() -> None:
    with pytest.raises(OptionError, match="'t' counts in s and in us"):
        merge_profiles(generate_statistics(_table("s")), generate_statistics(_table("us")))
