"""Schema inference from a profile: a schema that accepts the data it came from.

Avoids TFDV's known mistakes: a bool domain comes only from a bool column (never from an int
column that held 0 and 1); a string column gets a value domain only when its distinct count
(from the sketch) is small both absolutely and relative to its value count, and few values were
seen only once, and the domain is built from the profile's exact value counts, never from a
truncated top-k list; presence is 1.0 for always-present columns and otherwise a lower bound
that lets the missing share rise by an effect size (every feature also gets a
missingness-drift comparator, for validation against a baseline); numeric ranges only when
asked, with a margin that stops at the data's natural bounds (see
:func:`range_with_margin`), but a float column
that held no infinity always refuses one (``1e309`` in a CSV reads as infinity). A timestamp
or duration records its unit and time zone; a column the profile could not describe (a union,
an extension type) is listed as a skipped feature with its Arrow type, so that it is not a new
column when the same data comes back.

What cannot be compared across time windows gets no drift or skew comparator (see
:func:`window_role`): dates and timestamps (the next window's are later by design; they get a
freshness check instead, and a time domain with a min only: see ``_timedomain``), identifiers
(near-unique values) and counters (values that never decrease in row order, or a dense run of
integers each seen a few times, as a sample number).
Split by season, penguins_raw failed its next season on these alone (issue 13). A string
column of one value (a study or batch code) is a label of its window: a new value, and its
drift, are warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from datacheck._effect import raised_by
from datacheck._types import FeatureType, time_of
from datacheck.errors import require
from datacheck.schema._defaults import MISSING_DRIFT, default_comparators
from datacheck.schema._model import (
    BoolDomain,
    Domain,
    Feature,
    FloatDomain,
    Freshness,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    TimeType,
    ValueCount,
)
from datacheck.schema._timedomain import infer_time_domain
from datacheck.stats import (
    QUANTILE_RANKS,
    DatasetProfile,
    FeatureStatistics,
    NumericStatistics,
    SkippedFeature,
    StringStatistics,
)

__all__ = [
    "InferOptions",
    "drift_schema",
    "infer_feature",
    "infer_schema",
    "presence_lower_bound",
    "range_with_margin",
    "skipped_feature",
    "tail_lengths",
    "window_role",
]

#: a feature is near-unique (an identifier) with at least this many distinct values per value
IDENTIFIER_DISTINCT_SHARE = 0.9
#: ... and at least this many values: in a handful of rows every value is unique
IDENTIFIER_MIN_VALUES = 20
#: an int feature whose distinct values fill their whole range (every integer from min to
#: max) is a counter when it has at least this many of them (fewer: an hour, a day of
#: month, a small count, whose values come back every window) ...
COUNTER_MIN_DISTINCT = 20
#: ... each seen at most this many times on average (penguins_raw's sample numbers: 2.2;
#: a day of month over a year: 12)
COUNTER_MAX_REPEATS = 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class InferOptions:
    """Options of :func:`infer_schema` (and of :func:`update_schema` where they apply)."""

    #: give int and float features a range domain (observed range widened by ``range_margin``),
    #: and string features without a value domain a string length (non-empty when no empty
    #: value was seen; the longest seen, widened by ``range_margin``)
    infer_ranges: bool = False
    #: the range is widened on each side by at most this fraction of its span (of its
    #: magnitude when the span is 0), and by no more than that side's tail reaches (see
    #: :func:`tail_lengths`); an int range by whole numbers only; bounds never cross zero when
    #: the data did not
    range_margin: float = 0.1
    #: a string domain holds at most this many values
    max_domain_size: int = 1000
    #: a string domain needs at most this many distinct values per value seen (0.1: every
    #: value seen ten times on average), so that the data supports a closed set
    max_distinct_ratio: float = 0.1
    #: a string domain needs at most this share of values seen exactly once (the Good-Turing
    #: estimate of the chance that the next value is new)
    max_unseen_mass: float = 0.01
    #: presence lower bound: the missing share may grow by this effect size (Cohen's h for
    #: proportions) ... 0.4: the largest rise of a missing share between consecutive months or
    #: years of eight real series (ratdat's weights, 3.0% to 13.4% missing from 1997 to 1998;
    #: README, "How inference chooses bounds"), so that with the noise allowance the bound
    #: fires only on a change larger than any of those; a smaller change is the
    #: missingness-drift comparator's to report, against a baseline
    max_missing_effect: float = 0.4
    #: ... above its upper confidence bound at this many standard errors (sampling noise)
    presence_z: float = 3.0
    #: environments every feature is expected in unless it says otherwise
    default_environments: tuple[str, ...] = ()


def presence_lower_bound(num_present: int, num_rows: int, options: InferOptions) -> float:
    """The min_fraction to require of a feature seen in ``num_present`` of ``num_rows`` rows.

    1.0 when always present. Otherwise ``q_hi``, the upper Wilson bound (``z`` standard errors)
    of the missing fraction, is the missing rate the data could plausibly have; the bound lets
    the missing fraction rise from there by an effect of ``max_missing_effect`` (Cohen's h, see
    ``datacheck._effect``). An effect size, not a fixed number of points or a ratio: a share of
    2% may reach 11% (months of real flight data move between 0.8% and 5%), one of 50% may
    reach 69%, before the noise allowance. Floored to four decimals. The Wilson bound (rather
    than the observed fraction plus a normal error) keeps a column with 1 missing value in 1,000
    from failing on a fresh sample with 4.
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
    bound = 1.0 - raised_by(q_hi, options.max_missing_effect)
    return max(0.0, math.floor(bound * 10_000) / 10_000)


