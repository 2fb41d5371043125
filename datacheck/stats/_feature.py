"""One feature's accumulator (presence, list value counts, the statistics of its kind), and
a record batch's feature columns (struct fields under dotted paths, map keys and values as
lists, as ``datacheck._columns`` reaches them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import leaf_columns, list_values
from datacheck._types import (
    MIXED_TYPES_KEY,
    NUMERIC_TYPES,
    OVERFLOW_KEY,
    FeatureType,
    feature_type_of,
    skip_reason,
    time_of,
)
from datacheck.stats._bool import BoolAccumulator
from datacheck.stats._bytes import BytesAccumulator
from datacheck.stats._lists import ValueCountAccumulator
from datacheck.stats._numeric import NumericAccumulator
from datacheck.stats._options import StatsOptions
from datacheck.stats._profile import FeatureStatistics
from datacheck.stats._string import StringAccumulator

__all__ = ["Column", "FeatureAccumulator", "feature_columns"]

#: the numeric types whose values are integers, so that min and max are exact
_INTEGER = frozenset(
    {FeatureType.INT, FeatureType.DATE, FeatureType.TIMESTAMP, FeatureType.DURATION}
)
#: the reader's int64 overflow mark: integers at or beyond 2**63 in size, read as floats (2**63
#: itself is ambiguous: int64's largest value reads as that double too)
_INT64_EDGE = 2.0**63

KindAccumulator = NumericAccumulator | StringAccumulator | BytesAccumulator | BoolAccumulator


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """One feature's values in one batch, or the reason it cannot be profiled."""

    #: dotted feature path
    path: str
    #: the column's Arrow type
    arrow_type: pa.DataType
    #: the values, one per row (struct parents' nulls applied); None when skipped
    array: pa.Array | None
    #: the feature type; None when skipped
    type: FeatureType | None
    #: the reader flagged the column as mixing numbers and text
    mixed_types: bool = False
    #: the reader's overflow marks on the column (see ``datacheck._types.OVERFLOW_KEY``)
    overflow: frozenset[str] = frozenset()
    #: why the column is skipped, if it is
    skip_reason: str | None = None


def _overflow_marks(field: pa.Field) -> frozenset[str]:
    mark = (field.metadata or {}).get(OVERFLOW_KEY)
    return frozenset(mark.decode().split(",")) if mark else frozenset()


def feature_columns(batch: pa.RecordBatch) -> Iterator[Column]:
    """The batch's features in column order; struct fields follow under ``parent.child``."""
    for path, field, array in leaf_columns(batch):
        t = field.type
        mixed = bool(field.metadata and field.metadata.get(MIXED_TYPES_KEY) == b"true")
        feature_type = feature_type_of(t)
        if feature_type is None:
            yield Column(path=path, arrow_type=t, array=None, type=None, skip_reason=skip_reason(t))
        else:
            yield Column(
                path=path,
                arrow_type=t,
                array=array,
                type=feature_type,
                mixed_types=mixed,
                overflow=_overflow_marks(field),
            )


def _new_kind(
    feature_type: FeatureType, options: StatsOptions, weighted: bool
) -> KindAccumulator | None:
    if feature_type in NUMERIC_TYPES:
        return NumericAccumulator(options, integer=feature_type in _INTEGER, weighted=weighted)
    if feature_type is FeatureType.STRING:
        return StringAccumulator(options, weighted=weighted)
    if feature_type is FeatureType.BYTES:
        return BytesAccumulator()
    if feature_type is FeatureType.BOOL:
        return BoolAccumulator(weighted=weighted)
    return None


def _unnest(array: pa.Array, weights: np.ndarray | None) -> tuple[pa.Array, np.ndarray | None]:
    """The innermost values of a (possibly nested) list array, with each value's row weight."""
    values, rows = list_values(array, rows=weights is not None)
    if rows is not None and weights is not None:
        weights = weights[rows]
    return values, weights


