"""Hand-built feature statistics for schema tests, so each test states exactly what it saw."""

from __future__ import annotations

import pytest

from datacheck.schema import FeatureType
from datacheck.stats import (
    BoolStatistics,
    DatasetProfile,
    FeatureStatistics,
    Histogram,
    NumericStatistics,
    StringStatistics,
    ValueCountStatistics,
)

_EMPTY = Histogram(kind="standard", buckets=())


class StatsFactory:
    """Builders of :class:`FeatureStatistics` with only the fields schema code reads."""

    @staticmethod
    def profile(num_rows: int, *features: FeatureStatistics) -> DatasetProfile:
        return DatasetProfile(num_rows=num_rows, features={f.path: f for f in features})

    @staticmethod
    def _base(
        path: str, ftype: FeatureType, present: int, rows: int, list_lengths: tuple[int, int] | None
    ) -> dict[str, object]:
        vc = None
        if list_lengths is not None:
            vc = ValueCountStatistics(
                min=list_lengths[0],
                max=list_lengths[1],
                mean=1.0,
                num_values=present,
                histogram=_EMPTY,
                kll_sketch=b"",
            )
        return {
            "path": path,
            "type": ftype,
            "arrow_type": str(ftype),
            "num_present": present,
            "num_missing": rows - present,
            "presence": present / rows if rows else 0.0,
            "value_counts": vc,
        }

    def numeric(
        self,
        path: str,
        low: float | None,
        high: float | None,
        *,
        rows: int = 100,
        present: int | None = None,
        ftype: FeatureType = FeatureType.INT,
        nan: int = 0,
        inf: int = 0,
        list_lengths: tuple[int, int] | None = None,
    ) -> FeatureStatistics:
        present = rows if present is None else present
        numeric = NumericStatistics(
            num_values=present,
            min=low,
            max=high,
            mean=None,
            std_dev=None,
            num_zeros=0,
            num_nan=nan,
            num_pos_inf=inf,
            num_neg_inf=0,
            median=None,
            quantiles=(),
            histogram=_EMPTY,
            quantile_histogram=_EMPTY,
            kll_sketch=b"",
        )
        return FeatureStatistics(
            **self._base(path, ftype, present, rows, list_lengths),
            numeric=numeric,
        )

    def string(
        self,
        path: str,
        counts: dict[str, int] | None,
        *,
        rows: int = 100,
        present: int | None = None,
        distinct: float | None = None,
        list_lengths: tuple[int, int] | None = None,
    ) -> FeatureStatistics:
        present = rows if present is None else present
        n = sum(counts.values()) if counts is not None else present
        d = float(len(counts)) if distinct is None and counts is not None else float(distinct or 0)
        string = StringStatistics(
            num_values=n,
            distinct=d,
            distinct_lower_bound=d,
            distinct_upper_bound=d,
            distinct_exact=counts is not None,
            top_values=(),
            top_values_exact=False,
            value_counts=counts,
            # Lengths of the counted values (the fixture's profiles know no others).
            min_length=min(map(len, counts)) if counts else None,
            max_length=max(map(len, counts)) if counts else None,
            mean_length=None,
            hll_sketch=b"",
            frequent_items_sketch=b"",
        )
        return FeatureStatistics(
            **self._base(path, FeatureType.STRING, present, rows, list_lengths),
            string=string,
        )

    def boolean(self, path: str, *, rows: int = 100) -> FeatureStatistics:
        return FeatureStatistics(
            **self._base(path, FeatureType.BOOL, rows, rows, None),
            bool=BoolStatistics(num_true=rows // 2, num_false=rows - rows // 2),
        )


@pytest.fixture
def stats() -> StatsFactory:
    return StatsFactory()
