"""Drift and skew measurements of one feature: this data's statistics against a reference's.

Numeric features (``NUMERIC_TYPES``: int, float, decimal, date, timestamp, duration) are
compared through their KLL sketches (not across time units: their numbers count different
units), categorical ones (``CATEGORICAL_TYPES``: string, bool) through
value counts. Every method of the kind's registry (``NUMERIC_DISTANCES``,
``CATEGORICAL_DISTANCES``) is measured; the schema's comparator decides which one is
*enforced* (an anomaly when over its threshold). The others are reported for information
against :data:`REFERENCE_THRESHOLDS`.

Every feature's missing share is compared too (:func:`compare_missing`), whatever its type:
Cohen's h between the shares of rows missing it, measured as ``missing_cohens_h`` and enforced
by the feature's ``missing_drift``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    SketchPair,
)

__all__ = [
    "MISSING_METHOD",
    "MISSING_NOISE_Z",
    "MISSING_REFERENCE_THRESHOLD",
    "REFERENCE_THRESHOLDS",
    "Comparison",
    "MissingComparison",
    "compare_feature",
    "compare_missing",
    "feature_kind",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """The outcome of comparing one feature: distances by method, or why there are none."""

    #: "numeric" or "categorical"
    kind: str
    #: method -> distance, for every method that applies to the kind
    distances: dict[str, float]
    #: why nothing could be measured (statistics missing on one side); None when measured
    unavailable: str | None = None


def feature_kind(feature_type: FeatureType) -> str | None:
    """ "numeric", "categorical", or None for a type no distance applies to (bytes, null)."""
    if feature_type in NUMERIC_TYPES:
        return "numeric"
    if feature_type in CATEGORICAL_TYPES:
        return "categorical"
    return None


def _sketch(stats: FeatureStatistics) -> kll_doubles_sketch | None:
    if stats.numeric is None:
        return None
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
        sketches = SketchPair(a, b)
        return Comparison(
            kind=kind,
            distances={
                str(method): distance(sketches) for method, distance in NUMERIC_DISTANCES.items()
            },
        )
    ca, cb = _counts(reference), _counts(current)
    if ca is None or cb is None:
        side = "reference" if ca is None else "current data"
        return Comparison(kind=kind, distances={}, unavailable=f"the {side} has no value counts")
    counts = CountsPair(ca, cb)
    return Comparison(
        kind=kind,
        distances={
            str(method): distance(counts) for method, distance in CATEGORICAL_DISTANCES.items()
        },
    )


def threshold_for(
    kind: str, method: str, comparator: Comparator | None
) -> tuple[float | None, bool]:
    """The threshold of a method's measurement and whether it is enforced."""
    if comparator is not None and str(comparator.method) == method:
        return comparator.threshold, True
    return REFERENCE_THRESHOLDS.get(kind, {}).get(method), False
