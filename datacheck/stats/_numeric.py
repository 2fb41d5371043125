"""Numeric statistics (ints, floats, decimals, dates, timestamps): moments, counts, KLL quantiles.

Moments are merged with Chan et al.'s parallel formula, so any split of the data gives the same
mean and standard deviation up to float rounding. Integer features (ints, dates, timestamps)
also keep the exact sum of their values as a Python integer, written to the profile: their mean
is that sum over the count, rounded once, and merges take the means' difference from the sums.
Float means of the parts would not do: with int64 values near 2**63 of both signs, a part's mean
is off by up to half a float step of 2**63 (1,024), which the merged mean of values that nearly
cancel keeps in full (2572505088.0 for 2572504746.33, issue 12).

Quantiles and both histograms come from a KLL sketch (datacheck's own
:class:`~datacheck.stats._kll.KllSketch`, fed whole numpy arrays; its compactions are
deterministic, its bytes DataSketches'). Weighted quantiles come from a bounded, mergeable
weighted sample (:class:`~datacheck.stats._sample.WeightedSample`, written as a DataSketches
VarOpt image), since KLL takes no weights.

Distinct values are counted exactly while there are at most ``exact_counts_cap`` of them (a
sorted numpy array with each value's count, merged by union); past the cap only that fact is
kept, so a high-cardinality column pays for ``pc.value_counts`` on its first batch only. The
counts let drift of a small-cardinality feature (a day of month, an hour) be measured exactly:
through the sketch, one day-of-month column gave a JSD of 0.055, 0.025 and 0.057 on three
identical runs against a threshold of 0.05 (issue 13).

Row order (:class:`~datacheck.stats.RowOrder`): the first and last finite value, the sum of
squared steps between consecutive values and whether they never decrease, one ``np.diff`` per
batch. It merges in order only (what ``generate_statistics`` does); it tells a counter or a
sorted date (non-decreasing) and a trending or slowly wandering series (small steps against
its spread: von Neumann's ratio) from independent rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import decimal_to_float
from datacheck.stats._kll import KllSketch
from datacheck.stats._options import QUANTILE_RANKS, StatsOptions
from datacheck.stats._profile import (
    Histogram,
    HistogramBucket,
    NumericStatistics,
    RowOrder,
    WeightedNumericStatistics,
)
from datacheck.stats._sample import WeightedSample

__all__ = ["NumericAccumulator", "kll_histograms", "numeric_values"]

#: values of a batch whose distinct values are counted before the rest (at least 8x the cap)
_PROBE = 4096
#: integers within this span of each other are counted with np.bincount, not hashed
_BINCOUNT_SPAN = 1 << 16


def numeric_values(values: pa.Array) -> tuple[np.ndarray, bool]:
    """The non-null values as a numpy array, and whether they are integers (exact min/max).

    Dates and timestamps become their underlying integers; decimals become float64.
    """
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if values.null_count:
        values = pc.drop_null(values)
    t = values.type
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        return values.view(pa.int32()).to_numpy(zero_copy_only=False), True
    if pa.types.is_date64(t) or pa.types.is_timestamp(t) or pa.types.is_time64(t):
        return values.view(pa.int64()).to_numpy(zero_copy_only=False), True
    if pa.types.is_duration(t):
        return values.view(pa.int64()).to_numpy(zero_copy_only=False), True
    if pa.types.is_decimal(t):
        return decimal_to_float(values).to_numpy(zero_copy_only=False), False
    if pa.types.is_integer(t):
        return values.to_numpy(zero_copy_only=False), True
    return values.cast(pa.float64()).to_numpy(zero_copy_only=False), False


def _moments(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float, float]:
    """(weight or count, mean, sum of squared deviations) of ``x``.

    Plain ufunc sums, not ``np.dot``: dot goes to BLAS, whose own threads spin and fight the
    column thread pool for the two cores.
    """
    with np.errstate(over="ignore"):
        if x.size:
            # Deviations from a value of the data: with a large common offset (timestamps in
            # microseconds, ~1e15) the mean's rounding error otherwise enters every deviation.
            pivot = float(x[0])
            shifted = x - pivot
            if np.isfinite(shifted).all():
                n, mean, m2 = _moments_unchecked(shifted, w)
                return n, mean + pivot, m2
        return _moments_unchecked(x, w)


def _moments_unchecked(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float, float]:
    if w is None:
        n = float(x.size)
        if n == 0:
            return 0.0, 0.0, 0.0
        mean = float(x.mean())
        if not math.isfinite(mean):
            # The sum overflowed (values near the float64 maximum): average scaled values.
            scale = float(np.abs(x).max())
            mean = float((x / scale).mean()) * scale
        d = x - mean
        return n, mean, float(np.square(d).sum())
    total = float(w.sum())
    if total == 0:
        return 0.0, 0.0, 0.0
    mean = float((w * x).sum() / total)
    if not math.isfinite(mean):
        scale = float(np.abs(x).max())
        mean = float((w * (x / scale)).sum() / total) * scale
    d = x - mean
    return total, mean, float((w * np.square(d)).sum())


def _exact_sum(x: np.ndarray, low: int, high: int) -> int:
    """The exact sum of an integer array whose min and max are ``low`` and ``high``."""
    if max(abs(low), abs(high)) * x.size < 2**63:
        return int(x.sum())  # numpy's own sum (int64 or uint64) cannot overflow here
    # Values near 2**63: sum the high and the low 32 bits apart, neither sum can overflow.
    wide = x.astype(np.int64 if x.dtype.kind == "i" else np.uint64, copy=False)
    return (int((wide >> 32).sum()) << 32) + int((wide & 0xFFFFFFFF).sum())


def _chan(
    a: tuple[float, float, float],
    b: tuple[float, float, float],
    sums: tuple[int, int] | None = None,
) -> tuple[float, float, float]:
    """Chan et al.'s merge of (count, mean, M2) pairs; weights work the same as counts.

    ``sums``, the exact sums of integer values on both sides, give the mean and the means'
    difference exactly, rounded once.
    """
    na, ma, m2a = a
    nb, mb, m2b = b
    if nb == 0:
        return a
    if na == 0:
        return b
    n = na + nb
    if sums is not None:
        sa, sb, ia, ib = *sums, int(na), int(nb)
        # Python's int / int is correctly rounded: both are exact up to that one rounding.
        delta = (sb * ia - sa * ib) / (ia * ib)
        return n, (sa + sb) / (ia + ib), m2a + m2b + delta * delta * (na / n * nb)
    delta = mb - ma
    # Fractions first, so that values near the float maximum do not overflow the products.
    return n, ma + delta * (nb / n), m2a + m2b + delta * delta * (na / n * nb)


def _exact_ends(quantiles: Any, kll: Any) -> tuple[float, ...]:
    """Quantiles with ranks 0 and 1 replaced by the sketch's exact min and max (the sorted view
    of a compacted sketch may no longer hold them)."""
    qs = [float(q) for q in quantiles]
    qs[0], qs[-1] = float(kll.get_min_value()), float(kll.get_max_value())
    return tuple(qs)


def kll_histograms(
    kll: Any, low: float, high: float, options: StatsOptions
) -> tuple[Histogram, Histogram]:
    """The equal-width histogram over [low, high] and the quantile histogram of a KLL sketch."""
    n = float(kll.n)
    if kll.is_empty():
        empty = Histogram(kind="standard", buckets=())
        return empty, Histogram(kind="quantiles", buckets=())
    nb = options.num_histogram_buckets
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        standard = Histogram(
            kind="standard", buckets=(HistogramBucket(low=low, high=high, count=n),)
        )
    else:
        # Halves: high - low overflows for values of both signs near the largest double.
        edges = np.linspace(low / 2, high / 2, nb + 1) * 2
        edges[0], edges[-1] = low, high
        # Values a few ULPs apart give repeated edges, which get_pmf refuses.
        edges = np.unique(edges)
        # Masses of (-inf, e1), [e1, e2), ...; the last bucket also takes the maximum itself.
        masses = kll.get_pmf(edges[1:-1].tolist())
        standard = Histogram(
            kind="standard",
            buckets=tuple(
                HistogramBucket(low=float(edges[i]), high=float(edges[i + 1]), count=m * n)
                for i, m in enumerate(masses)
            ),
        )
    nq = options.num_quantile_buckets
    qs = _exact_ends(kll.get_quantiles([i / nq for i in range(nq + 1)]), kll)
    quantiles = Histogram(
        kind="quantiles",
        buckets=tuple(
            HistogramBucket(low=float(qs[i]), high=float(qs[i + 1]), count=n / nq)
            for i in range(nq)
        ),
    )
    return standard, quantiles


def _weighted_quantiles(sample: WeightedSample, ranks: tuple[float, ...]) -> tuple[float, ...]:
    """Quantiles of a weighted sample: the value where the cumulative weight reaches each rank."""
    if sample.values.size == 0:
        return ()
    values, weights = sample.values, sample.weights
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    positions = np.searchsorted(cum, np.asarray(ranks) * cum[-1], side="left")
    return tuple(float(values[min(int(p), values.size - 1)]) for p in positions)


def _distinct_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a NaN-free array, ascending (int64 or float64, -0.0 as 0.0),
    and how often each occurs (int64)."""
    if values.dtype.kind in "iu" and values.size:
        lo, hi = values.min(), values.max()
        if int(hi) - int(lo) <= _BINCOUNT_SPAN:
            # Integers in a short range (a day, an hour, a count): counting by offset is one
            # pass, faster than hashing (3.4 ms against pc.unique's 4.2 for 1M values).
            tally = np.bincount((values - lo).astype(np.intp, copy=False))
            offsets = np.flatnonzero(tally)
            return offsets.astype(np.int64) + int(lo), tally[offsets].astype(np.int64)
    # Hashing (pc.value_counts) first: np.unique alone sorts the whole batch.
    found = pc.value_counts(pa.array(values))
    keys = found.field(0).to_numpy(zero_copy_only=False)
    counts = found.field(1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if keys.dtype.kind == "f":
        # 0.0 and -0.0 are one value (as np.unique sees them); one sign keeps splits alike.
        keys = keys.astype(np.float64, copy=False) + 0.0
    else:
        keys = keys.astype(np.int64, copy=False)
    return _summed(keys, counts)


def _summed(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` made unique and ascending, with the counts of equal keys added."""
    unique, inverse = np.unique(keys, return_inverse=True)
    if unique.size == keys.size:
        return unique, counts[np.argsort(keys, kind="stable")]
    total = np.zeros(unique.size, dtype=np.int64)
    np.add.at(total, inverse, counts)
    return unique, total


def _row_order(x: np.ndarray) -> RowOrder | None:
    """The row order of a batch's finite values (float64, in row order)."""
    if x.size == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.diff(x)
        # The smallest step, then the squares in place: a fifth of the time of a comparison
        # array and a new array of squares (1.8 ms against 9.1 for 1M values).
        nondecreasing = not steps.size or bool(steps.min() >= 0)
        np.square(steps, out=steps)
        return RowOrder(
            first=float(x[0]),
            last=float(x[-1]),
            successive_sq_diff=float(steps.sum()),
            nondecreasing=nondecreasing,
        )


def _then(a: RowOrder | None, b: RowOrder | None) -> RowOrder | None:
    """The row order of ``a``'s values followed by ``b``'s."""
    if a is None or b is None:
        return a or b
    step = b.first - a.last
    return RowOrder(
        first=a.first,
        last=b.last,
        successive_sq_diff=a.successive_sq_diff + b.successive_sq_diff + step * step,
        nondecreasing=a.nondecreasing and b.nondecreasing and step >= 0,
    )


class NumericAccumulator:
    """Mutable, picklable state of one numeric feature; bounded by the sketch sizes."""

    __slots__ = (
        "counts",
        "distinct",
        "distinct_floor",
        "exact_sum",
        "integer",
        "kll",
        "max",
        "min",
        "moments",
        "num_nan",
        "num_neg_inf",
        "num_pos_inf",
        "num_values",
        "num_zeros",
        "options",
        "order",
        "order_known",
        "sample",
        "weighted_moments",
    )

    def __init__(self, options: StatsOptions, *, integer: bool, weighted: bool) -> None:
        self.options = options
        self.integer = integer
        self.num_values = 0
        self.num_nan = 0
        self.num_pos_inf = 0
        self.num_neg_inf = 0
        self.num_zeros = 0
        self.min: float | None = None
        self.max: float | None = None
        self.moments = (0.0, 0.0, 0.0)
        # The sum of the values while they are all integers; None once a float is added.
        self.exact_sum: int | None = 0 if integer else None
        # The distinct values, sorted, while at most exact_counts_cap; None once past the cap,
        # when distinct_floor is all that is known (cap + 1, or a loaded profile's lower bound).
        self.distinct: np.ndarray | None = np.empty(0, dtype=np.int64 if integer else np.float64)
        # How often each distinct value occurs (same order); None with distinct, or when a
        # merged profile was written before counts were kept.
        self.counts: np.ndarray | None = np.empty(0, dtype=np.int64)
        self.distinct_floor = 0
        # The row order of the values added so far (None: none yet); order_known turns False
        # when a profile without row order (Beam's, an older one) is merged in.
        self.order: RowOrder | None = None
        self.order_known = True
        self.kll = KllSketch(options.kll_k)
        self.weighted_moments: tuple[float, float, float] | None = (
            (0.0, 0.0, 0.0) if weighted else None
        )
        self.sample = WeightedSample(options.weighted_sample_size) if weighted else None

    def add(self, values: pa.Array, weights: np.ndarray | None) -> None:
        """Add one batch of values; ``weights`` (aligned with ``values``) only when weighted."""
        if weights is not None and values.null_count:
            weights = weights[values.is_valid().to_numpy(zero_copy_only=False)]
        x, integer = numeric_values(values)
        if x.size == 0:
            return
        self.num_values += int(x.size)
        lo: float
        hi: float
        batch_sum: int | None = None
        if integer:
            lo, hi = int(x.min()), int(x.max())
            finite = nonnan = x
            batch_sum = _exact_sum(x, lo, hi)
            w_values, w = (x, weights) if weights is not None else (None, None)
        else:
            nan = np.isnan(x)
            num_nan = int(np.count_nonzero(nan))
            self.num_nan += num_nan
            nonnan = x[~nan] if num_nan else x
            if nonnan.size == 0:
                return
            lo, hi = float(nonnan.min()), float(nonnan.max())
            finite = nonnan
            if math.isinf(lo) or math.isinf(hi):
                self.num_neg_inf += int(np.count_nonzero(nonnan == -math.inf))
                self.num_pos_inf += int(np.count_nonzero(nonnan == math.inf))
                finite = nonnan[np.isfinite(nonnan)]
            w_values, w = None, None
            if weights is not None:
                keep = np.isfinite(x)
                w_values, w = x[keep], weights[keep]
        self.num_zeros += int(np.count_nonzero(nonnan == 0))
        if self.distinct is not None:
            self._add_distinct(nonnan)
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        finite64 = finite.astype(np.float64, copy=False)
        self._add_moments(_moments(finite64, None), batch_sum)
        if self.order_known:
            self.order = _then(self.order, _row_order(finite64))
        self.kll.add(nonnan, lo, hi)
        if w is not None and w_values is not None and self.weighted_moments is not None:
            w_values = w_values.astype(np.float64, copy=False)
            self.weighted_moments = _chan(self.weighted_moments, _moments(w_values, w))
            if self.sample is not None:
                self.sample.add(w_values, w)

    def _add_moments(self, moments: tuple[float, float, float], exact_sum: int | None) -> None:
        """Merge the (count, mean, M2) of more values, with their exact sum if integers."""
        mine = self.exact_sum
        if mine is None or exact_sum is None:
            self.moments, self.exact_sum = _chan(self.moments, moments), None
        else:
            self.moments = _chan(self.moments, moments, (mine, exact_sum))
            self.exact_sum = mine + exact_sum

    def _add_distinct(self, values: np.ndarray) -> None:
        """Count the distinct values of a NaN-free batch, while the set is still exact."""
        # A prefix first: a high-cardinality column passes the cap there (a whole in-memory
        # column can be one batch of millions), and the rest of it is never hashed.
        probe = max(_PROBE, 8 * (self.options.exact_counts_cap + 1))
        if values.size > probe:
            self._union_distinct(*_distinct_of(values[:probe]))
            if self.distinct is None:
                return
            values = values[probe:]
        self._union_distinct(*_distinct_of(values))

    def _union_distinct(self, values: np.ndarray, counts: np.ndarray | None) -> None:
        """Union sorted distinct ``values`` (with their ``counts``, None: not known) into the
        exact set, or drop it past the cap."""
        assert self.distinct is not None
        cap = self.options.exact_counts_cap
        if self.distinct.size == 0:
            union, total = values, counts
        elif self.counts is None or counts is None:
            union, total = np.union1d(self.distinct, values), None
        else:
            union, total = _summed(
                np.concatenate([self.distinct, values]), np.concatenate([self.counts, counts])
            )
        if union.size > cap:
            self.distinct, self.counts, self.distinct_floor = None, None, cap + 1
        else:
            self.distinct, self.counts = union, total

    def _distinct_lower(self) -> int:
        return self.distinct_floor if self.distinct is None else int(self.distinct.size)

    def merge(self, other: NumericAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.integer = self.integer and other.integer
        if self.distinct is not None and other.distinct is not None:
            self._union_distinct(other.distinct, other.counts)
        else:
            self.distinct_floor = max(self._distinct_lower(), other._distinct_lower())
            self.distinct, self.counts = None, None
        # Merges come in row order in generate_statistics; Beam's come in none, and its
        # profiles drop the row order (see datacheck.beam).
        self.order_known = self.order_known and other.order_known
        self.order = _then(self.order, other.order) if self.order_known else None
        self.num_values += other.num_values
        self.num_nan += other.num_nan
        self.num_pos_inf += other.num_pos_inf
        self.num_neg_inf += other.num_neg_inf
        self.num_zeros += other.num_zeros
        if other.min is not None:
            self.min = other.min if self.min is None else min(self.min, other.min)
        if other.max is not None:
            self.max = other.max if self.max is None else max(self.max, other.max)
        self._add_moments(other.moments, other.exact_sum)
        self.kll.merge(other.kll)
        if self.weighted_moments is not None and other.weighted_moments is not None:
            self.weighted_moments = _chan(self.weighted_moments, other.weighted_moments)
            if self.sample is not None and other.sample is not None:
                self.sample.merge(other.sample)

    def extract(self) -> NumericStatistics:
        """The statistics of everything added so far."""
        n, mean, m2 = self.moments
        exact_sum = self.exact_sum if self.integer else None
        if exact_sum is not None and n > 0:
            mean = exact_sum / int(n)  # rounded once
        kll = self.kll.view()
        empty = kll.is_empty()
        quantiles = () if empty else _exact_ends(kll.get_quantiles(list(QUANTILE_RANKS)), kll)
        low = self.min if self.min is not None else math.nan
        high = self.max if self.max is not None else math.nan
        histogram, quantile_histogram = kll_histograms(kll, low, high, self.options)
        weighted = None
        if self.weighted_moments is not None:
            wn, wmean, wm2 = self.weighted_moments
            assert self.sample is not None  # made with the weighted moments
            wq = _weighted_quantiles(self.sample, QUANTILE_RANKS)
            weighted = WeightedNumericStatistics(
                total_weight=wn,
                mean=wmean if wn > 0 else None,
                std_dev=math.sqrt(max(wm2, 0.0) / wn) if wn > 0 else None,
                median=wq[QUANTILE_RANKS.index(0.5)] if wq else None,
                quantiles=wq,
                sample_sketch=self.sample.to_bytes(),
            )
        return NumericStatistics(
            num_values=self.num_values,
            min=self.min,
            max=self.max,
            mean=mean if n > 0 else None,
            std_dev=math.sqrt(max(m2, 0.0) / n) if n > 0 else None,
            num_zeros=self.num_zeros,
            num_nan=self.num_nan,
            num_pos_inf=self.num_pos_inf,
            num_neg_inf=self.num_neg_inf,
            median=None if empty else float(kll.get_quantile(0.5)),
            quantiles=quantiles,
            histogram=histogram,
            quantile_histogram=quantile_histogram,
            kll_sketch=self.kll.to_bytes(),
            distinct=None if self.distinct is None else int(self.distinct.size),
            distinct_lower_bound=self._distinct_lower(),
            distinct_values=self._distinct_values(),
            distinct_counts=(
                None
                if self.distinct is None or self.counts is None
                else tuple(self.counts.tolist())
            ),
            row_order=self.order if self.order_known else None,
            exact_sum=exact_sum,
            weighted=weighted,
        )

    def _distinct_values(self) -> tuple[float, ...] | None:
        """The exact set as Python numbers: ints for integer features, floats for the rest."""
        if self.distinct is None:
            return None
        if self.integer:
            return tuple(self.distinct.tolist())
        return tuple(self.distinct.astype(np.float64, copy=False).tolist())

    @classmethod
    def from_output(
        cls, stats: NumericStatistics, options: StatsOptions, *, integer: bool
    ) -> NumericAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls(options, integer=integer, weighted=stats.weighted is not None)
        acc.num_values = stats.num_values
        acc.num_nan = stats.num_nan
        acc.num_pos_inf = stats.num_pos_inf
        acc.num_neg_inf = stats.num_neg_inf
        acc.num_zeros = stats.num_zeros
        acc.min, acc.max = stats.min, stats.max
        n = float(stats.num_values - stats.num_nan - stats.num_pos_inf - stats.num_neg_inf)
        if n > 0 and stats.mean is not None and stats.std_dev is not None:
            acc.moments = (n, stats.mean, stats.std_dev**2 * n)
        # A profile written before exact sums were kept has none: its merges add float means.
        acc.exact_sum = stats.exact_sum if integer else None
        acc.kll = KllSketch.from_bytes(stats.kll_sketch)
        if stats.distinct_values is None:
            acc.distinct, acc.distinct_floor = None, stats.distinct_lower_bound
        else:
            acc.distinct = np.array(
                stats.distinct_values, dtype=np.int64 if integer else np.float64
            )
            counts = stats.distinct_counts
            acc.counts = None if counts is None else np.array(counts, dtype=np.int64)
        if stats.distinct_values is None:
            acc.counts = None
        # A profile of values but no row order was not profiled in order (Beam, an older one).
        acc.order = stats.row_order
        finite = stats.num_values - stats.num_nan - stats.num_pos_inf - stats.num_neg_inf
        acc.order_known = stats.row_order is not None or finite == 0
        w = stats.weighted
        if w is not None:
            if w.total_weight > 0 and w.mean is not None and w.std_dev is not None:
                acc.weighted_moments = (w.total_weight, w.mean, w.std_dev**2 * w.total_weight)
            acc.sample = WeightedSample.from_bytes(w.sample_sketch)
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
