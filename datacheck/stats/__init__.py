"""Dataset statistics: the profile model, its JSON document, and the generators behind it.

:func:`generate_statistics` profiles a dataset with the :class:`ProfileGenerator` (a
:class:`StatsGenerator`, shaped like Beam's CombineFn); :func:`merge_profiles` combines the
profiles of two shards. A :class:`DatasetProfile` is a value; :func:`load_profile` and
:func:`save_profile` read and write its JSON document (checked by
``schemas/statistics.v1.json``); :func:`as_profile` accepts either a profile or data.
:func:`run_generator` runs any generator, a plugin's too, over a source in memory.
"""

from __future__ import annotations

from datacheck.stats._generate import (
    ProfileGenerator,
    Profiler,
    generate_statistics,
    iter_batches,
    split_slices,
)
from datacheck.stats._merge import merge_profiles
from datacheck.stats._options import (
    QUANTILE_LABELS,
    QUANTILE_RANKS,
    StatsOptions,
    quantile_label,
)
from datacheck.stats._profile import (
    FORMAT_VERSION,
    BoolStatistics,
    BytesStatistics,
    DatasetProfile,
    FeatureStatistics,
    Histogram,
    HistogramBucket,
    NumericStatistics,
    RowOrder,
    SkippedFeature,
    StringStatistics,
    TopValue,
    ValueCountStatistics,
    WeightedNumericStatistics,
    WeightedStringStatistics,
)
from datacheck.stats._protocol import StatsGenerator
from datacheck.stats._run import as_profile, is_profile_path, run_generator
from datacheck.stats._serde import load_profile, save_profile

__all__ = [
    "FORMAT_VERSION",
    "QUANTILE_LABELS",
    "QUANTILE_RANKS",
    "BoolStatistics",
    "BytesStatistics",
    "DatasetProfile",
    "FeatureStatistics",
    "Histogram",
    "HistogramBucket",
    "NumericStatistics",
    "ProfileGenerator",
    "Profiler",
    "RowOrder",
    "SkippedFeature",
    "StatsGenerator",
    "StatsOptions",
    "StringStatistics",
    "TopValue",
    "ValueCountStatistics",
    "WeightedNumericStatistics",
    "WeightedStringStatistics",
    "as_profile",
    "generate_statistics",
    "is_profile_path",
    "iter_batches",
    "load_profile",
    "merge_profiles",
    "quantile_label",
    "run_generator",
    "save_profile",
    "split_slices",
]
