"""Dataset statistics: the profile model, its JSON document, and the generators behind it.

:func:`generate_statistics` profiles a dataset with the :class:`ProfileGenerator` (a
:class:`StatsGenerator`, shaped like Beam's CombineFn); :func:`merge_profiles` combines the
profiles of two shards. A :class:`DatasetProfile` is a value; :func:`load_profile` and
:func:`save_profile` read and write its JSON document (checked by
``schemas/statistics.v1.json``).
"""

from __future__ import annotations

from datacheck.stats._generate import ProfileGenerator, generate_statistics
from datacheck.stats._merge import merge_profiles
from datacheck.stats._options import QUANTILE_RANKS, StatsOptions
from datacheck.stats._profile import (
    FORMAT_VERSION,
    BoolStatistics,
    BytesStatistics,
    DatasetProfile,
    FeatureStatistics,
    Histogram,
    HistogramBucket,
    NumericStatistics,
    SkippedFeature,
    StringStatistics,
    TopValue,
    ValueCountStatistics,
    WeightedNumericStatistics,
    WeightedStringStatistics,
)
from datacheck.stats._protocol import StatsGenerator
from datacheck.stats._serde import load_profile, save_profile

__all__ = [
    "FORMAT_VERSION",
    "QUANTILE_RANKS",
    "BoolStatistics",
    "BytesStatistics",
    "DatasetProfile",
    "FeatureStatistics",
    "Histogram",
    "HistogramBucket",
    "NumericStatistics",
    "ProfileGenerator",
    "SkippedFeature",
    "StatsGenerator",
    "StatsOptions",
    "StringStatistics",
    "TopValue",
    "ValueCountStatistics",
    "WeightedNumericStatistics",
    "WeightedStringStatistics",
    "generate_statistics",
    "load_profile",
    "merge_profiles",
    "save_profile",
]
