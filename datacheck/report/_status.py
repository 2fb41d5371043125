"""Whether a measured distance counts towards the verdict: one rule for the page and the text.

A distance over its threshold is one of three things, and a reader must tell them apart:

- it **counts** (``OVER``): the schema's comparator measured it and its anomaly is an error, so
  it fails the data;
- it **warns** (``over (warning)``): the schema's comparator measured it, but its anomaly is a
  warning (the comparator's level, or a severity override on its code);
- it is **for information** (``over (info)``): a method the schema does not hold the feature
  to, measured beside its comparator, or a comparator whose level raises no anomaly.

The level is read from the anomaly the comparator raised (same feature, the code of its method):
a feature's ``drift_level`` of ``warning``, or a severity override of the code, makes it a
warning; ``drift_level`` ``off`` measures the comparator's method unenforced, for information.
So a report read back from its JSON document, which holds no schema, shows the same standing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from datacheck.validate import Anomaly, AnomalyCode, DriftMeasurement, Severity

__all__ = ["MeasurementStatus", "measurement_status", "status_counts"]


class MeasurementStatus(StrEnum):
    """Where a distance stands against its threshold, and whether it counts."""

    #: over its threshold and an error: the data fails because of it
    OVER = "OVER"
    #: over its threshold, and the schema's comparator raised a warning
    WARNING = "over (warning)"
    #: over its threshold, measured for information only
    INFO = "over (info)"
    #: under (or at) its threshold
    OK = "ok"
    #: no threshold to compare with
    NONE = "-"

    @property
    def counts(self) -> bool:
        """Whether the distance counts towards the verdict."""
        return self is MeasurementStatus.OVER

    @property
    def flagged(self) -> bool:
        """Whether the schema's comparator raised an anomaly for it (error or warning)."""
        return self in (MeasurementStatus.OVER, MeasurementStatus.WARNING)


#: the anomaly codes a comparator of each method raises when its distance is over
_CODES: Mapping[str, frozenset[AnomalyCode]] = {
    "l_infinity": frozenset({AnomalyCode.COMPARATOR_L_INFTY_HIGH}),
    "jensen_shannon": frozenset({AnomalyCode.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH}),
    "psi": frozenset({AnomalyCode.COMPARATOR_PSI_HIGH}),
    "ks": frozenset({AnomalyCode.COMPARATOR_KS_HIGH}),
    "wasserstein": frozenset({AnomalyCode.COMPARATOR_WASSERSTEIN_HIGH}),
    "missing_cohens_h": frozenset({AnomalyCode.COMPARATOR_MISSING_DRIFT_HIGH}),
    "row_count_ratio": frozenset(
        {AnomalyCode.COMPARATOR_LOW_NUM_EXAMPLES, AnomalyCode.COMPARATOR_HIGH_NUM_EXAMPLES}
    ),
}


def _raised(m: DriftMeasurement, anomalies: Iterable[Anomaly]) -> Severity | None:
    """The most severe anomaly the measurement's comparator raised, if any."""
    codes = _CODES.get(m.method, frozenset())
    found = [a.severity for a in anomalies if a.path == m.path and a.code in codes]
    if not found:
        return None
    return Severity.ERROR if Severity.ERROR in found else found[0]


def measurement_status(m: DriftMeasurement, anomalies: Iterable[Anomaly]) -> MeasurementStatus:
    """Where ``m`` stands: ``OVER`` only when it counts towards the verdict.

    Args:
        m: one measured distance of a validation report.
        anomalies: the report's anomalies (those of ``m``'s feature suffice).
    """
    if m.threshold is None:
        return MeasurementStatus.NONE
    if not m.exceeded:
        return MeasurementStatus.OK
    if not m.enforced:
        return MeasurementStatus.INFO
    severity = _raised(m, anomalies)
    if severity is Severity.ERROR:
        return MeasurementStatus.OVER
    if severity is not None:
        return MeasurementStatus.WARNING
    # Enforced, over, and no anomaly: another anomaly said it already (a presence anomaly
    # stands for the missing share), or the level raises none.
    return MeasurementStatus.INFO


def status_counts(
    measurements: Iterable[DriftMeasurement], anomalies: Iterable[Anomaly]
) -> dict[MeasurementStatus, int]:
    """How many measurements stand at each status (absent statuses left out)."""
    listed = tuple(anomalies)
    counts: dict[MeasurementStatus, int] = {}
    for m in measurements:
        status = measurement_status(m, listed)
        counts[status] = counts.get(status, 0) + 1
    return counts
