"""Schema inference from a profile: a schema that accepts the data it came from.

Avoids TFDV's known mistakes: a bool domain comes only from a bool column (never from an int
column that held 0 and 1); a string column gets a value domain only when its distinct count
(from the sketch) is small both absolutely and relative to its value count, and few values were
seen only once, and the domain is built from the profile's exact value counts, never from a
truncated top-k list; presence is 1.0 for always-present columns and a lower bound from the
observed fraction otherwise; numeric ranges only when asked, with a margin.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from datacheck._types import FeatureType
from datacheck.schema._defaults import default_comparators
from datacheck.schema._model import (
    BoolDomain,
    Domain,
    Feature,
    FloatDomain,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    ValueCount,
)
from datacheck.stats import DatasetProfile, FeatureStatistics, StringStatistics

__all__ = [
    "InferOptions",
    "drift_schema",
    "infer_feature",
    "infer_schema",
    "presence_lower_bound",
    "range_with_margin",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class InferOptions:
    """Options of :func:`infer_schema` (and of :func:`update_schema` where they apply)."""

    #: give int and float features a range domain (observed range widened by ``range_margin``),
    #: and string features without a value domain a string length (non-empty when no empty
    #: value was seen; the longest seen, widened by ``range_margin``)
    infer_ranges: bool = False
    #: the range is widened on each side by this fraction of its span (of its magnitude when
    #: the span is 0); bounds never cross zero when the data did not
    range_margin: float = 0.1
    #: a string domain holds at most this many values
    max_domain_size: int = 1000
    #: a string domain needs at most this many distinct values per value seen (0.1: every
    #: value seen ten times on average), so that the data supports a closed set
    max_distinct_ratio: float = 0.1
    #: a string domain needs at most this share of values seen exactly once (the Good-Turing
    #: estimate of the chance that the next value is new)
    max_unseen_mass: float = 0.01
    #: presence lower bound: the missing fraction may grow by its own size (double), but by
    #: at most this many points (0.1: ten percentage points) ...
    max_missing_increase: float = 0.1
    #: ... above its upper confidence bound at this many standard errors (sampling noise)
    presence_z: float = 3.0
    #: environments every feature is expected in unless it says otherwise
    default_environments: tuple[str, ...] = ()


def presence_lower_bound(num_present: int, num_rows: int, options: InferOptions) -> float:
    """The min_fraction to require of a feature seen in ``num_present`` of ``num_rows`` rows.

    1.0 when always present. Otherwise ``q_hi``, the upper Wilson bound (``z`` standard errors)
    of the missing fraction, is the missing rate the data could plausibly have; the bound lets
    the missing fraction reach ``q_hi + min(q_hi, max_missing_increase)``: it may double, but
    grow by at most ten points, beyond what sampling noise explains. Floored to four decimals.
    The Wilson bound (rather than the observed fraction plus a normal error) keeps a column
    with 1 missing value in 1,000 from failing on a fresh sample with 4.
    """
    if num_rows <= 0 or num_present <= 0:
        return 0.0
    if num_present >= num_rows:
        return 1.0
    n = num_rows
    q = 1.0 - num_present / n
    z2 = options.presence_z**2
    q_hi = (
        q + z2 / (2 * n) + options.presence_z * math.sqrt(q * (1 - q) / n + z2 / (4 * n * n))
    ) / (1 + z2 / n)
    bound = 1.0 - q_hi - min(q_hi, options.max_missing_increase)
    return max(0.0, math.floor(bound * 10_000) / 10_000)


def _nice_step(width: float) -> float:
    # A power of ten no larger than the margin, so bounds print as short numbers.
    return 10.0 ** math.floor(math.log10(width)) if width > 0 else 1.0


def _outward(x: float, step: float, to_int: Callable[[float], int], fallback: float) -> float:
    if not math.isfinite(x):
        return fallback
    y = to_int(x / step) * step
    return y if math.isfinite(y) else fallback


def range_with_margin(low: float, high: float, margin: float) -> tuple[float, float]:
    """``[low, high]`` widened by ``margin`` of its span on each side, rounded outwards.

    A zero span is widened by ``margin`` of its magnitude (or by ``margin`` when 0). A bound
    does not cross zero when the observed range did not, so counts stay non-negative.
    """
    span = high - low
    width = margin * (span if span > 0 else max(abs(low), abs(high), 1.0))
    if not math.isfinite(width):
        return low, high  # the range spans most doubles: no margin fits around it
    step = _nice_step(width)
    # Near the largest double the widened bound overflows: keep the observed one there.
    lo = _outward(low - width, step, math.floor, low)
    hi = _outward(high + width, step, math.ceil, high)
    if low >= 0:
        lo = max(lo, 0.0)
    if high <= 0:
        hi = min(hi, 0.0)
    # Rounding through the step may leave float noise (0.30000000000000004); keep it readable
    # without moving a bound inwards past the data.
    lo, hi = min(round(lo, 12), low), max(round(hi, 12), high)
    return lo, hi


def _string_domain(s: StringStatistics, options: InferOptions) -> StringDomain | None:
    if s.num_values == 0 or s.distinct > options.max_domain_size:
        return None
    if s.distinct > options.max_distinct_ratio * s.num_values:
        return None
    if s.value_counts is None:
        # The profile kept no exact counts (more distinct values than its cap): a domain built
        # from top-k values would miss some and reject the data it came from.
        return None
    seen_once = sum(1 for c in s.value_counts.values() if c == 1)
    if seen_once > options.max_unseen_mass * s.num_values:
        return None
    return StringDomain(values=tuple(s.value_counts))


def _numeric_domain(f: FeatureStatistics, options: InferOptions) -> Domain | None:
    n = f.numeric
    if not options.infer_ranges or n is None or n.min is None or n.max is None:
        return None
    if f.type is FeatureType.INT:
        lo, hi = range_with_margin(float(n.min), float(n.max), options.range_margin)
        # The profile's int min and max are exact; floats lose digits past 2**53, so keep the
        # exact bounds whenever rounding would cut into the data.
        return IntDomain(min=min(math.floor(lo), int(n.min)), max=max(math.ceil(hi), int(n.max)))
    if f.type is FeatureType.FLOAT:
        if math.isinf(n.min) or math.isinf(n.max):
            return FloatDomain(disallow_nan=n.num_nan == 0)
        lo, hi = range_with_margin(n.min, n.max, options.range_margin)
        return FloatDomain(
            min=lo,
            max=hi,
            disallow_nan=n.num_nan == 0,
            disallow_inf=n.num_pos_inf == 0 and n.num_neg_inf == 0,
        )
    return None


def _domain(f: FeatureStatistics, options: InferOptions) -> Domain | None:
    if f.type is FeatureType.BOOL:
        # Only a bool column: an int column of 0 and 1 stays an int (TFDV's mistake).
        return BoolDomain()
    if f.type is FeatureType.STRING and f.string is not None:
        return _string_domain(f.string, options)
    return _numeric_domain(f, options)


def _string_length(
    f: FeatureStatistics, domain: Domain | None, options: InferOptions
) -> StringLength | None:
    s = f.string
    if (
        not options.infer_ranges
        or domain is not None
        or f.type is not FeatureType.STRING
        or s is None
        or s.min_length is None
        or s.max_length is None
    ):
        return None
    _, hi = range_with_margin(float(s.min_length), float(s.max_length), options.range_margin)
    return StringLength(min=1 if s.min_length >= 1 else None, max=math.ceil(hi))


def _value_count(f: FeatureStatistics) -> ValueCount | None:
    vc = f.value_counts
    if vc is None:
        return None
    # Lists of one fixed length (embeddings) keep that length; ragged lists keep only the
    # observed minimum, since the longest list seen is no limit on the next one.
    return ValueCount(min=vc.min, max=vc.max if vc.min == vc.max else None)


def infer_feature(f: FeatureStatistics, num_rows: int, options: InferOptions) -> Feature:
    """The schema feature for one feature's statistics."""
    drift, skew = default_comparators(f.type)
    domain = _domain(f, options)
    return Feature(
        name=f.path,
        type=f.type,
        presence=Presence(
            min_fraction=presence_lower_bound(f.num_present, num_rows, options),
            min_count=1 if f.num_present > 0 else 0,
        ),
        value_count=_value_count(f),
        domain=domain,
        string_length=_string_length(f, domain, options),
        drift_comparator=drift,
        skew_comparator=skew,
    )


