"""The profile model: frozen value objects for a dataset's statistics, and their JSON form.

A :class:`DatasetProfile` holds one :class:`FeatureStatistics` per feature path, in column
order. Each feature carries exactly one of :class:`NumericStatistics`,
:class:`StringStatistics`, :class:`BytesStatistics` or :class:`BoolStatistics` (none for a
feature whose values were all missing). The serialized DataSketches sketches ride along as
bytes (base64 in JSON), so two profiles read back from disk still merge into the profile of
their union (``_merge.py``).

In JSON, floats that are not finite are written as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"``, never as bare numbers (``datacheck._json`` owns that rule; every such field
is known to be a float, so it is read back by its type). Checking a document against
``schemas/statistics.v1.json`` happens in ``_serde.py``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from datacheck._json import float_from_json, float_to_json
from datacheck._types import FeatureType
from datacheck.io import ReaderOptions
from datacheck.stats._options import QUANTILE_RANKS, StatsOptions, quantile_label

__all__ = [
    "FORMAT_VERSION",
    "BoolStatistics",
    "BytesStatistics",
    "DatasetProfile",
    "FeatureStatistics",
    "Histogram",
    "HistogramBucket",
    "NumericStatistics",
    "RowOrder",
    "SkippedFeature",
    "StringStatistics",
    "TopValue",
    "ValueCountStatistics",
    "WeightedNumericStatistics",
    "WeightedStringStatistics",
]

#: The shape of the statistics document this release writes (``schemas/statistics.v1.json``).
FORMAT_VERSION = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _quantiles_to_json(quantiles: tuple[float, ...]) -> dict[str, Any]:
    """Quantiles keyed by their label (``{"p0": .., "p1": .., ..., "p100": ..}``), in rank
    order, so that a person reading the file sees which is which."""
    return {
        quantile_label(rank): float_to_json(q)
        for rank, q in zip(QUANTILE_RANKS, quantiles, strict=False)
    }


def _quantiles_from_json(value: Any) -> tuple[float, ...]:
    """Labelled quantiles, or the bare list at :data:`QUANTILE_RANKS` that profiles wrote
    before they were labelled (still read)."""
    if isinstance(value, dict):
        value = [q for _, q in sorted(value.items(), key=lambda kv: float(kv[0][1:]))]
    return tuple(float(float_from_json(q)) for q in value)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistogramBucket:
    """One bucket of a histogram: values in ``[low, high)`` (the last bucket includes high)."""

    #: lower edge
    low: float
    #: upper edge
    high: float
    #: number (or total weight) of values in the bucket; estimated from a sketch, so fractional
    count: float

    def to_dict(self) -> dict[str, Any]:
        """The bucket as a JSON object."""
        return {
            "low": float_to_json(self.low),
            "high": float_to_json(self.high),
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HistogramBucket:
        """The bucket from its JSON object."""
        return cls(
            low=float_from_json(d["low"]), high=float_from_json(d["high"]), count=float(d["count"])
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Histogram:
    """A histogram of a feature's values: equal-width buckets, or equal-mass (quantile) ones."""

    #: ``"standard"`` (equal-width buckets between min and max) or ``"quantiles"`` (equal mass)
    kind: str
    #: the buckets, in increasing order of value
    buckets: tuple[HistogramBucket, ...]

    def to_dict(self) -> dict[str, Any]:
        """The histogram as a JSON object."""
        return {"kind": self.kind, "buckets": [b.to_dict() for b in self.buckets]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Histogram:
        """The histogram from its JSON object."""
        return cls(
            kind=d["kind"], buckets=tuple(HistogramBucket.from_dict(b) for b in d["buckets"])
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueCountStatistics:
    """How many values each row of a list feature holds (rows where the list is present)."""

    #: fewest values in a present row
    min: int
    #: most values in a present row
    max: int
    #: mean values per present row
    mean: float
    #: total number of values over all rows (null elements included)
    num_values: int
    #: equal-width histogram of the values per row
    histogram: Histogram
    #: serialized KLL sketch (doubles) of the values per row, for merging
    kll_sketch: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "min": self.min,
            "max": self.max,
            "mean": self.mean,
            "num_values": self.num_values,
            "histogram": self.histogram.to_dict(),
            "kll_sketch": _b64(self.kll_sketch),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ValueCountStatistics:
        """From its JSON object."""
        return cls(
            min=d["min"],
            max=d["max"],
            mean=float(d["mean"]),
            num_values=d["num_values"],
            histogram=Histogram.from_dict(d["histogram"]),
            kll_sketch=_unb64(d["kll_sketch"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightedNumericStatistics:
    """Numeric statistics where each value counts with its row's weight.

    Weighted quantiles come from a VarOpt sample (DataSketches' ``var_opt_sketch``: a
    mergeable weighted sample of bounded size), since the KLL binding takes no weights.
    """

    #: sum of the weights of the finite values
    total_weight: float
    #: weighted mean of the finite values
    mean: float | None
    #: weighted (population) standard deviation of the finite values
    std_dev: float | None
    #: weighted median
    median: float | None
    #: weighted quantiles at :data:`~datacheck.stats.QUANTILE_RANKS`
    quantiles: tuple[float, ...]
    #: serialized VarOpt sketch of (value, weight), for merging
    sample_sketch: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "total_weight": self.total_weight,
            "mean": float_to_json(self.mean),
            "std_dev": float_to_json(self.std_dev),
            "median": float_to_json(self.median),
            "quantiles": _quantiles_to_json(self.quantiles),
            "sample_sketch": _b64(self.sample_sketch),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WeightedNumericStatistics:
        """From its JSON object."""
        return cls(
            total_weight=float(d["total_weight"]),
            mean=float_from_json(d["mean"]),
            std_dev=float_from_json(d["std_dev"]),
            median=float_from_json(d["median"]),
            quantiles=_quantiles_from_json(d["quantiles"]),
            sample_sketch=_unb64(d["sample_sketch"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RowOrder:
    """How a numeric feature's finite values follow one another in row order.

    Mergeable only in order: the profile of rows ``a`` then ``b`` has ``a.first``, ``b.last``,
    the two sums plus the square of the step between ``a.last`` and ``b.first``, and is
    non-decreasing when both are and that step is not negative. Profiles merged in no order
    (Beam's combiners) carry none.
    """

    #: the first finite value in row order
    first: float
    #: the last finite value in row order
    last: float
    #: the sum of squared steps between consecutive finite values (von Neumann's numerator:
    #: over the sum of squared deviations it is about 2 for independent rows, near 0 for a
    #: trending or slowly wandering series)
    successive_sq_diff: float
    #: whether every value is at least the one before it (a counter, a sorted date)
    nondecreasing: bool

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "first": float_to_json(self.first),
            "last": float_to_json(self.last),
            "successive_sq_diff": float_to_json(self.successive_sq_diff),
            "nondecreasing": self.nondecreasing,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RowOrder:
        """From its JSON object."""
        return cls(
            first=float(float_from_json(d["first"])),
            last=float(float_from_json(d["last"])),
            successive_sq_diff=float(float_from_json(d["successive_sq_diff"])),
            nondecreasing=bool(d["nondecreasing"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NumericStatistics:
    """Statistics of an int, float, decimal, date, timestamp or duration feature.

    Dates, timestamps and durations are described by their underlying integers (days, or time
    units since the epoch, or time units; the unit is in the feature's arrow type). NaN is
    counted, never averaged: min, max, quantiles and histograms cover the non-NaN values
    (infinities included); mean and standard deviation cover the finite values.
    """

    #: number of non-null values (for list features: over all lists)
    num_values: int
    #: smallest non-NaN value (an exact int for int, date and timestamp features)
    min: float | None
    #: largest non-NaN value
    max: float | None
    #: mean of the finite values
    mean: float | None
    #: population standard deviation of the finite values (merged with Chan's formula)
    std_dev: float | None
    #: values equal to zero
    num_zeros: int
    #: NaN values (floats only)
    num_nan: int
    #: +inf values
    num_pos_inf: int
    #: -inf values
    num_neg_inf: int
    #: median, from the KLL sketch
    median: float | None
    #: quantiles at :data:`~datacheck.stats.QUANTILE_RANKS`, from the KLL sketch
    quantiles: tuple[float, ...]
    #: equal-width histogram between min and max
    histogram: Histogram
    #: equal-mass histogram whose edges are quantiles
    quantile_histogram: Histogram
    #: serialized KLL sketch (doubles) of the non-NaN values, for merging and comparators
    kll_sketch: bytes = field(repr=False)
    #: distinct non-NaN values (infinities count, 0.0 and -0.0 are one value), counted exactly
    #: while there are at most the options' ``exact_counts_cap``; None above the cap, where
    #: only :attr:`distinct_lower_bound` is known (and None in profiles written before numeric
    #: features were counted)
    distinct: int | None = None
    #: a count the distinct count is sure to reach: ``distinct`` when exact, else the cap + 1
    distinct_lower_bound: int = 0
    #: the distinct non-NaN values, ascending, while :attr:`distinct` is exact (for merging)
    distinct_values: tuple[float, ...] | None = field(default=None, repr=False)
    #: the exact sum of the values of an integer feature (int, date, timestamp), so that merged
    #: profiles keep the exact mean; None for other features (and in profiles written before)
    exact_sum: int | None = field(default=None, repr=False)
    #: how often each of :attr:`distinct_values` occurs (same order), while the distinct
    #: count is exact: small-cardinality features (a day of month, an hour, a count) are
    #: compared exactly through these, not through the sketch; None above the cap (and in
    #: profiles written before they were kept)
    distinct_counts: tuple[int, ...] | None = field(default=None, repr=False)
    #: the values in row order (first, last, successive steps, non-decreasing), when the
    #: rows were profiled in order; None when not (Beam, a profile written before)
    row_order: RowOrder | None = None
    #: weighted statistics when the profile was made with a weight column
    weighted: WeightedNumericStatistics | None = None

    @property
    def exact_counts(self) -> dict[float, int] | None:
        """Value -> count of every distinct value, when the profile kept them."""
        if self.distinct_values is None or self.distinct_counts is None:
            return None
        return dict(zip(self.distinct_values, self.distinct_counts, strict=True))

    @property
    def distinct_exact(self) -> bool:
        """Whether :attr:`distinct` is the exact count (as for strings)."""
        return self.distinct is not None

    @property
    def distinct_upper_bound(self) -> int:
        """A count the distinct count is sure not to exceed: ``distinct`` when exact, else the
        number of non-NaN values."""
        if self.distinct is not None:
            return self.distinct
        return self.num_values - self.num_nan

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object (``distinct_exact`` and ``distinct_upper_bound`` written too, in the
        string statistics' shape, and derived again when read)."""
        d: dict[str, Any] = {
            "num_values": self.num_values,
            "min": float_to_json(self.min),
            "max": float_to_json(self.max),
            "mean": float_to_json(self.mean),
            "std_dev": float_to_json(self.std_dev),
            "num_zeros": self.num_zeros,
            "num_nan": self.num_nan,
            "num_pos_inf": self.num_pos_inf,
            "num_neg_inf": self.num_neg_inf,
            "median": float_to_json(self.median),
            "quantiles": _quantiles_to_json(self.quantiles),
            "histogram": self.histogram.to_dict(),
            "quantile_histogram": self.quantile_histogram.to_dict(),
            "kll_sketch": _b64(self.kll_sketch),
            "distinct": self.distinct,
            "distinct_lower_bound": self.distinct_lower_bound,
            "distinct_upper_bound": self.distinct_upper_bound,
            "distinct_exact": self.distinct_exact,
            "distinct_values": (
                None
                if self.distinct_values is None
                else [float_to_json(v) for v in self.distinct_values]
            ),
        }
        if self.exact_sum is not None:
            d["exact_sum"] = self.exact_sum
        if self.distinct_counts is not None:
            d["distinct_counts"] = list(self.distinct_counts)
        if self.row_order is not None:
            d["row_order"] = self.row_order.to_dict()
        if self.weighted is not None:
            d["weighted"] = self.weighted.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NumericStatistics:
        """From its JSON object (one without distinct counts reads as not counted)."""
        weighted = d.get("weighted")
        values = d.get("distinct_values")
        counts, order = d.get("distinct_counts"), d.get("row_order")
        return cls(
            num_values=d["num_values"],
            min=float_from_json(d["min"]),
            max=float_from_json(d["max"]),
            mean=float_from_json(d["mean"]),
            std_dev=float_from_json(d["std_dev"]),
            num_zeros=d["num_zeros"],
            num_nan=d["num_nan"],
            num_pos_inf=d["num_pos_inf"],
            num_neg_inf=d["num_neg_inf"],
            median=float_from_json(d["median"]),
            quantiles=_quantiles_from_json(d["quantiles"]),
            histogram=Histogram.from_dict(d["histogram"]),
            quantile_histogram=Histogram.from_dict(d["quantile_histogram"]),
            kll_sketch=_unb64(d["kll_sketch"]),
            distinct=d.get("distinct"),
            distinct_lower_bound=d.get("distinct_lower_bound", 0),
            distinct_values=None if values is None else tuple(float_from_json(v) for v in values),
            exact_sum=d.get("exact_sum"),
            distinct_counts=None if counts is None else tuple(int(c) for c in counts),
            row_order=None if order is None else RowOrder.from_dict(order),
            weighted=None if weighted is None else WeightedNumericStatistics.from_dict(weighted),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TopValue:
    """One frequent value and how often it occurs."""

    #: the value
    value: str
    #: its count (or total weight); when not exact, the sketch's estimate
    count: float
    #: a count the true count is sure to reach (equal to count when exact)
    lower_bound: float
    #: a count the true count is sure not to exceed (equal to count when exact)
    upper_bound: float

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "value": self.value,
            "count": self.count,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TopValue:
        """From its JSON object."""
        return cls(
            value=d["value"],
            count=d["count"],
            lower_bound=d["lower_bound"],
            upper_bound=d["upper_bound"],
        )


def _counts_to_dict(counts: Mapping[str, float] | None) -> list[list[Any]] | None:
    # A list of pairs, not an object: JSON objects are unordered for many readers.
    return None if counts is None else [[k, v] for k, v in counts.items()]


def _counts_from_dict(pairs: list[list[Any]] | None) -> dict[str, Any] | None:
    return None if pairs is None else {k: v for k, v in pairs}


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightedStringStatistics:
    """String statistics where each value counts with its row's weight."""

    #: sum of the weights of the non-null values
    total_weight: float
    #: the values of largest total weight, heaviest first
    top_values: tuple[TopValue, ...]
    #: whether ``top_values`` are exact (they are while the distinct count is under the cap)
    top_values_exact: bool
    #: the total weight of every value, heaviest first, while the distinct count is under the cap
    value_counts: Mapping[str, float] | None
    #: serialized frequent-items sketch of the values weighted in 1/1000ths, for merging
    frequent_items_sketch: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "total_weight": self.total_weight,
            "top_values": [t.to_dict() for t in self.top_values],
            "top_values_exact": self.top_values_exact,
            "value_counts": _counts_to_dict(self.value_counts),
            "frequent_items_sketch": _b64(self.frequent_items_sketch),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WeightedStringStatistics:
        """From its JSON object."""
        return cls(
            total_weight=float(d["total_weight"]),
            top_values=tuple(TopValue.from_dict(t) for t in d["top_values"]),
            top_values_exact=d["top_values_exact"],
            value_counts=_counts_from_dict(d["value_counts"]),
            frequent_items_sketch=_unb64(d["frequent_items_sketch"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StringStatistics:
    """Statistics of a string feature (plain or dictionary-encoded)."""

    #: number of non-null values (for list features: over all lists)
    num_values: int
    #: distinct values: exact while value counts are kept, else the HLL estimate
    distinct: float
    #: lower bound of the distinct count (95% confidence when estimated)
    distinct_lower_bound: float
    #: upper bound of the distinct count (95% confidence when estimated)
    distinct_upper_bound: float
    #: whether the distinct count is exact
    distinct_exact: bool
    #: the most frequent values, most frequent first
    top_values: tuple[TopValue, ...]
    #: whether ``top_values`` are exact counts
    top_values_exact: bool
    #: every value with its count, most frequent first, while the distinct count is under the cap
    value_counts: Mapping[str, int] | None
    #: shortest value, in characters
    min_length: int | None
    #: longest value, in characters
    max_length: int | None
    #: mean length, in characters
    mean_length: float | None
    #: serialized HLL sketch of the values, for merging
    hll_sketch: bytes = field(repr=False)
    #: serialized frequent-items sketch of the values, for merging
    frequent_items_sketch: bytes = field(repr=False)
    #: the sketch was fed each batch's most frequent values only; this bounds how much of any
    #: value's count was left out, and is already added to the top values' upper bounds
    frequent_items_unfed: int = 0
    #: weighted statistics when the profile was made with a weight column
    weighted: WeightedStringStatistics | None = None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        d: dict[str, Any] = {
            "num_values": self.num_values,
            "distinct": self.distinct,
            "distinct_lower_bound": self.distinct_lower_bound,
            "distinct_upper_bound": self.distinct_upper_bound,
            "distinct_exact": self.distinct_exact,
            "top_values": [t.to_dict() for t in self.top_values],
            "top_values_exact": self.top_values_exact,
            "value_counts": _counts_to_dict(self.value_counts),
            "min_length": self.min_length,
            "max_length": self.max_length,
            "mean_length": self.mean_length,
            "hll_sketch": _b64(self.hll_sketch),
            "frequent_items_sketch": _b64(self.frequent_items_sketch),
            "frequent_items_unfed": self.frequent_items_unfed,
        }
        if self.weighted is not None:
            d["weighted"] = self.weighted.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StringStatistics:
        """From its JSON object."""
        weighted = d.get("weighted")
        return cls(
            num_values=d["num_values"],
            distinct=d["distinct"],
            distinct_lower_bound=d["distinct_lower_bound"],
            distinct_upper_bound=d["distinct_upper_bound"],
            distinct_exact=d["distinct_exact"],
            top_values=tuple(TopValue.from_dict(t) for t in d["top_values"]),
            top_values_exact=d["top_values_exact"],
            value_counts=_counts_from_dict(d["value_counts"]),
            min_length=d["min_length"],
            max_length=d["max_length"],
            mean_length=d["mean_length"],
            hll_sketch=_unb64(d["hll_sketch"]),
            frequent_items_sketch=_unb64(d["frequent_items_sketch"]),
            frequent_items_unfed=d.get("frequent_items_unfed", 0),
            weighted=None if weighted is None else WeightedStringStatistics.from_dict(weighted),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BytesStatistics:
    """Statistics of a binary feature."""

    #: number of non-null values
    num_values: int
    #: shortest value, in bytes
    min_length: int | None
    #: longest value, in bytes
    max_length: int | None
    #: mean length, in bytes
    mean_length: float | None
    #: values that are not valid UTF-8
    num_invalid_utf8: int

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "num_values": self.num_values,
            "min_length": self.min_length,
            "max_length": self.max_length,
            "mean_length": self.mean_length,
            "num_invalid_utf8": self.num_invalid_utf8,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BytesStatistics:
        """From its JSON object."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolStatistics:
    """Statistics of a boolean feature."""

    #: true values
    num_true: int
    #: false values
    num_false: int
    #: total weight of true values, with a weight column
    weighted_num_true: float | None = None
    #: total weight of false values, with a weight column
    weighted_num_false: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "num_true": self.num_true,
            "num_false": self.num_false,
            "weighted_num_true": self.weighted_num_true,
            "weighted_num_false": self.weighted_num_false,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BoolStatistics:
        """From its JSON object."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureStatistics:
    """Everything known about one feature (a column, or a struct field under a dotted path)."""

    #: dotted path: a top-level column's name, or ``parent.child`` for struct fields
    path: str
    #: logical type of the values
    type: FeatureType
    #: the Arrow type of the column, as Arrow writes it (``list<item: int64>``, ``timestamp[ms]``)
    arrow_type: str
    #: rows where the feature is present (not null; a struct field is missing when its parent is)
    num_present: int
    #: rows where the feature is missing
    num_missing: int
    #: num_present / num_rows (0.0 for a dataset without rows)
    presence: float
    #: the reader found numbers and text mixed in this column and read it as text
    mixed_types: bool = False
    #: values of a CSV integer column beyond int64, which the reader could only read as floats
    #: (the column's type is float; counted as the values at or beyond 2**63 in size)
    num_int_overflow: int = 0
    #: infinities in a CSV column where the reader met a finite-looking number beyond the
    #: doubles (``1e309``) and read it as infinity (every infinity of that column is counted)
    num_float_overflow: int = 0
    #: total weight of the rows where the feature is present, with a weight column
    weighted_num_present: float | None = None
    #: values per row, for list features
    value_counts: ValueCountStatistics | None = None
    #: for int, float, decimal, date and timestamp features
    numeric: NumericStatistics | None = None
    #: for string features
    string: StringStatistics | None = None
    #: for binary features
    bytes: BytesStatistics | None = None
    #: for boolean features
    bool: BoolStatistics | None = None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object; absent parts are left out."""
        d: dict[str, Any] = {
            "path": self.path,
            "type": self.type.value,
            "arrow_type": self.arrow_type,
            "num_present": self.num_present,
            "num_missing": self.num_missing,
            "presence": self.presence,
            "mixed_types": self.mixed_types,
        }
        # Written only when some value overflowed, so other documents stay as they were.
        if self.num_int_overflow:
            d["num_int_overflow"] = self.num_int_overflow
        if self.num_float_overflow:
            d["num_float_overflow"] = self.num_float_overflow
        if self.weighted_num_present is not None:
            d["weighted_num_present"] = self.weighted_num_present
        for name in ("value_counts", "numeric", "string", "bytes", "bool"):
            part = getattr(self, name)
            if part is not None:
                d[name] = part.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureStatistics:
        """From its JSON object."""
        vc, num, s, b, bl = (
            d.get(k) for k in ("value_counts", "numeric", "string", "bytes", "bool")
        )
        return cls(
            path=d["path"],
            type=FeatureType(d["type"]),
            arrow_type=d["arrow_type"],
            num_present=d["num_present"],
            num_missing=d["num_missing"],
            presence=float(d["presence"]),
            mixed_types=d.get("mixed_types", False),
            num_int_overflow=d.get("num_int_overflow", 0),
            num_float_overflow=d.get("num_float_overflow", 0),
            weighted_num_present=d.get("weighted_num_present"),
            value_counts=None if vc is None else ValueCountStatistics.from_dict(vc),
            numeric=None if num is None else NumericStatistics.from_dict(num),
            string=None if s is None else StringStatistics.from_dict(s),
            bytes=None if b is None else BytesStatistics.from_dict(b),
            bool=None if bl is None else BoolStatistics.from_dict(bl),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFeature:
    """A column datacheck cannot profile (map, union, ...), listed rather than dropped."""

    #: dotted path of the column
    path: str
    #: its Arrow type
    arrow_type: str
    #: why it was skipped
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {"path": self.path, "arrow_type": self.arrow_type, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SkippedFeature:
        """From its JSON object."""
        return cls(path=d["path"], arrow_type=d["arrow_type"], reason=d["reason"])


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetProfile:
    """The statistics of a dataset: a value, mergeable with the profile of another shard.

    Build one with :func:`~datacheck.stats.generate_statistics`; combine two with
    :func:`~datacheck.stats.merge_profiles`.
    """

    #: shape of the document (``schemas/statistics.v1.json``); not the data's version
    format_version: int = FORMAT_VERSION
    #: rows in the dataset (or in this slice)
    num_rows: int
    #: total weight of the rows, with a weight column; None without
    weighted_num_rows: float | None = None
    #: the options the profile was made with
    options: StatsOptions = field(default_factory=StatsOptions)
    #: feature path -> statistics, in column order (struct fields after their parent's place)
    features: Mapping[str, FeatureStatistics] = field(default_factory=dict)
    #: columns that could not be profiled, with the reason
    skipped: tuple[SkippedFeature, ...] = ()
    #: slice key -> profile of the rows in that slice; keys read ``col=<JSON value>`` joined by
    #: ``,`` (``country="US",year=2024``); empty unless the options name slice columns
    slices: Mapping[str, DatasetProfile] = field(default_factory=dict)
    #: how the files were read (delimiter, null markers, columns); None when the data was not
    #: read from files (a DataFrame, Arrow data), or for a slice
    reader: ReaderOptions | None = None

    def to_dict(self) -> dict[str, Any]:
        """The profile as its JSON document (bytes as base64, no NaN or infinite numbers)."""
        document = {
            "format_version": self.format_version,
            "num_rows": self.num_rows,
            "weighted_num_rows": self.weighted_num_rows,
            "options": self.options.to_dict(),
            "features": [f.to_dict() for f in self.features.values()],
            "skipped": [s.to_dict() for s in self.skipped],
            "slices": [
                {"key": key, "profile": profile.to_dict()} for key, profile in self.slices.items()
            ],
        }
        if self.reader is not None:
            document["reader"] = self.reader.to_dict()
        return document

    def _repr_html_(self) -> str:
        """The profile as an HTML report for Jupyter: charts inline, nothing fetched."""
        # Imported here: datacheck.report builds on this module.
        from datacheck.report import render_html

        return render_html(self, title="datacheck profile", standalone=False)

    @classmethod
    def from_dict(cls, document: Any, *, source: str = "<profile>") -> DatasetProfile:
        """The profile from its JSON document, checked against the statistics JSON Schema.

        Args:
            document: the parsed JSON document.
            source: what to call the document in error messages (usually its file path).

        Raises:
            ProfileFormatError: the document is not a valid profile; the message names
                ``source`` and the JSON pointer of the first problem.
        """
        # Imported here because _serde imports this module.
        from datacheck.stats._serde import check_document

        check_document(document, source=source)
        return _profile_from_checked(document)


def _profile_from_checked(d: Mapping[str, Any]) -> DatasetProfile:
    features = (FeatureStatistics.from_dict(f) for f in d["features"])
    return DatasetProfile(
        format_version=d["format_version"],
        num_rows=d["num_rows"],
        weighted_num_rows=d.get("weighted_num_rows"),
        options=StatsOptions.from_dict(d["options"]),
        features={f.path: f for f in features},
        skipped=tuple(SkippedFeature.from_dict(s) for s in d.get("skipped", ())),
        slices={s["key"]: _profile_from_checked(s["profile"]) for s in d.get("slices", ())},
        reader=None if d.get("reader") is None else ReaderOptions.from_dict(d["reader"]),
    )
