"""Distances between two distributions of one feature, as effect sizes (never p-values).

Numeric features are compared through their KLL quantile sketches:

- **Jensen-Shannon divergence** over *quantile* bins of the baseline: the bin edges are the
  baseline's quantiles at ranks 1/B, 2/B, ... (B = :data:`QUANTILE_BINS`), and the masses of both
  sides in those bins come from each sketch's CDF. Equal-width bins (TFDV's approximation) put
  almost all mass of a long-tailed column into one or two bins and turn sampling noise into
  large divergences; quantile bins hold equal baseline mass each. Log base 2, so JSD is in [0, 1].
- **PSI** (population stability index) over the same bins, natural log, with both masses
  floored at :data:`PSI_EPSILON` so that an empty bin gives a large, finite value.
- **KS statistic**: the largest difference of the two CDFs, evaluated just below and just
  above the quantiles of both sketches, in [0, 1].

Values closer than 1e-5 of the joint range count as equal (bin edges and CDF points sit that
far from the sketch's values), so that two profiles that rounded the same value differently
do not split a group of tied values and report drift that is not there.
- **Normalized Wasserstein-1**: the mean absolute difference of the two quantile functions over
  :data:`WASSERSTEIN_GRID` evenly spaced ranks, divided by the baseline's interquartile range
  (or, when that is zero, its full range; when that is zero too, by 1). A value of 0.5 means
  "the distribution moved by half an IQR on average".
- **L-infinity** over the same quantile-bin masses (the largest change of one bin's mass).

A numeric feature whose profiles both kept exact value counts (at most ``exact_counts_cap``
distinct values: a day of month, an hour, a small count) is compared through those instead
(:class:`ExactDistribution`, which answers the sketch's queries exactly): the same bins and
formulas, with no sketch error, so the same data always gives the same distance.

Categorical features are compared through value counts (exact when the profile has them, else
top-k with everything else lumped into an "other" bin): L-infinity over the frequencies,
Jensen-Shannon (base 2) and PSI.

:data:`NUMERIC_DISTANCES` and :data:`CATEGORICAL_DISTANCES` are the registry: a comparator
method maps to its distance function, one entry per method that applies to the kind, so a new
distance is one entry. The functions take the two sides as a :class:`SketchPair` or a
:class:`CountsPair`, which compute what several distances share (the quantile-bin masses, the
aligned frequencies) once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from datacheck.schema import ComparatorMethod

__all__ = [
    "CATEGORICAL_DISTANCES",
    "NUMERIC_DISTANCES",
    "PSI_EPSILON",
    "QUANTILE_BINS",
    "WASSERSTEIN_GRID",
    "CategoricalCounts",
    "CountsPair",
    "ExactDistribution",
    "QuantileSketch",
    "SketchPair",
    "aligned_frequencies",
    "jensen_shannon",
    "ks_statistic",
    "l_infinity",
    "psi",
    "quantile_bin_masses",
    "wasserstein_normalized",
]

#: number of baseline-quantile bins for numeric JSD, PSI and L-infinity (deciles, as PSI
#: practice uses)
QUANTILE_BINS = 10
#: floor of a bin's mass in PSI, so that an empty bin gives a large but finite term
PSI_EPSILON = 1e-4
#: ranks at which the quantile functions are compared for the Wasserstein distance
WASSERSTEIN_GRID = 200

Floats = npt.NDArray[np.float64]


class QuantileSketch(Protocol):
    """What the numeric distances need of a quantile sketch (DataSketches' KLL has it)."""

    @property
    def n(self) -> int: ...

    def is_empty(self) -> bool: ...

    def get_quantiles(self, ranks: Sequence[float], inclusive: bool = False) -> list[float]: ...

    def get_pmf(self, split_points: Sequence[float], inclusive: bool = False) -> list[float]: ...

    def get_cdf(self, split_points: Sequence[float], inclusive: bool = False) -> list[float]: ...


class ExactDistribution:
    """A numeric distribution known exactly from value counts, queried as a KLL sketch is.

    Ranks, quantiles, CDFs and PMFs follow DataSketches' definitions (exclusive by default: a
    quantile at rank r is the smallest value whose inclusive rank exceeds r; inclusive: the
    smallest whose inclusive rank reaches r, rounded up to a whole count), so that a sketch
    that kept every value (fewer than ``k`` of them) gives the same answers; a test holds
    the two together.
    """

    __slots__ = ("_cum", "_values")

    def __init__(self, values: Sequence[float], counts: Sequence[int]) -> None:
        order = np.argsort(np.asarray(values, dtype=np.float64), kind="stable")
        self._values: Floats = np.asarray(values, dtype=np.float64)[order]
        self._cum = np.cumsum(np.asarray(counts, dtype=np.int64)[order])

    @property
    def n(self) -> int:
        return int(self._cum[-1]) if self._cum.size else 0

    def is_empty(self) -> bool:
        return self.n == 0

    def get_quantiles(self, ranks: Sequence[float], inclusive: bool = False) -> list[float]:
        n = self.n
        weights = np.asarray(ranks, dtype=np.float64) * n
        if inclusive:
            at = np.searchsorted(self._cum, np.ceil(weights), side="left")
        else:
            at = np.searchsorted(self._cum, weights, side="right")
        found: list[float] = self._values[np.minimum(at, self._values.size - 1)].tolist()
        return found

    def get_cdf(self, split_points: Sequence[float], inclusive: bool = False) -> list[float]:
        at = np.searchsorted(
            self._values,
            np.asarray(split_points, dtype=np.float64),
            "right" if inclusive else "left",
        )
        below = np.where(at > 0, self._cum[np.maximum(at - 1, 0)], 0)
        cdf: list[float] = (below / self.n).tolist()
        return [*cdf, 1.0]

    def get_pmf(self, split_points: Sequence[float], inclusive: bool = False) -> list[float]:
        cdf = np.asarray(self.get_cdf(split_points, inclusive), dtype=np.float64)
        pmf: list[float] = np.diff(cdf, prepend=0.0).tolist()
        return pmf


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoricalCounts:
    """Value counts of a categorical feature, exact or the top values only."""

    #: value -> count (weighted counts allowed)
    counts: Mapping[str, float] = field(default_factory=dict)
    #: the number of values of the feature, including those not in ``counts``
    total: float
    #: whether ``counts`` lists every value (a value not listed has count 0)
    exact: bool


def _tolerance(baseline: QuantileSketch, current: QuantileSketch) -> float:
    """How far apart two values may be and still count as the same value.

    Profiles may store values rounded (a float32 offset from a batch minimum, say), and each
    dataset rounds its own way: the same 5.6 becomes 5.59999981 on one side, 5.60000038 on the
    other. A bin edge or a CDF point between the two would split a group of tied values and
    report drift that is not there. 1e-5 of the joint range is far above such rounding (about
    6e-8 of the range) and far below any real difference.
    """
    lows_highs = [s.get_quantiles([0.0, 1.0]) for s in (baseline, current)]
    span = max(h for _, h in lows_highs) - min(lo for lo, _ in lows_highs)
    return 1e-5 * span if np.isfinite(span) and span > 0 else 0.0


def _moved(points: Floats, by: float) -> Floats:
    """``points + by``, where the sum is finite: past the largest double there is no value, so
    no mass either side of such a point to tell apart."""
    with np.errstate(over="ignore"):
        moved: Floats = points + by
    return moved[np.isfinite(moved)]


def quantile_bin_masses(
    baseline: QuantileSketch, current: QuantileSketch, bins: int = QUANTILE_BINS
) -> tuple[Floats, Floats]:
    """The masses of both sides in the baseline's quantile bins (each sums to 1).

    Edges are the distinct baseline quantiles at ranks 1/bins ... (bins-1)/bins, each moved
    down by a tolerance (see :func:`_tolerance`) so that a group of tied values falls wholly
    into one bin on both sides; a column with few distinct values gets fewer bins.
    """
    ranks = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges = np.unique(np.asarray(baseline.get_quantiles(ranks.tolist()), dtype=np.float64))
    edges = np.unique(_moved(edges[np.isfinite(edges)], -_tolerance(baseline, current)))
    p = np.asarray(baseline.get_pmf(edges.tolist()), dtype=np.float64)
    q = np.asarray(current.get_pmf(edges.tolist()), dtype=np.float64)
    return p / p.sum(), q / q.sum()


def jensen_shannon(p: Floats, q: Floats) -> float:
    """Jensen-Shannon divergence of two aligned distributions, log base 2, in [0, 1]."""
    m = 0.5 * (p + q)
    return float(np.clip(0.5 * (_kl(p, m) + _kl(q, m)), 0.0, 1.0))


def _kl(p: Floats, m: Floats) -> float:
    # 0 * log(0 / m) is 0 by convention; m > 0 wherever p > 0.
    nz = p > 0
    return float(np.sum(p[nz] * np.log2(p[nz] / m[nz])))


def psi(p: Floats, q: Floats) -> float:
    """Population stability index of ``q`` against ``p`` (natural log), >= 0."""
    pe = np.maximum(p, PSI_EPSILON)
    qe = np.maximum(q, PSI_EPSILON)
    return float(max(np.sum((qe - pe) * np.log(qe / pe)), 0.0))


def l_infinity(p: Floats, q: Floats) -> float:
    """The largest absolute difference of two aligned distributions, in [0, 1]."""
    return float(np.max(np.abs(p - q))) if p.size else 0.0


def _support(baseline: QuantileSketch, current: QuantileSketch) -> Floats:
    ranks = np.linspace(0.0, 1.0, 201).tolist()
    points = np.concatenate(
        [np.asarray(s.get_quantiles(ranks), dtype=np.float64) for s in (baseline, current)]
    )
    points = np.unique(points)
    finite: Floats = points[np.isfinite(points)]
    return finite


def ks_statistic(baseline: QuantileSketch, current: QuantileSketch) -> float:
    """The Kolmogorov-Smirnov statistic: the largest gap between the two CDFs, in [0, 1].

    The CDFs are compared just below and just above every quantile of either side, a
    tolerance away (see :func:`_tolerance`), so that the same value rounded two ways does not
    show as a step on one side only.
    """
    support = _support(baseline, current)
    if not support.size:
        return 0.0
    tol = _tolerance(baseline, current)
    points = np.unique(np.concatenate([_moved(support, -tol), _moved(support, tol)])).tolist()
    gap = np.abs(
        np.asarray(baseline.get_cdf(points, inclusive=True)[:-1])
        - np.asarray(current.get_cdf(points, inclusive=True)[:-1])
    )
    return float(min(gap.max(), 1.0))


def wasserstein_normalized(baseline: QuantileSketch, current: QuantileSketch) -> float:
    """Wasserstein-1 distance divided by the baseline's IQR (else range, else 1); >= 0."""
    ranks = ((np.arange(WASSERSTEIN_GRID) + 0.5) / WASSERSTEIN_GRID).tolist()
    qb = np.asarray(baseline.get_quantiles(ranks), dtype=np.float64)
    qc = np.asarray(current.get_quantiles(ranks), dtype=np.float64)
    finite = np.isfinite(qb) & np.isfinite(qc)
    if not finite.any():
        return 0.0
    distance = float(np.mean(np.abs(qb[finite] - qc[finite])))
    q25, q75, q0, q1 = baseline.get_quantiles([0.25, 0.75, 0.0, 1.0])
    scale = q75 - q25
    if not (np.isfinite(scale) and scale > 0):
        scale = q1 - q0
    if not (np.isfinite(scale) and scale > 0):
        scale = 1.0
    return distance / float(scale)


def aligned_frequencies(
    baseline: CategoricalCounts, current: CategoricalCounts
) -> tuple[list[str], Floats, Floats]:
    """Labels and aligned frequencies of both sides, with an "other" bin where needed.

    A value gets its own bin when its count is known on both sides: listed there, or that
    side's counts are exact (so an unlisted value has count 0). Everything else on each side
    (values beyond its top-k) goes to one trailing "other" bin, which is left out when it is
    empty on both sides. Frequencies are shares of each side's total.
    """
    b_keys, c_keys = baseline.counts.keys(), current.counts.keys()
    if baseline.exact and current.exact:
        known = b_keys | c_keys
    elif baseline.exact:
        known = set(c_keys)
    elif current.exact:
        known = set(b_keys)
    else:
        known = b_keys & c_keys
    keys = sorted(known)
    b_get, c_get = baseline.counts.get, current.counts.get
    p = np.fromiter((b_get(k, 0.0) for k in keys), dtype=np.float64, count=len(keys))
    q = np.fromiter((c_get(k, 0.0) for k in keys), dtype=np.float64, count=len(keys))
    p_other = max(baseline.total - p.sum(), 0.0)
    q_other = max(current.total - q.sum(), 0.0)
    if p_other > 0 or q_other > 0:
        keys.append("<other>")
        p = np.append(p, p_other)
        q = np.append(q, q_other)
    p_total, q_total = p.sum(), q.sum()
    return (
        keys,
        p / p_total if p_total > 0 else p,
        q / q_total if q_total > 0 else q,
    )


class SketchPair:
    """The two sides of a numeric comparison, as quantile sketches.

    :meth:`masses` (the baseline-quantile-bin masses that JSD, PSI and L-infinity share) is
    computed on first use and kept: computing it once per feature, not once per method, took
    ``validate_statistics`` from 13.8-41.7 ms to 11 ms (bench/RESULTS.md).
    """

    __slots__ = ("_masses", "baseline", "current")

    def __init__(self, baseline: QuantileSketch, current: QuantileSketch) -> None:
        self.baseline = baseline
        self.current = current
        self._masses: tuple[Floats, Floats] | None = None

    def masses(self) -> tuple[Floats, Floats]:
        """Both sides' masses in the baseline's quantile bins (:func:`quantile_bin_masses`)."""
        if self._masses is None:
            self._masses = quantile_bin_masses(self.baseline, self.current)
        return self._masses


class CountsPair:
    """The two sides of a categorical comparison, as value counts; :meth:`frequencies` (which
    every categorical distance uses) is computed on first use and kept."""

    __slots__ = ("_frequencies", "baseline", "current")

    def __init__(self, baseline: CategoricalCounts, current: CategoricalCounts) -> None:
        self.baseline = baseline
        self.current = current
        self._frequencies: tuple[Floats, Floats] | None = None

    def frequencies(self) -> tuple[Floats, Floats]:
        """Both sides' aligned frequencies (:func:`aligned_frequencies`, without the labels)."""
        if self._frequencies is None:
            _, p, q = aligned_frequencies(self.baseline, self.current)
            self._frequencies = (p, q)
        return self._frequencies


#: comparator method -> distance between two numeric distributions, for every method that
#: applies to numeric features (all of them), in the order they are reported
NUMERIC_DISTANCES: dict[ComparatorMethod, Callable[[SketchPair], float]] = {
    ComparatorMethod.JENSEN_SHANNON: lambda pair: jensen_shannon(*pair.masses()),
    ComparatorMethod.PSI: lambda pair: psi(*pair.masses()),
    ComparatorMethod.KS: lambda pair: ks_statistic(pair.baseline, pair.current),
    ComparatorMethod.WASSERSTEIN: lambda pair: wasserstein_normalized(pair.baseline, pair.current),
    ComparatorMethod.L_INFINITY: lambda pair: l_infinity(*pair.masses()),
}

#: comparator method -> distance between two categorical distributions, for every method that
#: applies to categorical features, in the order they are reported. KS and Wasserstein do not:
#: they need values in an order, and categories have none.
CATEGORICAL_DISTANCES: dict[ComparatorMethod, Callable[[CountsPair], float]] = {
    ComparatorMethod.L_INFINITY: lambda pair: l_infinity(*pair.frequencies()),
    ComparatorMethod.JENSEN_SHANNON: lambda pair: jensen_shannon(*pair.frequencies()),
    ComparatorMethod.PSI: lambda pair: psi(*pair.frequencies()),
}