def infer_schema(profile: DatasetProfile, options: InferOptions | None = None) -> Schema:
    """Propose a schema from a profile; the data the profile came from passes it.

    Args:
        profile: the statistics of a dataset (:func:`datacheck.stats.generate_statistics`).
        options: inference options; the defaults infer no numeric ranges.

    Returns:
        Version 1 of a schema with one feature per profiled feature, in profile order, each
        with the default drift and skew comparators for its type.
    """
    options = options or InferOptions()
    return Schema(
        features=tuple(
            infer_feature(f, profile.num_rows, options) for f in profile.features.values()
        ),
        default_environments=options.default_environments,
    )


def drift_schema(baseline: DatasetProfile) -> Schema:
    """A schema that only measures drift: the baseline's types and default drift comparators.

    For data compared with a baseline when no schema was written: every distance is measured,
    and only drift, a changed type, a new column, and a column the baseline had values in that
    vanished (or holds none) are flagged, not the inferred domains or presence fractions.
    """
    return Schema(
        features=tuple(
            Feature(
                name=f.name,
                type=f.type,
                drift_comparator=f.drift_comparator,
                presence=Presence(min_count=1 if baseline.features[f.name].num_present else 0),
            )
            for f in infer_schema(baseline).features
        ),
        description="drift against the baseline with the default comparators",
    )
