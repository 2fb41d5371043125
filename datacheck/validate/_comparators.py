"""Drift and skew measurements of one feature: this data's statistics against a reference's.

Numeric features (``NUMERIC_TYPES``: int, float, decimal, date, timestamp, duration) are
compared through their KLL sketches (not across time units: their numbers count different
units), categorical ones (``CATEGORICAL_TYPES``: string, bool) through
value counts. Every method of the kind's registry (``NUMERIC_DISTANCES``,
``CATEGORICAL_DISTANCES``) is measured; the schema's comparator decides which one is
*enforced* (an anomaly when over its threshold). The others are reported for information
against :data:`REFERENCE_THRESHOLDS`.

A distance must also be larger than sampling noise alone makes it before it is over its
threshold (:func:`noise_floor`): two windows of a hundred rows from one distribution give a
decile JSD of 0.03 on average and over 0.05 one time in ten, and rows that follow one another
closely (a series in time) carry fewer independent values than rows: the effective count of
each side comes from its row order (:func:`effective_count`). The threshold stays an effect
size; the floor only keeps noise from passing for an effect.

Every feature's missing share is compared too (:func:`compare_missing`), whatever its type:
Cohen's h between the shares of rows missing it, measured as ``missing_cohens_h`` and enforced
by the feature's ``missing_drift``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from datasketches import kll_doubles_sketch

from datacheck._effect import cohens_h
from datacheck._types import CATEGORICAL_TYPES, NUMERIC_TYPES, FeatureType, time_of
from datacheck.schema import CATEGORICAL_DRIFT, MISSING_DRIFT, NUMERIC_DRIFT, Comparator
from datacheck.stats import FeatureStatistics
from datacheck.validate._distances import (
    CATEGORICAL_DISTANCES,
    NUMERIC_DISTANCES,
    CategoricalCounts,
    CountsPair,
    ExactDistribution,
    SketchPair,
)

Floats = npt.NDArray[np.float64]

__all__ = [
    "MISSING_METHOD",
    "MISSING_NOISE_Z",
    "MISSING_REFERENCE_THRESHOLD",
    "NOISE_ALARM_RATE",
    "REFERENCE_THRESHOLDS",
    "Comparison",
    "MissingComparison",
    "compare_feature",
    "compare_missing",
    "effective_count",
    "feature_kind",
    "noise_floor",
    "stale_share",
    "threshold_for",
]

#: feature kind -> method -> the threshold an unenforced measurement is shown against. Effect
#: sizes measured on real data (``bench/bench_validate.py``; bench/RESULTS.md, Validation):
#: above the worst of five undrifted 12-month windows of seattle-weather (JSD 0.024, PSI 0.14,
#: KS 0.15, Wasserstein 0.56-0.63 on zero-inflated precipitation; KLL sketches are randomized,
#: so figures vary a little between runs), below a +3 C shift of temp_max (JSD 0.084, PSI 0.49,
#: KS 0.32; Wasserstein needs a larger shift: wind x1.5 gives 0.81). The enforced defaults are
#: the schema's (``datacheck.schema._defaults``), repeated here for the methods they use.
REFERENCE_THRESHOLDS: dict[str, dict[str, float]] = {
    "numeric": {
        "jensen_shannon": NUMERIC_DRIFT.threshold,
        "psi": 0.25,
        "ks": 0.2,
        "wasserstein": 0.75,
        "l_infinity": 0.1,
    },
    "categorical": {
        "l_infinity": CATEGORICAL_DRIFT.threshold,
        "jensen_shannon": 0.05,
        "psi": 0.25,
    },
}


#: the method name of the missingness-drift measurement in the report
MISSING_METHOD = "missing_cohens_h"
#: the threshold an unenforced missingness measurement is shown against (the default's)
MISSING_REFERENCE_THRESHOLD = MISSING_DRIFT.threshold
#: a missing share must also move by more than this many standard errors of Cohen's h
#: (``sqrt(1/n1 + 1/n2)``, whatever the shares) before it is over its threshold: between two
#: windows of 100 rows sampling noise alone reaches h = 0.22 one time in eight, and an effect
#: threshold cannot know the windows' size. Two, not three: three would let a doubling from 9%
#: to 18% pass between windows of 200 rows (h = 0.27 against 0.30), the real case this check
#: exists for. Windows of 166 rows or more each are held to the default threshold alone.
MISSING_NOISE_Z = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingComparison:
    """The missing shares of one feature in the reference and in the current data."""

    reference_share: float
    current_share: float
    #: Cohen's h between the two shares
    distance: float
    #: how far sampling noise alone may move h (:data:`MISSING_NOISE_Z` standard errors)
    noise: float


def compare_missing(
    current: FeatureStatistics,
    reference: FeatureStatistics | None,
    current_rows: int,
    reference_rows: int,
) -> MissingComparison | None:
    """The missing shares of a feature on both sides, or None where a side has no rows or
    the reference no such feature."""
    if reference is None or current_rows <= 0 or reference_rows <= 0:
        return None
    p_ref, p_cur = 1.0 - reference.presence, 1.0 - current.presence
    return MissingComparison(
        reference_share=p_ref,
        current_share=p_cur,
        distance=cohens_h(p_ref, p_cur),
        noise=MISSING_NOISE_Z * math.sqrt(1.0 / current_rows + 1.0 / reference_rows),
    )


#: how often sampling noise alone may put a distance over its floor (:func:`noise_floor`):
#: one comparison of one feature in a thousand
NOISE_ALARM_RATE = 0.001
#: the standard normal quantiles of that rate: one-sided (chi-square) and two-sided
_Z_ONE_SIDED, _Z_TWO_SIDED = 3.09, 3.29
#: Smirnov's c(alpha) for the two-sample KS statistic at that rate
_KS_C = 1.95


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """The outcome of comparing one feature: distances by method, or why there are none."""

    #: "numeric" or "categorical"
    kind: str
    #: method -> distance, for every method that applies to the kind
    distances: dict[str, float]
    #: why nothing could be measured (statistics missing on one side); None when measured
    unavailable: str | None = None
    #: method -> the distance sampling noise alone reaches at :data:`NOISE_ALARM_RATE`
    #: (:func:`noise_floor`); a method not listed has no floor
    noise: dict[str, float] = field(default_factory=dict)
    #: the effective counts of values on the reference's and the current side
    counts: tuple[float, float] = (0.0, 0.0)
    #: whether the numeric distances came from exact value counts, not sketches
    exact: bool = False


def effective_count(stats: FeatureStatistics) -> float:
    """How many independent values a feature's values are worth, for sampling noise.

    Rows that follow one another closely carry less information than independent ones: with
    a lag-one autocorrelation ``rho`` (from the row order's von Neumann ratio, ``rho = 1 -
    ratio / 2``) ``n`` values are worth ``n (1 - rho) / (1 + rho)``, at least 1. Quarterly
    GDP over ten years (ratio 0.01) is worth one value, a year of daily temperatures (0.15)
    fourteen, independent rows (ratio near 2) all of theirs. Without a row order (strings,
    Beam's profiles) every value counts.
    """
    n_stats = stats.numeric
    if n_stats is not None:
        finite = n_stats.num_values - n_stats.num_nan - n_stats.num_pos_inf - n_stats.num_neg_inf
        order, sd = n_stats.row_order, n_stats.std_dev
        if order is None or sd is None or finite < 3 or not sd > 0:
            return float(max(finite, 0))
        ratio = order.successive_sq_diff / (finite - 1) / (sd * sd)
        rho = min(max(1.0 - ratio / 2.0, 0.0), 1.0) if math.isfinite(ratio) else 0.0
        return max(finite * (1.0 - rho) / (1.0 + rho), 1.0)
    if stats.string is not None:
        return float(stats.string.num_values)
    if stats.bool is not None:
        return float(stats.bool.num_true + stats.bool.num_false)
    return 0.0


def _chi2_quantile(df: int) -> float:
    """The chi-square quantile at 1 - :data:`NOISE_ALARM_RATE` (Wilson and Hilferty)."""
    k = max(df, 1)
    return float(k * (1.0 - 2.0 / (9 * k) + _Z_ONE_SIDED * math.sqrt(2.0 / (9 * k))) ** 3)


def noise_floor(
    method: str, n_reference: float, n_current: float, bins: int, top_share: float
) -> float | None:
    """The distance that sampling noise alone exceeds at :data:`NOISE_ALARM_RATE`, between
    samples of ``n_reference`` and ``n_current`` (effective) values of one distribution.

    ``bins`` is the number of bins compared, ``top_share`` the largest pooled share of a bin
    (for L-infinity). Large-sample forms: JSD (base 2) is about a chi-square of ``bins - 1``
    degrees of freedom times ``(1/n + 1/m) / (8 ln 2)``, PSI that chi-square times ``1/n +
    1/m``, L-infinity ``z`` standard errors of the largest bin's share, KS Smirnov's bound.
    None for Wasserstein (no floor: its scale is the baseline's spread, not a share).
    """
    if n_reference <= 0 or n_current <= 0:
        return None
    inv = 1.0 / n_reference + 1.0 / n_current
    if method == "jensen_shannon":
        return min(_chi2_quantile(bins - 1) * inv / (8 * math.log(2)), 1.0)
    if method == "psi":
        return _chi2_quantile(bins - 1) * inv
    if method == "l_infinity":
        p = min(max(top_share, 0.0), 1.0)
        return min(_Z_TWO_SIDED * math.sqrt(p * (1 - p) * inv), 1.0)
    if method == "ks":
        return min(_KS_C * math.sqrt(inv), 1.0)
    return None


def _noise(
    distances: dict[str, float], n_ref: float, n_cur: float, p: Floats, q: Floats
) -> dict[str, float]:
    """The noise floor of each measured method, over the bins ``p`` and ``q``."""
    bins = int(np.count_nonzero((p + q) > 0))
    top = float(np.max(0.5 * (p + q))) if p.size else 0.0
    floors = {m: noise_floor(m, n_ref, n_cur, bins, top) for m in distances}
    return {m: f for m, f in floors.items() if f is not None}


def feature_kind(feature_type: FeatureType) -> str | None:
    """ "numeric", "categorical", or None for a type no distance applies to (bytes, null)."""
    if feature_type in NUMERIC_TYPES:
        return "numeric"
    if feature_type in CATEGORICAL_TYPES:
        return "categorical"
    return None


def _sketch(stats: FeatureStatistics) -> kll_doubles_sketch | ExactDistribution | None:
    """The feature's distribution: exact from its value counts when the profile kept them,
    else its KLL sketch."""
    if stats.numeric is None:
        return None
    counts = stats.numeric.distinct_counts
    values = stats.numeric.distinct_values
    if counts is not None and values is not None:
        return ExactDistribution(values, counts) if counts else None
    sketch = kll_doubles_sketch.deserialize(stats.numeric.kll_sketch)
    return None if sketch.is_empty() else sketch


def _counts(stats: FeatureStatistics) -> CategoricalCounts | None:
    if stats.bool is not None:
        b = stats.bool
        if b.num_true + b.num_false == 0:
            return None  # no value (zero rows, or all missing): no frequencies to compare
        return CategoricalCounts(
            counts={"true": b.num_true, "false": b.num_false},
            total=b.num_true + b.num_false,
            exact=True,
        )
    s = stats.string
    if s is None or s.num_values == 0:
        return None
    if s.value_counts is not None:
        return CategoricalCounts(counts=dict(s.value_counts), total=s.num_values, exact=True)
    return CategoricalCounts(
        counts={t.value: t.count for t in s.top_values},
        total=s.num_values,
        exact=s.top_values_exact,
    )


def compare_feature(
    current: FeatureStatistics, reference: FeatureStatistics | None, kind: str
) -> Comparison:
    """Every distance of ``kind`` between the reference's statistics and the current ones.

    The shared work is done once (see :class:`SketchPair` and :class:`CountsPair`): the
    quantile-bin masses serve JSD, PSI and L-infinity; the aligned frequencies serve every
    categorical method.
    """
    if reference is None:
        return Comparison(kind=kind, distances={}, unavailable="the reference has no such feature")
    theirs, mine = time_of(reference.arrow_type), time_of(current.arrow_type)
    if theirs is not None and mine is not None and theirs[0] != mine[0]:
        # The sketches hold counts of different units: a distance would measure the unit.
        return Comparison(
            kind=kind,
            distances={},
            unavailable=f"the reference counts in {theirs[0]}, the current data in {mine[0]}",
        )
    if kind == "numeric":
        a, b = _sketch(reference), _sketch(current)
        if a is None or b is None:
            side = "reference" if a is None else "current data"
            return Comparison(kind=kind, distances={}, unavailable=f"the {side} has no values")
        if isinstance(a, ExactDistribution) != isinstance(b, ExactDistribution):
            # One side past its exact cap: both through sketches, so both err alike.
            a, b = _kll(reference), _kll(current)
        sketches = SketchPair(a, b)
        distances = {
            str(method): distance(sketches) for method, distance in NUMERIC_DISTANCES.items()
        }
        n_ref, n_cur = effective_count(reference), effective_count(current)
        return Comparison(
            kind=kind,
            distances=distances,
            noise=_noise(distances, n_ref, n_cur, *sketches.masses()),
            counts=(n_ref, n_cur),
            exact=isinstance(a, ExactDistribution),
        )
    ca, cb = _counts(reference), _counts(current)
    if ca is None or cb is None:
        side = "reference" if ca is None else "current data"
        return Comparison(kind=kind, distances={}, unavailable=f"the {side} has no value counts")
    counts = CountsPair(ca, cb)
    distances = {
        str(method): distance(counts) for method, distance in CATEGORICAL_DISTANCES.items()
    }
    n_ref, n_cur = effective_count(reference), effective_count(current)
    return Comparison(
        kind=kind,
        distances=distances,
        noise=_noise(distances, n_ref, n_cur, *counts.frequencies()),
        counts=(n_ref, n_cur),
    )


def _kll(stats: FeatureStatistics) -> kll_doubles_sketch:
    assert stats.numeric is not None  # only called where _sketch found a distribution
    return kll_doubles_sketch.deserialize(stats.numeric.kll_sketch)


def stale_share(current: FeatureStatistics, reference: FeatureStatistics | None) -> float | None:
    """The share of the current values at or before the reference's latest value (exact from
    value counts, else from the sketch); None when a side has no values or the two count in
    different units (another anomaly says so)."""
    if reference is None or reference.numeric is None or reference.numeric.max is None:
        return None
    if reference.arrow_type != current.arrow_type:
        return None
    dist = _sketch(current)
    if dist is None:
        return None
    return float(dist.get_cdf([float(reference.numeric.max)], inclusive=True)[0])


def threshold_for(
    kind: str, method: str, comparator: Comparator | None
) -> tuple[float | None, bool]:
    """The threshold of a method's measurement and whether it is enforced."""
    if comparator is not None and str(comparator.method) == method:
        return comparator.threshold, True
    return REFERENCE_THRESHOLDS.get(kind, {}).get(method), False