def _outward(x: float, width: float, *, down: bool) -> float:
    """``x`` moved down (or up) by ``width``, rounded on outwards to a power of ten no larger
    than ``width`` (so bounds print as short numbers); ``x`` itself for no width or an
    overflow."""
    target = x - width if down else x + width
    # Near the largest double the widened bound overflows: keep the observed one there.
    if width <= 0 or not math.isfinite(target):
        return x
    step = 10.0 ** math.floor(math.log10(width))
    y = (math.floor(target / step) if down else math.ceil(target / step)) * step
    return y if math.isfinite(y) else x


def _tail_rank(count: int) -> float:
    """The rank whose quantile marks the end of a tail: 1% or 5%, the lower one with at least
    five values beyond it, else 10%; so that one odd value is not taken for a tail."""
    return next((r for r in (0.01, 0.05) if r * count >= 5), 0.1)


def tail_lengths(n: NumericStatistics) -> tuple[float | None, float | None]:
    """How far each tail of a numeric feature reaches: ``(q_r - min, max - q_(1-r))``.

    ``r`` is 1% (5% under 500 values, 10% under 100; see :func:`_tail_rank`). A side whose
    extreme value is shared by more than ``r`` of the values (0 in a 0/1 column, a floor of 0,
    an age of 18 in a survey of adults, a top code) has a tail of 0: a natural bound, which
    the inferred range keeps. (None, None) when the profile holds no quantiles.
    """
    if n.min is None or n.max is None or len(n.quantiles) != len(QUANTILE_RANKS):
        return None, None
    r = _tail_rank(n.num_values)
    low_q = n.quantiles[QUANTILE_RANKS.index(r)]
    high_q = n.quantiles[QUANTILE_RANKS.index(round(1.0 - r, 2))]
    return max(low_q - float(n.min), 0.0), max(float(n.max) - high_q, 0.0)


def range_with_margin(
    low: float,
    high: float,
    margin: float,
    *,
    tails: tuple[float | None, float | None] = (None, None),
    integer: bool = False,
) -> tuple[float, float]:
    """``[low, high]`` widened on each side, rounded outwards; it always holds the data.

    Each side moves by ``margin`` of the span (of the magnitude when the span is 0, or by
    ``margin`` when that is 0 too), but by no more than that side's tail reaches (``tails``,
    from :func:`tail_lengths`; None: unknown), so that a natural bound the data piles up
    against stays where it is. An ``integer`` range moves by whole numbers only: a margin under
    1 is none, so a 0/1 column stays [0, 1]. A bound does not cross zero when the observed
    range did not, so counts stay non-negative.
    """
    span = high - low
    width = margin * (span if span > 0 else max(abs(low), abs(high), 1.0))
    if not math.isfinite(width):
        return low, high  # the range spans most doubles: no margin fits around it
    widths = [width if t is None else min(width, t) for t in tails]
    if integer:
        widths = [float(math.floor(w)) for w in widths]
    lo = _outward(low, widths[0], down=True)
    hi = _outward(high, widths[1], down=False)
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


