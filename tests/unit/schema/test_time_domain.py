"""Date and timestamp ranges in the schema: the document, its checks, TFDV, JSON Schema, diff,
inference and update."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from datacheck._types import FeatureType
from datacheck.errors import SchemaFormatError
from datacheck.schema import (
    ChangeKind,
    Feature,
    InferOptions,
    Schema,
    TimeDomain,
    TimeType,
    diff_schemas,
    infer_schema,
    to_json_schema,
    update_schema,
)
from datacheck.stats import generate_statistics

UTC_US = TimeType(unit="us", zone="UTC")


def _date(domain: TimeDomain | None) -> Schema:
    return Schema(features=(Feature(name="d", type=FeatureType.DATE, domain=domain),))


def _stamp(domain: TimeDomain | None, time: TimeType | None = UTC_US) -> Schema:
    return Schema(
        features=(Feature(name="t", type=FeatureType.TIMESTAMP, time=time, domain=domain),)
    )


def test_a_time_domain_round_trips_as_iso_text() -> None:
    schema = _stamp(TimeDomain(min="2007-11-01T00:00:00+00:00", max="2010-01-01T12:30:00+01:00"))
    document = schema.to_dict()
    assert document["features"][0]["domain"] == {
        "kind": "time",
        "min": "2007-11-01T00:00:00+00:00",
        "max": "2010-01-01T12:30:00+01:00",
    }
    assert Schema.from_dict(document) == schema


def test_an_open_side_is_left_out_of_the_document() -> None:
    document = _date(TimeDomain(min="2007-11-01")).to_dict()
    assert document["features"][0]["domain"] == {"kind": "time", "min": "2007-11-01"}


@pytest.mark.parametrize(
    ("schema", "pointer", "words"),
    [
        (_date(TimeDomain(min="2007-11-01T00:00:00")), "/features/0/domain/min", "ISO 8601 date"),
        (_date(TimeDomain(max="01/11/2007")), "/features/0/domain/max", "ISO 8601 date"),
        (_stamp(TimeDomain(min="2007-11-01T00:00:00")), "/features/0/domain/min", "is naive"),
        (
            _stamp(TimeDomain(min="2007-11-01T00:00:00Z"), TimeType(unit="s")),
            "/features/0/domain/min",
            "is zoned",
        ),
        (
            _date(TimeDomain(min="2008-01-02", max="2008-01-01")),
            "/features/0/domain/min",
            "later than max",
        ),
        (
            Schema(
                features=(Feature(name="n", type=FeatureType.INT, domain=TimeDomain(min="2007")),)
            ),
            "/features/0/domain/kind",
            "cannot constrain a int",
        ),
    ],
)
def test_a_bad_time_domain_is_a_schema_error(schema: Schema, pointer: str, words: str) -> None:
    with pytest.raises(SchemaFormatError) as caught:
        Schema.from_dict(schema.to_dict())
    assert pointer in str(caught.value)
    assert words in str(caught.value)


def test_bounds_compare_as_instants_not_text() -> None:
    # 01:00+01:00 is midnight UTC: equal to the min, not before it.
    schema = _stamp(TimeDomain(min="2007-11-01T00:00:00Z", max="2007-11-01T01:00:00+01:00"))
    assert Schema.from_dict(schema.to_dict()) == schema


def test_without_a_recorded_zone_either_kind_of_bound_is_accepted() -> None:
    for text in ("2007-11-01T00:00:00", "2007-11-01T00:00:00+00:00", "2007-11-01"):
        schema = _stamp(TimeDomain(min=text), time=None)
        assert Schema.from_dict(schema.to_dict()) == schema


def test_tfdv_carries_the_range_in_a_tag() -> None:
    pytest.importorskip("tensorflow_metadata", reason="needs the tfdv extra")
    from datacheck.schema import from_tfdv, to_tfdv

    schema = _date(TimeDomain(min="2007-11-01", max="2009-12-31"))
    proto = to_tfdv(schema)
    tags = list(proto.feature[0].annotation.tag)
    assert 'datacheck:time_domain={"max": "2009-12-31", "min": "2007-11-01"}' in tags
    assert from_tfdv(proto).feature("d").domain == schema.feature("d").domain


def test_json_schema_keeps_the_format_and_says_the_range_is_not_exported() -> None:
    optional = to_json_schema(_date(TimeDomain(min="2007-11-01")))["properties"]["d"]
    exported = optional["anyOf"][0]  # a value, or null (the feature is not required)
    assert exported["format"] == "date"
    assert "minimum" not in exported
    assert "cannot bound dates" in exported["$comment"]


@pytest.mark.parametrize(
    ("old", "new", "kind", "breaking"),
    [
        (
            TimeDomain(min="2007-11-01"),
            TimeDomain(min="2007-12-01"),
            ChangeKind.RANGE_NARROWED,
            True,
        ),
        (
            TimeDomain(min="2007-11-01"),
            TimeDomain(min="2007-10-01"),
            ChangeKind.RANGE_WIDENED,
            False,
        ),
        (TimeDomain(min="2007-11-01"), TimeDomain(), ChangeKind.RANGE_WIDENED, False),
        (TimeDomain(), TimeDomain(max="2009-01-01"), ChangeKind.RANGE_NARROWED, True),
        (
            TimeDomain(max="2009-01-01"),
            TimeDomain(max="2008-01-01"),
            ChangeKind.RANGE_NARROWED,
            True,
        ),
    ],
)
def test_diff_follows_the_int_range_conventions(
    old: TimeDomain, new: TimeDomain, kind: ChangeKind, breaking: bool
) -> None:
    (change,) = diff_schemas(_date(old), _date(new))
    assert change.kind is kind
    assert change.breaking is breaking


def test_diff_compares_offsets_as_instants() -> None:
    old = _stamp(TimeDomain(min="2007-11-01T00:00:00+00:00"))
    same = _stamp(TimeDomain(min="2007-11-01T01:00:00+01:00"))
    later = _stamp(TimeDomain(min="2007-11-01T00:30:00+00:00"))
    assert diff_schemas(old, same) == []
    (change,) = diff_schemas(old, later)
    assert change.kind is ChangeKind.RANGE_NARROWED
    assert (change.old, change.new) == ("2007-11-01T00:00:00+00:00", "2007-11-01T00:30:00+00:00")


def _dates(*days: str) -> pa.Table:
    return pa.table({"d": pa.array([dt.date.fromisoformat(d) for d in days], pa.date32())})


def test_inference_sets_a_min_one_span_before_the_earliest_date_and_no_max() -> None:
    schema = infer_schema(generate_statistics(_dates("2007-11-09", "2007-12-03", "2007-11-20")))
    # 24 days of data: the min lies 24 days before the first.
    assert schema.feature("d").domain == TimeDomain(min="2007-10-16")


def test_a_single_date_gets_a_day_of_margin() -> None:
    schema = infer_schema(generate_statistics(_dates("2007-11-09", "2007-11-09")))
    assert schema.feature("d").domain == TimeDomain(min="2007-11-08")


def test_inferred_timestamps_keep_their_zone_and_whole_seconds() -> None:
    values = [
        dt.datetime(2013, 1, 1, 5, 0, 0, 500_000, tzinfo=dt.UTC),
        dt.datetime(2013, 1, 31, 5, 0, tzinfo=dt.UTC),
    ]
    table = pa.table({"t": pa.array(values, pa.timestamp("ns", tz="UTC"))})
    schema = infer_schema(generate_statistics(table))
    # Span 29 days 23:59:59.5 before 2013-01-01T05:00:00.5, rounded down to the second.
    assert schema.feature("t").domain == TimeDomain(min="2012-12-02T05:00:01+00:00")
    assert Schema.from_dict(schema.to_dict()) == schema  # zoned bound for a zoned feature


def test_naive_timestamps_get_a_naive_min() -> None:
    values = [dt.datetime(2013, 1, 1), dt.datetime(2013, 1, 3)]
    table = pa.table({"t": pa.array(values, pa.timestamp("s"))})
    domain = infer_schema(generate_statistics(table)).feature("t").domain
    assert domain == TimeDomain(min="2012-12-30T00:00:00")


def test_inference_with_ranges_sets_the_same_min() -> None:
    profile = generate_statistics(_dates("2007-11-09", "2007-12-03"))
    ranged = infer_schema(profile, InferOptions(infer_ranges=True))
    assert ranged.feature("d").domain == TimeDomain(min="2007-10-16")


def test_update_moves_a_min_to_the_earliest_new_date_only_when_needed() -> None:
    schema = _date(TimeDomain(min="2007-10-16", max="2008-01-01"))
    same, _ = update_schema(schema, generate_statistics(_dates("2007-11-01")))
    assert same.feature("d").domain == schema.feature("d").domain
    wider, changes = update_schema(schema, generate_statistics(_dates("2007-09-30", "2008-02-01")))
    assert wider.feature("d").domain == TimeDomain(min="2007-09-30", max="2008-02-01")
    assert {c.kind for c in changes} == {ChangeKind.RANGE_WIDENED}


def test_update_leaves_the_bounds_when_the_zone_changed() -> None:
    schema = _stamp(TimeDomain(min="2013-01-01T00:00:00+00:00"))
    naive = pa.table({"t": pa.array([dt.datetime(2012, 1, 1)], pa.timestamp("us"))})
    updated, _ = update_schema(schema, generate_statistics(naive))
    assert updated.feature("t").domain == TimeDomain(min="2013-01-01T00:00:00+00:00")
