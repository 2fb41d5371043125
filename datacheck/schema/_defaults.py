"""Default drift and skew comparators that inference puts on every feature whose distribution
compares across windows (not on dates, identifiers and counters: see ``_infer.window_role``).

The thresholds are effect sizes (see ``datacheck.validate``'s distances) chosen not to fire on
two samples of the same distribution; the validation engineer measures them on real data and
owns these constants.
"""

from __future__ import annotations

from datacheck._types import CATEGORICAL_TYPES, NUMERIC_TYPES, FeatureType
from datacheck.schema._model import Comparator, ComparatorMethod, MissingDrift

__all__ = [
    "CATEGORICAL_DRIFT",
    "CATEGORICAL_SKEW",
    "MISSING_DRIFT",
    "NUMERIC_DRIFT",
    "NUMERIC_SKEW",
    "default_comparators",
]

#: numeric features: Jensen-Shannon divergence over the baseline's quantile bins
NUMERIC_DRIFT = Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.05)
NUMERIC_SKEW = Comparator(method=ComparatorMethod.JENSEN_SHANNON, threshold=0.05)
#: string and bool features: L-infinity over value frequencies. 0.15, not 0.1: consecutive
#: undrifted years of seattle-weather's labels measure 0.085 to 0.112; a collapsed category 0.36
CATEGORICAL_DRIFT = Comparator(method=ComparatorMethod.L_INFINITY, threshold=0.15)
CATEGORICAL_SKEW = Comparator(method=ComparatorMethod.L_INFINITY, threshold=0.15)
#: every feature: Cohen's h between the missing shares. 0.22: above the largest move between
#: consecutive months of nycflights13's flights (h = 0.199, five columns from 0.85% to 3.6%
#: missing, November to December: months like these are not an error), below the smallest
#: real doubling found in eight real series split by time (ratdat's hindfoot_length, 9.4% to
#: 17.6% missing from 1986 to 1987: h = 0.241; 9% to 18% is 0.267). Cohen's "small" effect,
#: 0.2, would sit on the flights' own variation. Of 725 pairs of consecutive windows of those
#: series it flags 34 (4.7%), mostly changes of collection in ggplot2's txhousing and
#: ratdat's surveys (README, "How inference chooses bounds").
MISSING_DRIFT = MissingDrift(threshold=0.22)


def default_comparators(ftype: FeatureType) -> tuple[Comparator | None, Comparator | None]:
    """The (drift, skew) comparators for a feature of type ``ftype``.

    Bytes and all-missing (null) features get none: their profiles hold no value distribution
    to compare.
    """
    if ftype in NUMERIC_TYPES:
        return NUMERIC_DRIFT, NUMERIC_SKEW
    if ftype in CATEGORICAL_TYPES:
        return CATEGORICAL_DRIFT, CATEGORICAL_SKEW
    return None, None
