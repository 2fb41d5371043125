"""Regression tests for bugs in the core that datacheck.testing's property laws found.

Each test names the law that found the bug and pins the smallest example it shrank to.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pyarrow as pa

from datacheck.schema import (
    Feature,
    FeatureType,
    FloatDomain,
    InferOptions,
    IntDomain,
    Schema,
    StringDomain,
    infer_schema,
)
from datacheck.stats import generate_statistics
from datacheck.validate import AnomalyCode, Severity, validate_batches, validate_statistics


def test_bytes_value_outside_a_string_domain_is_not_passed_silently() -> None:
    # Found by the violating() law: validate_batches quarantined b"x0", validate_statistics
    # reported nothing, since a bytes profile keeps no values to check.
    schema = Schema(
        features=(Feature(name="b", type=FeatureType.BYTES, domain=StringDomain(values=("a",))),)
    )
    profile = generate_statistics(pa.table({"b": pa.array([b"x0"], pa.binary())}))
    anomalies = validate_statistics(profile, schema).anomalies
    assert [(a.code, a.path, a.severity) for a in anomalies] == [
        (AnomalyCode.STATS_NOT_AVAILABLE, "b", Severity.WARNING)
    ]


def test_all_null_column_with_a_string_domain_does_not_crash_row_checks() -> None:
    # Found by the records() law: an all-empty column is read as Arrow's null type, and
    # validate_batches built the domain's value array with that type (ArrowInvalid).
    schema = Schema(
        features=(Feature(name="a", type=FeatureType.STRING, domain=StringDomain(values=("a",))),)
    )
    batch = pa.record_batch({"a": pa.nulls(2)})
    (checked,) = validate_batches([batch], schema)
    assert checked.valid.num_rows == 2
    assert checked.quarantined.num_rows == 0


def test_floats_a_few_ulps_apart_are_profiled() -> None:
    # Found by the merge law on from_schema data: equal-width histogram edges between values a
    # few ULPs apart repeat, and the KLL sketch's get_pmf raised ValueError.
    profile = generate_statistics(pa.table({"a": [1.0, 1.0000000000000002]}))
    buckets = profile.features["a"].numeric.histogram.buckets  # type: ignore[union-attr]
    assert sum(b.count for b in buckets) == 2.0
    assert all(b.low < b.high for b in buckets)


def test_floats_spanning_the_whole_double_range_get_finite_histogram_edges() -> None:
    # high - low overflowed to inf, and the equal-width edges became NaN.
    profile = generate_statistics(pa.table({"a": [-1.7e308, 1.7e308]}))
    buckets = profile.features["a"].numeric.histogram.buckets  # type: ignore[union-attr]
    assert len(buckets) == 10
    assert all(math.isfinite(b.low) and math.isfinite(b.high) for b in buckets)


def test_ints_past_2_53_are_checked_against_a_bound_beyond_int64() -> None:
    # Found by the inferred-schema law on from_schema data: infer_schema widened an int range
    # past int64, and validate_batches cast the column to float64, which Arrow refuses for
    # ints past 2**53 (ArrowInvalid).
    schema = Schema(
        features=(Feature(name="i", type=FeatureType.INT, domain=IntDomain(max=2**63 + 10)),)
    )
    batch = pa.record_batch({"i": pa.array([8_363_636_363_636_363_777, 2**63 - 1], pa.int64())})
    (checked,) = validate_batches([batch], schema)
    assert checked.valid.num_rows == 2


def test_a_min_beyond_int64_fails_every_int64_value() -> None:
    schema = Schema(
        features=(Feature(name="i", type=FeatureType.INT, domain=IntDomain(min=2**64)),)
    )
    batch = pa.record_batch({"i": pa.array([2**63 - 1, None], pa.int64())})
    (checked,) = validate_batches([batch], schema)
    assert checked.quarantined.num_rows == 1


def test_ranges_are_inferred_for_floats_near_the_largest_double() -> None:
    # Found by the inferred-schema law on from_schema data: the margin pushed the bound past
    # the largest double and math.floor(-inf) raised OverflowError inside infer_schema.
    table = pa.table({"c": [-1.634266486238469e308]})
    profile = generate_statistics(table)
    schema = infer_schema(profile, InferOptions(infer_ranges=True))
    domain = schema.features[0].domain
    assert isinstance(domain, FloatDomain)
    assert domain.min is not None and math.isfinite(domain.min)
    assert validate_statistics(profile, schema).anomalies == ()


def test_a_decimal_equal_to_its_float_bound_passes() -> None:
    # Found by the thorough run of the from_schema law: Arrow's decimal-to-double cast turned
    # 17.510000 into 17.509999999999998, so both validators said it was below a min of 17.51.
    schema = Schema(
        features=(Feature(name="d", type=FeatureType.DECIMAL, domain=FloatDomain(min=17.51)),)
    )
    table = pa.table({"d": pa.array([Decimal("17.51")], pa.decimal128(18, 6))})
    assert validate_statistics(generate_statistics(table), schema).anomalies == ()
    (checked,) = validate_batches(table.to_batches(), schema)
    assert checked.quarantined.num_rows == 0


def test_std_dev_of_timestamps_does_not_depend_on_the_split() -> None:
    # Found by the thorough run of the merge law: timestamps in microseconds (~1e15) lost the
    # mean's rounding error into every deviation, so one batch gave 0.4732 and two merged
    # batches the exact 0.4714.
    base = 946_684_800_000_000
    table = pa.table({"t": pa.array([base, base, base + 1], pa.int64()).cast(pa.timestamp("us"))})
    whole = generate_statistics(table).features["t"].numeric
    assert whole is not None and whole.std_dev is not None
    assert math.isclose(whole.std_dev, math.sqrt(2 / 9), rel_tol=1e-12)