def _unit_steps(
    n: NumericStatistics, tails: tuple[float | None, float | None]
) -> tuple[float | None, float | None]:
    """An int side whose two outermost values are one apart (ages 19, 20, ...) reaches one
    step: the data counts in units there, and one unit past its extreme is the margin.

    The sketch's quantiles of a few hundred values are good to about 1.7% of the ranks, which
    moved the lower tail of real ages 19-90 between one and two years from run to run; with
    every distinct value known, the spacing at the end is exact.
    """
    values = None if n.distinct_values is None else sorted(n.distinct_values)
    if values is None or len(values) < 2:
        return tails
    low, high = tails
    if values[1] - values[0] == 1:
        low = 1.0 if low is None else min(low, 1.0)
    if values[-1] - values[-2] == 1:
        high = 1.0 if high is None else min(high, 1.0)
    return low, high


def _numeric_domain(f: FeatureStatistics, options: InferOptions) -> Domain | None:
    n = f.numeric
    if not options.infer_ranges or n is None or n.min is None or n.max is None:
        return None
    if f.type is FeatureType.INT:
        lo, hi = range_with_margin(
            float(n.min),
            float(n.max),
            options.range_margin,
            tails=_unit_steps(n, tail_lengths(n)),
            integer=True,
        )
        # The profile's int min and max are exact; floats lose digits past 2**53, so keep the
        # exact bounds whenever rounding would cut into the data.
        return IntDomain(min=min(math.floor(lo), int(n.min)), max=max(math.ceil(hi), int(n.max)))
    if f.type is FeatureType.FLOAT:
        if math.isinf(n.min) or math.isinf(n.max):
            return FloatDomain(disallow_nan=n.num_nan == 0)
        lo, hi = range_with_margin(n.min, n.max, options.range_margin, tails=tail_lengths(n))
        return FloatDomain(
            min=lo,
            max=hi,
            disallow_nan=n.num_nan == 0,
            disallow_inf=n.num_pos_inf == 0 and n.num_neg_inf == 0,
        )
    return None


def _finite_floats(f: FeatureStatistics) -> FloatDomain | None:
    """A float feature that held no infinity refuses one, ranges or not: an infinity in a
    column that never had one is an overflow (``1e309`` read from text) or a division by 0."""
    n = f.numeric
    if f.type is not FeatureType.FLOAT or n is None or n.num_values == 0:
        return None
    if n.num_pos_inf or n.num_neg_inf:
        return None
    return FloatDomain(disallow_inf=True)


def _domain(f: FeatureStatistics, options: InferOptions) -> Domain | None:
    if f.type is FeatureType.BOOL:
        # Only a bool column: an int column of 0 and 1 stays an int (TFDV's mistake).
        return BoolDomain()
    if f.type is FeatureType.STRING and f.string is not None:
        return _string_domain(f.string, options)
    return _numeric_domain(f, options) or _finite_floats(f) or infer_time_domain(f)


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


def _time(f: FeatureStatistics) -> TimeType | None:
    if f.type not in (FeatureType.TIMESTAMP, FeatureType.DURATION):
        return None
    found = time_of(f.arrow_type)
    return None if found is None else TimeType(unit=found[0], zone=found[1])


def window_role(f: FeatureStatistics) -> str | None:
    """Why a feature's distribution cannot be compared between time windows, or None.

    ``"time"``: a date or timestamp (the next window's are later). ``"identifier"``: an int or
    string feature with near-unique values (at least :data:`IDENTIFIER_DISTINCT_SHARE` of
    :data:`IDENTIFIER_MIN_VALUES` or more). ``"counter"``: a numeric feature that never
    decreases in row order over at least three distinct values and
    :data:`IDENTIFIER_MIN_VALUES` values (known where the rows were profiled in order), or,
    from the counts alone (as on Beam), an int feature whose distinct values fill the whole
    range from min to max, at least :data:`COUNTER_MIN_DISTINCT` of them, each seen at most
    :data:`COUNTER_MAX_REPEATS` times on average.
    """
    if f.type in (FeatureType.DATE, FeatureType.TIMESTAMP):
        return "time"
    s, n = f.string, f.numeric
    if f.type is FeatureType.STRING and s is not None:
        if s.num_values >= IDENTIFIER_MIN_VALUES and s.distinct >= (
            IDENTIFIER_DISTINCT_SHARE * s.num_values
        ):
            return "identifier"
        return None
    if n is None or n.num_values == 0 or f.type not in (FeatureType.INT, FeatureType.FLOAT):
        return None
    order = n.row_order
    if (
        order is not None
        and order.nondecreasing
        and n.num_values >= IDENTIFIER_MIN_VALUES
        and n.distinct_lower_bound >= 3
    ):
        return "counter"
    if f.type is not FeatureType.INT or n.distinct is None or n.min is None or n.max is None:
        return None
    if n.num_values >= IDENTIFIER_MIN_VALUES and n.distinct >= (
        IDENTIFIER_DISTINCT_SHARE * n.num_values
    ):
        dense = n.distinct >= 0.5 * (float(n.max) - float(n.min) + 1)
        return "identifier" if dense else None
    dense_run = n.distinct == int(n.max) - int(n.min) + 1
    if (
        dense_run
        and n.distinct >= COUNTER_MIN_DISTINCT
        and n.num_values <= COUNTER_MAX_REPEATS * n.distinct
    ):
        return "counter"
    return None


