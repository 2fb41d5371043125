"""StatsOptions: what to compute and how precisely; recorded in every profile it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datacheck.io import ReaderOptions

__all__ = ["QUANTILE_LABELS", "QUANTILE_RANKS", "StatsOptions", "quantile_label"]

#: The normalized ranks at which every numeric feature's quantiles are reported.
QUANTILE_RANKS: tuple[float, ...] = (
    0.0,
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    0.75,
    0.9,
    0.95,
    0.99,
    1.0,
)


def quantile_label(rank: float) -> str:
    """A normalized rank as the percentile it is: ``p0``, ``p1``, ``p5``, ..., ``p50``, ``p100``."""
    return f"p{round(rank * 100, 6):g}"


#: The labels of :data:`QUANTILE_RANKS` (``p0`` ... ``p100``), as profiles write them.
QUANTILE_LABELS: tuple[str, ...] = tuple(quantile_label(r) for r in QUANTILE_RANKS)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsOptions:
    """Options of :func:`generate_statistics`; the profile keeps the ones it was made with.

    Profiles merge only when their sketch sizes agree, since sketches of different sizes have
    different error bounds.
    """

    #: name of a numeric column whose values weight each row; None: every row weighs 1
    weight: str | None = None
    #: columns whose value combinations split the data into slices, each profiled on its own
    slice_by: tuple[str, ...] = ()
    #: the most slices kept; slicing by a column with more distinct values is refused
    max_slices: int = 1000
    #: how many of the most frequent string values each feature reports
    num_top_values: int = 20
    #: value counts are kept exactly while a feature has at most this many distinct values
    exact_counts_cap: int = 1000
    #: buckets of the equal-width histograms
    num_histogram_buckets: int = 10
    #: buckets of the quantile (equal-mass) histograms
    num_quantile_buckets: int = 10
    #: KLL sketch size: the rank error is about 1.65 / k (k=200: 1.33%)
    kll_k: int = 200
    #: log2 of the HLL sketch's register count: relative error about 1.04 / sqrt(2**lg_k)
    hll_lg_k: int = 12
    #: log2 of the frequent-items sketch's map size (at most 0.75 * 2**lg items are tracked)
    frequent_items_lg_max_map_size: int = 10
    #: samples kept per weighted numeric feature (VarOpt sketch) for weighted quantiles
    weighted_sample_size: int = 2048
    #: rows per record batch when reading files (how the work is done, not what the profile
    #: means: not recorded, not compared)
    batch_size: int = field(default=65_536, compare=False)
    #: worker threads over columns; None: one per core other processes leave idle when the
    #: run starts (not recorded, not compared)
    threads: int | None = field(default=None, compare=False)
    #: how files are read (None: the defaults); recorded as the profile's ``reader``, not here
    reader: ReaderOptions | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON object (``threads`` and ``batch_size`` are not recorded)."""
        return {
            "weight": self.weight,
            "slice_by": list(self.slice_by),
            "max_slices": self.max_slices,
            "num_top_values": self.num_top_values,
            "exact_counts_cap": self.exact_counts_cap,
            "num_histogram_buckets": self.num_histogram_buckets,
            "num_quantile_buckets": self.num_quantile_buckets,
            "kll_k": self.kll_k,
            "hll_lg_k": self.hll_lg_k,
            "frequent_items_lg_max_map_size": self.frequent_items_lg_max_map_size,
            "weighted_sample_size": self.weighted_sample_size,
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> StatsOptions:
        """Options from their JSON object (as written by :meth:`to_dict`)."""
        values = dict(document)
        values["slice_by"] = tuple(values.get("slice_by", ()))
        return cls(**values)