def _in_unit(values: pa.Array, arrow_type: str) -> pa.Array:
    """Timestamps or durations in the unit the feature was first seen in (``arrow_type``):
    its numbers count that unit, so a batch in another unit is converted, not mixed in."""
    t = values.type
    if not (pa.types.is_timestamp(t) or pa.types.is_duration(t)):
        return values
    mine = time_of(arrow_type)
    if mine is None or mine[0] == t.unit:
        return values
    target = pa.duration(mine[0]) if pa.types.is_duration(t) else pa.timestamp(mine[0], t.tz)
    # Unsafe: a finer unit's remainder is cut off, as pyarrow does for a coarser column.
    return pc.cast(values, target, safe=False)


def compatible(a: FeatureType, b: FeatureType) -> FeatureType | None:
    """The type two batches' types of one feature combine to, or None when they conflict."""
    if a == b or b is FeatureType.NULL:
        return a
    if a is FeatureType.NULL:
        return b
    if {a, b} == {FeatureType.INT, FeatureType.FLOAT}:
        return FeatureType.FLOAT
    return None


def _merge_kind(mine: KindAccumulator | None, theirs: KindAccumulator) -> None:
    """Merge two kind accumulators of the same kind (compatible types give the same kind)."""
    if mine is None or type(mine) is not type(theirs):
        raise TypeError(f"cannot merge {type(theirs).__name__} into {type(mine).__name__}")
    mine.merge(theirs)  # type: ignore[arg-type]  # same class, checked just above