#: what a feature of each window role is checked by, in its description
_ROLE_TEXT = {
    "time": "a date or time: checked for freshness against a baseline, not for drift",
    "identifier": "an identifier (near-unique values): no drift comparator",
    "counter": "a counter (values that move on with the rows): no drift comparator",
}


def _label_of_window(f: FeatureStatistics, domain: Domain | None) -> bool:
    """A string feature of one value with a domain: a study, batch or season code that a
    next window changes (penguins_raw's studyName), as far as one window can tell."""
    return isinstance(domain, StringDomain) and len(domain.values) == 1


def infer_feature(f: FeatureStatistics, num_rows: int, options: InferOptions) -> Feature:
    """The schema feature for one feature's statistics."""
    drift, skew = default_comparators(f.type)
    role = window_role(f)
    if role is not None:
        drift = skew = None
    domain = _domain(f, options)
    label = _label_of_window(f, domain)
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
        time=_time(f),
        drift_comparator=drift,
        skew_comparator=skew,
        missing_drift=MISSING_DRIFT,
        drift_level="warning" if label else "error",
        freshness=Freshness() if role == "time" and f.num_present > 0 else None,
        description="" if role is None else _ROLE_TEXT[role],
        severity_overrides={"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "warning"} if label else {},
    )


def skipped_feature(skipped: SkippedFeature) -> Feature:
    """The schema feature for a column the profile skipped: its Arrow type, nothing required."""
    return Feature(
        name=skipped.path,
        type=FeatureType.NULL,
        arrow_type=skipped.arrow_type,
        description=f"not checked: {skipped.reason}",
    )


def infer_schema(profile: DatasetProfile, options: InferOptions | None = None) -> Schema:
    """Propose a schema from a profile; the data the profile came from passes it.

    Args:
        profile: the statistics of a dataset (:func:`datacheck.stats.generate_statistics`).
        options: inference options; the defaults infer no numeric ranges.

    Returns:
        Version 1 of a schema with one feature per profiled feature, in profile order, each
        with the default drift and skew comparators for its type, then one skipped feature
        per column the profile skipped.
    """
    require(
        profile,
        DatasetProfile,
        function="infer_schema",
        parameter="profile",
        needs="a DatasetProfile (generate_statistics makes one, load_profile reads one)",
    )
    options = options or InferOptions()
    profiled = tuple(infer_feature(f, profile.num_rows, options) for f in profile.features.values())
    return Schema(
        features=profiled + tuple(skipped_feature(s) for s in profile.skipped),
        default_environments=options.default_environments,
        # Later data is read as this data was: same delimiter, null markers and columns.
        reader=profile.reader,
    )


def drift_schema(baseline: DatasetProfile) -> Schema:
    """A schema that only measures drift: the baseline's types and default drift comparators.

    For data compared with a baseline when no schema was written: every distance is measured,
    and only drift (of values and of the missing share), a changed type, a new column, and a
    column the baseline had values in that vanished (or holds none) are flagged, not the
    inferred domains or presence fractions.
    """
    return Schema(
        features=tuple(
            f
            if f.skipped
            else Feature(
                name=f.name,
                type=f.type,
                time=f.time,
                drift_comparator=f.drift_comparator,
                missing_drift=f.missing_drift,
                drift_level=f.drift_level,
                freshness=f.freshness,
                presence=Presence(min_count=1 if baseline.features[f.name].num_present else 0),
            )
            for f in infer_schema(baseline).features
        ),
        description="drift against the baseline with the default comparators",
    )
