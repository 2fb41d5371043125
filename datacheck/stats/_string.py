"""String statistics (plain and dictionary-encoded): distinct count, top values, lengths.

Each batch is reduced with Arrow to its distinct values and their counts first; only those
reach Python and the sketches (HLL for the distinct count, frequent-items for the top values),
so a categorical column costs a few thousand sketch updates per batch whatever its row count.
Value counts stay exact while a feature has at most ``exact_counts_cap`` distinct values.

The frequent-items sketch is fed only each batch's ``M`` most frequent values, ``M`` being the
sketch's maximum map size. A value left out of a batch occurs there at most as often as the
``M``-th most frequent one, so at most ``batch_rows / M`` times: over the whole dataset that
is at most ``N / M`` for ``N`` values, less than the sketch's own a-priori error (about
``3.5 N / M``). The largest left-out count of each batch is summed in ``frequent_items_unfed``
and added to every upper bound, so the reported bounds still hold.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import datasketches as ds
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck.stats._options import StatsOptions
from datacheck.stats._profile import StringStatistics, TopValue, WeightedStringStatistics

__all__ = ["StringAccumulator", "distinct_counts"]

#: Weighted frequent-items sketches take integer weights: a row's weight counts in 1/1000ths.
_WEIGHT_SCALE = 1000


def distinct_counts(
    values: pa.Array, weights: np.ndarray | None = None
) -> tuple[pa.Array, np.ndarray, np.ndarray | None]:
    """The distinct non-null values, how often each occurs, and their total weight.

    Dictionary arrays are counted on their indices; other arrays are dictionary-encoded first
    (Arrow's hash kernel, which releases the GIL). A value may repeat in the output when a
    dictionary holds it twice; callers add such counts up.
    """
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
    indices = encoded.indices
    dictionary = encoded.dictionary
    if indices.null_count:
        valid = indices.is_valid().to_numpy(zero_copy_only=False)
        idx = pc.drop_null(indices).to_numpy(zero_copy_only=False)
        weights = None if weights is None else weights[valid]
    else:
        idx = indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(idx, minlength=len(dictionary))
    totals = None if weights is None else np.bincount(idx, weights, minlength=len(dictionary))
    if np.all(counts):
        return dictionary, counts, totals
    used = counts > 0
    return (
        dictionary.filter(pa.array(used)),
        counts[used],
        None if totals is None else totals[used],
    )


def _top_of(counts: dict[str, Any], k: int) -> list[tuple[str, Any]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def _add_counts(
    exact: dict[str, Any] | None, keys: list[str], counts: list[Any], cap: int
) -> dict[str, Any] | None:
    if exact is None:
        return None
    for key, count in zip(keys, counts, strict=True):
        exact[key] = exact.get(key, 0) + count
    return exact if len(exact) <= cap else None


class StringAccumulator:
    """Mutable, picklable state of one string feature; bounded by the sketch sizes and cap."""

    __slots__ = (
        "exact",
        "fi",
        "frequent_items_unfed",
        "hll",
        "max_length",
        "min_length",
        "num_values",
        "options",
        "sum_length",
        "total_weight",
        "weighted_exact",
        "weighted_fi",
    )

    def __init__(self, options: StatsOptions, *, weighted: bool) -> None:
        self.options = options
        self.num_values = 0
        self.sum_length = 0
        self.min_length: int | None = None
        self.max_length: int | None = None
        self.exact: dict[str, int] | None = {}
        # HLL_8 updates fastest of the three register widths; its size (2**lg_k bytes) is small.
        self.hll: Any = ds.hll_sketch(options.hll_lg_k, ds.tgt_hll_type.HLL_8)
        self.fi: Any = ds.frequent_strings_sketch(options.frequent_items_lg_max_map_size)
        self.frequent_items_unfed = 0
        self.total_weight: float | None = 0.0 if weighted else None
        self.weighted_exact: dict[str, float] | None = {} if weighted else None
        self.weighted_fi: Any = (
            ds.frequent_strings_sketch(options.frequent_items_lg_max_map_size) if weighted else None
        )

    def add(self, values: pa.Array, weights: np.ndarray | None) -> None:
        """Add one batch of values; ``weights`` (aligned with ``values``) only when weighted."""
        if pa.types.is_string_view(values.type):
            values = values.cast(pa.large_string())
        distinct, counts, totals = distinct_counts(
            values, weights if self.total_weight is not None else None
        )
        if counts.size == 0:
            return
        self.num_values += int(counts.sum())
        lengths = pc.utf8_length(distinct).to_numpy(zero_copy_only=False)
        self.sum_length += int(np.dot(lengths, counts))
        lo, hi = int(lengths.min()), int(lengths.max())
        self.min_length = lo if self.min_length is None else min(self.min_length, lo)
        self.max_length = hi if self.max_length is None else max(self.max_length, hi)
        # numpy object arrays of str are the cheapest way from Arrow to Python strings.
        strings = distinct.to_numpy(zero_copy_only=False)
        deque(map(self.hll.update, strings), maxlen=0)
        cap = self.options.exact_counts_cap
        if self.exact is not None:
            self.exact = (
                None
                if counts.size > cap
                else _add_counts(self.exact, strings.tolist(), counts.tolist(), cap)
            )
        self.frequent_items_unfed += self._feed_top(self.fi, strings, counts)
        if totals is not None and self.total_weight is not None:
            self.total_weight += float(totals.sum())
            if self.weighted_exact is not None:
                self.weighted_exact = (
                    None
                    if totals.size > cap
                    else _add_counts(self.weighted_exact, strings.tolist(), totals.tolist(), cap)
                )
            scaled = np.rint(totals * _WEIGHT_SCALE).astype(np.int64)
            self._feed_top(self.weighted_fi, strings, scaled)

    def _feed_top(self, sketch: Any, strings: np.ndarray, counts: np.ndarray) -> int:
        """Feed the batch's top-M values to ``sketch``; return the largest count left out."""
        m = 1 << self.options.frequent_items_lg_max_map_size
        left_out = 0
        if counts.size > m:
            order = np.argpartition(-counts, m)
            left_out = int(counts[order[m:]].max())
            keep = order[:m]
            strings, counts = strings[keep], counts[keep]
        update = sketch.update
        for value, count in zip(strings.tolist(), counts.tolist(), strict=True):
            if count > 0:
                update(value, count)
        return left_out

    def merge(self, other: StringAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.num_values += other.num_values
        self.sum_length += other.sum_length
        for name, pick in (("min_length", min), ("max_length", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, theirs if mine is None else pick(mine, theirs))
        cap = self.options.exact_counts_cap
        if other.exact is None:
            self.exact = None
        else:
            self.exact = _add_counts(self.exact, list(other.exact), list(other.exact.values()), cap)
        union = ds.hll_union(self.options.hll_lg_k)
        union.update(self.hll)
        union.update(other.hll)
        self.hll = union.get_result(ds.tgt_hll_type.HLL_8)
        self.fi.merge(other.fi)
        self.frequent_items_unfed += other.frequent_items_unfed
        if self.total_weight is not None and other.total_weight is not None:
            self.total_weight += other.total_weight
            if other.weighted_exact is None:
                self.weighted_exact = None
            else:
                self.weighted_exact = _add_counts(
                    self.weighted_exact,
                    list(other.weighted_exact),
                    list(other.weighted_exact.values()),
                    cap,
                )
            self.weighted_fi.merge(other.weighted_fi)

    def _sketch_top(self, sketch: Any, scale: float, slack: float) -> tuple[TopValue, ...]:
        # Only values surely above the sketch's error: a near-unique column has no top values.
        items = sketch.get_frequent_items(ds.frequent_items_error_type.NO_FALSE_POSITIVES)
        items.sort(key=lambda item: (-item[1], item[0]))
        return tuple(
            TopValue(
                value=value,
                count=estimate / scale,
                lower_bound=lower / scale,
                upper_bound=(upper + slack) / scale,
            )
            for value, estimate, lower, upper in items[: self.options.num_top_values]
        )

    def extract(self) -> StringStatistics:
        """The statistics of everything added so far."""
        k = self.options.num_top_values
        exact = self.exact
        if exact is not None:
            distinct = lower = upper = float(len(exact))
            top = tuple(
                TopValue(value=v, count=c, lower_bound=c, upper_bound=c)
                for v, c in _top_of(exact, k)
            )
            value_counts: dict[str, int] | None = dict(_top_of(exact, len(exact)))
        else:
            distinct = float(self.hll.get_estimate())
            lower = float(self.hll.get_lower_bound(2))
            upper = float(self.hll.get_upper_bound(2))
            top = self._sketch_top(self.fi, 1.0, self.frequent_items_unfed)
            value_counts = None
        weighted = None
        if self.total_weight is not None:
            wexact = self.weighted_exact
            if wexact is not None:
                wtop = tuple(
                    TopValue(value=v, count=c, lower_bound=c, upper_bound=c)
                    for v, c in _top_of(wexact, k)
                )
            else:
                # Unfed weight is not tracked separately; the count slack is an upper bound
                # only for unit weights, so weighted upper bounds are the sketch's own.
                wtop = self._sketch_top(self.weighted_fi, _WEIGHT_SCALE, 0.0)
            weighted = WeightedStringStatistics(
                total_weight=self.total_weight,
                top_values=wtop,
                top_values_exact=wexact is not None,
                value_counts=None if wexact is None else dict(_top_of(wexact, len(wexact))),
                frequent_items_sketch=bytes(self.weighted_fi.serialize()),
            )
        return StringStatistics(
            num_values=self.num_values,
            distinct=distinct,
            distinct_lower_bound=lower,
            distinct_upper_bound=upper,
            distinct_exact=exact is not None,
            top_values=top,
            top_values_exact=exact is not None,
            value_counts=value_counts,
            min_length=self.min_length,
            max_length=self.max_length,
            mean_length=self.sum_length / self.num_values if self.num_values else None,
            hll_sketch=bytes(self.hll.serialize_compact()),
            frequent_items_sketch=bytes(self.fi.serialize()),
            frequent_items_unfed=self.frequent_items_unfed,
            weighted=weighted,
        )

    @classmethod
    def from_output(cls, stats: StringStatistics, options: StatsOptions) -> StringAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls(options, weighted=stats.weighted is not None)
        acc.num_values = stats.num_values
        acc.min_length, acc.max_length = stats.min_length, stats.max_length
        acc.sum_length = round((stats.mean_length or 0.0) * stats.num_values)
        acc.exact = None if stats.value_counts is None else dict(stats.value_counts)
        acc.hll = ds.hll_sketch.deserialize(stats.hll_sketch)
        acc.fi = ds.frequent_strings_sketch.deserialize(stats.frequent_items_sketch)
        acc.frequent_items_unfed = stats.frequent_items_unfed
        w = stats.weighted
        if w is not None:
            acc.total_weight = w.total_weight
            acc.weighted_exact = None if w.value_counts is None else dict(w.value_counts)
            acc.weighted_fi = ds.frequent_strings_sketch.deserialize(w.frequent_items_sketch)
        return acc

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self.__slots__}
        state["hll"] = bytes(self.hll.serialize_compact())
        state["fi"] = bytes(self.fi.serialize())
        if self.weighted_fi is not None:
            state["weighted_fi"] = bytes(self.weighted_fi.serialize())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self.hll = ds.hll_sketch.deserialize(state["hll"])
        self.fi = ds.frequent_strings_sketch.deserialize(state["fi"])
        if state["weighted_fi"] is not None:
            self.weighted_fi = ds.frequent_strings_sketch.deserialize(state["weighted_fi"])
