"""What a report shows, gathered per feature from the profile, baseline, schema and validation.

The HTML renderer reads only these views, so the logic of "which anomalies belong to which
feature" and "how far over its threshold is this feature's drift" lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from datacheck.report._status import measurement_status
from datacheck.schema import Feature, Schema
from datacheck.stats import DatasetProfile, FeatureStatistics
from datacheck.validate import (
    Anomaly,
    DriftMeasurement,
    MeasurementKind,
    Severity,
    ValidationReport,
)

__all__ = ["FeatureView", "ReportView", "build_view"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureView:
    """Everything the report knows about one feature path."""

    #: position in the data (schema-only features come after the data's)
    index: int
    path: str
    stats: FeatureStatistics | None
    baseline: FeatureStatistics | None
    schema: Feature | None
    anomalies: tuple[Anomaly, ...]
    measurements: tuple[DriftMeasurement, ...]

    @property
    def errors(self) -> int:
        """Error-level anomalies of this feature."""
        return sum(a.severity is Severity.ERROR for a in self.anomalies)

    @property
    def warnings(self) -> int:
        """Warning-level anomalies of this feature."""
        return sum(a.severity is Severity.WARNING for a in self.anomalies)

    @property
    def drifted(self) -> bool:
        """Whether a drift or skew distance of the schema's comparator is over its threshold
        and raised an anomaly (an error or a warning; see :func:`measurement_status`)."""
        return any(measurement_status(m, self.anomalies).flagged for m in self.measurements)

    @property
    def drift_score(self) -> float:
        """The largest distance / threshold of the enforced measurements (0 without any).

        Where no enforced measurement has a threshold, the largest distance measured.
        """
        ratios = [m.distance / m.threshold for m in self.measurements if m.enforced and m.threshold]
        if ratios:
            return max(ratios)
        return max((m.distance for m in self.measurements), default=0.0)

    @property
    def worst(self) -> DriftMeasurement | None:
        """The measurement behind :attr:`drift_score`: the enforced one furthest over (or
        nearest) its threshold, else the largest distance measured; None without any."""
        enforced = [m for m in self.measurements if m.enforced and m.threshold]
        if enforced:
            return max(enforced, key=lambda m: m.distance / (m.threshold or 1.0))
        return max(self.measurements, key=lambda m: m.distance, default=None)

    @property
    def kind(self) -> str:
        """``numeric``, ``categorical`` or ``other``: which chart the feature gets."""
        s = self.stats
        if s is not None and s.numeric is not None and s.numeric.kll_sketch:
            return "numeric"
        if s is not None and (s.string is not None or s.bool is not None):
            return "categorical"
        return "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """The dataset-level facts and the per-feature views of one report."""

    profile: DatasetProfile | None
    baseline: DatasetProfile | None
    schema: Schema | None
    validation: ValidationReport | None
    features: tuple[FeatureView, ...]
    #: anomalies without a feature path (row counts)
    dataset_anomalies: tuple[Anomaly, ...]
    #: measurements without a feature path (the row-count ratio)
    dataset_measurements: tuple[DriftMeasurement, ...]

    @property
    def num_rows(self) -> int | None:
        """Rows of the data (from the profile, else the validation summary)."""
        if self.profile is not None:
            return self.profile.num_rows
        return None if self.validation is None else self.validation.summary.row_count

    @property
    def baseline_rows(self) -> int | None:
        """Rows of the baseline, if one was given."""
        if self.baseline is not None:
            return self.baseline.num_rows
        return None if self.validation is None else self.validation.summary.baseline_row_count

    @property
    def drifted(self) -> tuple[FeatureView, ...]:
        """Features whose enforced drift or skew distance is over its threshold."""
        return tuple(f for f in self.features if f.drifted)


_Item = TypeVar("_Item", Anomaly, DriftMeasurement)


def _by_path(items: tuple[_Item, ...]) -> tuple[dict[str, list[_Item]], tuple[_Item, ...]]:
    grouped: dict[str, list[_Item]] = {}
    loose: list[_Item] = []
    for item in items:
        if item.path is None:
            loose.append(item)
        else:
            grouped.setdefault(item.path, []).append(item)
    return grouped, tuple(loose)


def build_view(
    profile: DatasetProfile | None,
    *,
    baseline: DatasetProfile | None = None,
    schema: Schema | None = None,
    validation: ValidationReport | None = None,
) -> ReportView:
    """Gather one view per feature path named by the profile, schema or validation report."""
    anomalies, loose_anomalies = _by_path(validation.anomalies if validation else ())
    measurements, loose_measurements = _by_path(validation.measurements if validation else ())
    stats: Mapping[str, FeatureStatistics] = profile.features if profile is not None else {}
    base: Mapping[str, FeatureStatistics] = baseline.features if baseline is not None else {}
    paths = list(stats)
    seen = set(paths)
    # A column the baseline or schema has and the data lacks still gets its card.
    extra = [*base, *(f.name for f in schema.features)] if schema is not None else [*base]
    extra += [*anomalies, *measurements]
    for path in extra:
        if path not in seen:
            seen.add(path)
            paths.append(path)
    features = tuple(
        FeatureView(
            index=i,
            path=path,
            stats=stats.get(path),
            baseline=base.get(path),
            schema=None if schema is None else schema.feature(path),
            anomalies=tuple(anomalies.get(path, ())),
            measurements=tuple(
                sorted(
                    measurements.get(path, ()),
                    key=lambda m: (m.kind is not MeasurementKind.DRIFT, not m.enforced, m.method),
                )
            ),
        )
        for i, path in enumerate(paths)
    )
    return ReportView(
        profile=profile,
        baseline=baseline,
        schema=schema,
        validation=validation,
        features=features,
        dataset_anomalies=loose_anomalies,
        dataset_measurements=loose_measurements,
    )