class FeatureAccumulator:
    """Mutable, picklable state of one feature."""

    __slots__ = (
        "arrow_type",
        "cost",
        "is_list",
        "kind",
        "mixed_types",
        "num_float_overflow",
        "num_int_overflow",
        "num_missing",
        "num_present",
        "options",
        "path",
        "type",
        "value_counts",
        "weighted",
        "weighted_present",
    )

    def __init__(
        self,
        options: StatsOptions,
        *,
        path: str,
        feature_type: FeatureType,
        arrow_type: str,
        is_list: bool,
        weighted: bool,
    ) -> None:
        self.options = options
        self.path = path
        self.type = feature_type
        self.arrow_type = arrow_type
        self.is_list = is_list
        self.weighted = weighted
        self.mixed_types = False
        self.num_int_overflow = 0
        self.num_float_overflow = 0
        #: seconds the last batch took; only orders the work on the thread pool
        self.cost = 0.0
        self.num_present = 0
        self.num_missing = 0
        self.weighted_present: float | None = 0.0 if weighted else None
        self.value_counts = ValueCountAccumulator(options) if is_list else None
        self.kind: KindAccumulator | None = _new_kind(feature_type, options, weighted)

    def retype(self, feature_type: FeatureType, arrow_type: str) -> None:
        """Widen to ``feature_type`` (see :func:`compatible`), keeping what was counted."""
        if feature_type == self.type:
            return
        if self.kind is None:
            self.kind = _new_kind(feature_type, self.options, self.weighted)
        if isinstance(self.kind, NumericAccumulator):
            self.kind.integer = self.kind.integer and feature_type in _INTEGER
        self.type = feature_type
        self.arrow_type = arrow_type

    def add(self, column: Column, weights: np.ndarray | None) -> None:
        """Add one batch's values of this feature; ``weights`` holds one weight per row."""
        array = column.array
        assert array is not None  # skipped columns never reach an accumulator
        self.mixed_types = self.mixed_types or column.mixed_types
        missing = array.null_count
        self.num_missing += missing
        self.num_present += len(array) - missing
        if weights is not None and self.weighted_present is not None:
            if missing:
                valid = array.is_valid().to_numpy(zero_copy_only=False)
                self.weighted_present += float(weights[valid].sum())
            else:
                self.weighted_present += float(weights.sum())
        if self.value_counts is not None:
            lengths = pc.list_value_length(array)
            if lengths.null_count:
                lengths = pc.drop_null(lengths)
            self.value_counts.add(lengths.to_numpy(zero_copy_only=False))
            array, weights = _unnest(array, weights)
        if self.kind is not None and not pa.types.is_null(array.type):
            if column.overflow:
                self._count_overflow(array, column.overflow)
            self.kind.add(_in_unit(array, self.arrow_type), weights)

    def _count_overflow(self, values: pa.Array, marks: frozenset[str]) -> None:
        """Count the values the reader could not hold as written (a marked float column)."""
        if not pa.types.is_floating(values.type):
            return
        if "int64" in marks:
            beyond = pc.greater_equal(pc.abs(values), _INT64_EDGE)
            self.num_int_overflow += pc.sum(beyond).as_py() or 0
        if "float64" in marks:
            self.num_float_overflow += pc.sum(pc.is_inf(values)).as_py() or 0

    def merge(self, other: FeatureAccumulator) -> None:
        """Fold ``other`` (of a compatible type) into this accumulator; ``other`` is unchanged."""
        merged = compatible(self.type, other.type)
        if merged is not None and merged != self.type:
            self.retype(merged, other.arrow_type if merged == other.type else self.arrow_type)
        self.mixed_types = self.mixed_types or other.mixed_types
        self.num_int_overflow += other.num_int_overflow
        self.num_float_overflow += other.num_float_overflow
        self.num_present += other.num_present
        self.num_missing += other.num_missing
        if self.weighted_present is not None and other.weighted_present is not None:
            self.weighted_present += other.weighted_present
        if self.value_counts is not None and other.value_counts is not None:
            self.value_counts.merge(other.value_counts)
        elif other.value_counts is not None:
            self.value_counts = ValueCountAccumulator(self.options)
            self.value_counts.merge(other.value_counts)
            self.is_list = True
        if other.kind is not None:
            if self.kind is None:
                self.kind = _new_kind(self.type, self.options, self.weighted)
            _merge_kind(self.kind, other.kind)

    def extract(self, num_rows: int) -> FeatureStatistics:
        """The feature's statistics, given the dataset's row count."""
        kind = self.kind
        return FeatureStatistics(
            path=self.path,
            type=self.type,
            arrow_type=self.arrow_type,
            num_present=self.num_present,
            num_missing=self.num_missing,
            presence=self.num_present / num_rows if num_rows else 0.0,
            mixed_types=self.mixed_types,
            num_int_overflow=self.num_int_overflow,
            num_float_overflow=self.num_float_overflow,
            weighted_num_present=self.weighted_present,
            value_counts=None if self.value_counts is None else self.value_counts.extract(),
            numeric=kind.extract() if isinstance(kind, NumericAccumulator) else None,
            string=kind.extract() if isinstance(kind, StringAccumulator) else None,
            bytes=kind.extract() if isinstance(kind, BytesAccumulator) else None,
            bool=kind.extract() if isinstance(kind, BoolAccumulator) else None,
        )

    @classmethod
    def from_output(cls, stats: FeatureStatistics, options: StatsOptions) -> FeatureAccumulator:
        """The accumulator that :meth:`extract` turned into ``stats`` (for merging profiles)."""
        acc = cls(
            options,
            path=stats.path,
            feature_type=stats.type,
            arrow_type=stats.arrow_type,
            is_list=stats.value_counts is not None,
            weighted=stats.weighted_num_present is not None,
        )
        acc.mixed_types = stats.mixed_types
        acc.num_int_overflow = stats.num_int_overflow
        acc.num_float_overflow = stats.num_float_overflow
        acc.num_present = stats.num_present
        acc.num_missing = stats.num_missing
        acc.weighted_present = stats.weighted_num_present
        if stats.value_counts is not None:
            acc.value_counts = ValueCountAccumulator.from_output(
                stats.value_counts, options, stats.num_present
            )
        if stats.numeric is not None:
            acc.kind = NumericAccumulator.from_output(
                stats.numeric, options, integer=stats.type in _INTEGER
            )
        elif stats.string is not None:
            acc.kind = StringAccumulator.from_output(stats.string, options)
        elif stats.bytes is not None:
            acc.kind = BytesAccumulator.from_output(stats.bytes)
        elif stats.bool is not None:
            acc.kind = BoolAccumulator.from_output(stats.bool)
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
