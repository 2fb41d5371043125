"""The profile a request's report reads, computed without sketches (the request path).

A validation request answers :func:`check_dataset`'s report on its rows: the dataset checks of
:func:`validate_statistics` over the rows' profile, and the tallies over the rows. A full
profile costs every feature a KLL, an HLL and a frequent-items sketch, two histograms and the
quantiles: a fixed cost per feature per batch (about 0.1 to 0.5 ms each) that is most of a
small request's time, for statistics the checks never read. The serving statistics need
them, but those are made off the request path, by the windows' background worker.

:class:`ReportProfiler` is the :class:`Profiler` that ``check_dataset`` runs for a request:
everything else in the report is the library's own code. It computes exactly as the profiler
does the statistics the checks read for this schema, and leaves the rest empty (no sketch,
histogram, quantile or moment):

- every feature: its type, Arrow type, presence counts and the reader's mixed-types mark;
  columns that cannot be profiled are listed as skipped, with the profiler's reason;
- a number with an int or float domain (or a bool schema feature arriving as ints): the count,
  range, zeros, NaN and infinity counts;
- a string with length bounds or distinct-count bounds (or a bool schema feature arriving as
  text): the exact value counts, top values, lengths and distinct count;
- a string whose only check of its values is a string domain: the count of its values and the
  exact counts of those *outside* the domain, the one thing that check reads (a membership test
  against the domain's values costs less than counting every value: 0.1-0.25 against
  0.24-0.34 ms for 10,000 rows here); no lengths, no distinct count.

A feature whose checks read more (quantiles: a bool schema feature arriving as floats;
sketches: more distinct strings than the exact-count cap; numeric distinct counts; list value
counts; bytes, decimal, time or dictionary-encoded columns under a domain; the reader's
overflow marks) is profiled by the real profiler, on its own column only. So the report is the
one ``check_dataset`` gives on the same rows, whatever the rows; the tests compare the two on
inferred, generated and hand-written schemas.

Only for a report without a baseline or serving data (what a request asks): drift and skew
read the sketches.

A guard keeps that true as the model grows: the fields of the schema model and of the profile
this module was written against are listed below. A class with a field not listed (a new
constraint, a new statistic a check may read) turns the shortcut off, every request is
profiled in full, and a unit test fails until this module has been taught the field.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import leaf_columns
from datacheck._types import (
    MIXED_TYPES_KEY,
    NUMERIC_TYPES,
    OVERFLOW_KEY,
    FeatureType,
    feature_type_of,
    is_list_type,
    skip_reason,
)
from datacheck.schema import (
    BoolDomain,
    DatasetConstraints,
    DistributionConstraints,
    Feature,
    FloatDomain,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    StringPattern,
    TimeDomain,
    TimeType,
    UniqueConstraints,
    ValueCount,
)
from datacheck.stats import (
    BoolStatistics,
    BytesStatistics,
    DatasetProfile,
    FeatureStatistics,
    Histogram,
    NumericStatistics,
    Profiler,
    SkippedFeature,
    StatsOptions,
    StringStatistics,
    generate_statistics,
)

__all__ = ["KNOWN_FIELDS", "ReportProfiler", "quick_profile", "shortcut_enabled"]

#: The fields of the schema model and of the profile this module was written against: the
#: constraints whose checks it knows, and the statistics it knows the checks read.
KNOWN_FIELDS: Mapping[type, frozenset[str]] = {
    Schema: frozenset(
        {
            "features",
            "dataset",
            "default_environments",
            "severity_overrides",
            "description",
            "version",
            "format_version",
            "reader",
            "row_checks",
            "unique_keys",
        }
    ),
    DatasetConstraints: frozenset(
        {"min_row_count", "max_row_count", "min_row_count_ratio", "max_row_count_ratio"}
    ),
    Feature: frozenset(
        {
            "name",
            "type",
            "presence",
            "value_count",
            "domain",
            "string_length",
            "pattern",
            "time",
            "distribution",
            "unique",
            "drift_comparator",
            "skew_comparator",
            "missing_drift",
            "drift_level",
            "freshness",
            "in_environments",
            "not_in_environments",
            "lifecycle",
            "description",
            "severity_overrides",
            "arrow_type",
        }
    ),
    Presence: frozenset({"min_fraction", "min_count"}),
    ValueCount: frozenset({"min", "max"}),
    IntDomain: frozenset({"min", "max"}),
    FloatDomain: frozenset({"min", "max", "disallow_nan", "disallow_inf"}),
    StringDomain: frozenset({"values"}),
    BoolDomain: frozenset(),
    TimeDomain: frozenset({"min", "max"}),
    StringLength: frozenset({"min", "max"}),
    StringPattern: frozenset({"regex", "max_mismatch_fraction"}),
    TimeType: frozenset({"unit", "zone"}),
    DistributionConstraints: frozenset({"min_domain_mass"}),
    UniqueConstraints: frozenset({"min", "max"}),
    DatasetProfile: frozenset(
        {
            "format_version",
            "num_rows",
            "weighted_num_rows",
            "options",
            "features",
            "skipped",
            "slices",
            "reader",
        }
    ),
    SkippedFeature: frozenset({"path", "arrow_type", "reason"}),
    FeatureStatistics: frozenset(
        {
            "path",
            "type",
            "arrow_type",
            "num_present",
            "num_missing",
            "presence",
            "mixed_types",
            "num_int_overflow",
            "num_float_overflow",
            "weighted_num_present",
            "value_counts",
            "numeric",
            "string",
            "bytes",
            "bool",
        }
    ),
    NumericStatistics: frozenset(
        {
            "num_values",
            "min",
            "max",
            "mean",
            "std_dev",
            "num_zeros",
            "num_nan",
            "num_pos_inf",
            "num_neg_inf",
            "median",
            "quantiles",
            "histogram",
            "quantile_histogram",
            "kll_sketch",
            "distinct",
            "distinct_lower_bound",
            "distinct_values",
            "exact_sum",
            "distinct_counts",
            "row_order",
            "weighted",
        }
    ),
    StringStatistics: frozenset(
        {
            "num_values",
            "distinct",
            "distinct_lower_bound",
            "distinct_upper_bound",
            "distinct_exact",
            "top_values",
            "top_values_exact",
            "value_counts",
            "min_length",
            "max_length",
            "mean_length",
            "hll_sketch",
            "frequent_items_sketch",
            "frequent_items_unfed",
            "weighted",
        }
    ),
    BoolStatistics: frozenset({"num_true", "num_false", "weighted_num_true", "weighted_num_false"}),
    BytesStatistics: frozenset(
        {"num_values", "min_length", "max_length", "mean_length", "num_invalid_utf8"}
    ),
}


def unknown_fields() -> dict[str, set[str]]:
    """Fields of the model classes that :data:`KNOWN_FIELDS` does not list (or lists but
    the class no longer has), by class name; empty when the shortcut is safe."""
    found: dict[str, set[str]] = {}
    for cls, known in KNOWN_FIELDS.items():
        names = {f.name for f in dataclasses.fields(cls)}
        if names != known:
            found[cls.__name__] = names ^ known
    return found


_SHORTCUT = not unknown_fields()


def shortcut_enabled() -> bool:
    """Whether requests are profiled with the shortcut (False: the model changed since this
    module was written, so every request is profiled in full)."""
    return _SHORTCUT


# What a feature's checks read beyond its presence and types (bit flags; plain ints, as enum
# flags cost microseconds per operation on the request path):
#: nothing more
_NONE = 0
#: count, range, zeros, NaN and infinities of an int or float column
_NUMBERS = 1
#: exact value counts, lengths and distinct count of a string column
_STRINGS = 2
#: something the shortcut does not compute: the real profiler's statistics
_FULL = 4
#: the count of a string column's values and the exact counts of those outside its domain
#: (what the domain check reads; ``_STRINGS`` gives that and more)
_DOMAIN = 8


_DOMAINS = (IntDomain, FloatDomain, StringDomain, BoolDomain, TimeDomain)
_INT_OR_FLOAT = frozenset({FeatureType.INT, FeatureType.FLOAT})
_STRING_TYPES = (pa.string(), pa.large_string())


def _bounded(constraint: ValueCount | StringLength | UniqueConstraints | None) -> bool:
    return constraint is not None and (constraint.min is not None or constraint.max is not None)


def _need(
    feature: Feature | None, kind: FeatureType, arrow_type: pa.DataType, is_list: bool
) -> int:
    """What ``validate_statistics`` reads of a column of ``kind`` checked as ``feature``."""
    if feature is None:
        return _NONE  # a new column, or one not checked here: its type is all it reads
    domain = feature.domain
    if domain is not None and not isinstance(domain, _DOMAINS):
        return _FULL
    need = _NONE
    if feature.type is FeatureType.BOOL and kind is not FeatureType.BOOL:
        # Whether the values read as bools: text by its values, ints by their range, floats
        # also by their quantiles.
        if kind is FeatureType.STRING:
            need |= _STRINGS
        elif kind is FeatureType.INT:
            need |= _NUMBERS
        elif kind is FeatureType.FLOAT:
            need |= _FULL
    if isinstance(domain, StringDomain):
        if kind is FeatureType.STRING:
            need |= _DOMAIN
        elif kind is FeatureType.BYTES:
            need |= _FULL
    if isinstance(domain, IntDomain | FloatDomain):
        if kind in _INT_OR_FLOAT:
            need |= _NUMBERS
        elif kind in NUMERIC_TYPES:
            need |= _FULL
    if isinstance(domain, TimeDomain) and kind in (FeatureType.DATE, FeatureType.TIMESTAMP):
        need |= _NUMBERS  # the earliest and latest values, as the stored integers
    if _bounded(feature.string_length) and kind is FeatureType.STRING:
        need |= _STRINGS
    if _bounded(feature.unique):
        need |= _STRINGS if kind is FeatureType.STRING else _FULL
    if is_list and (need or _bounded(feature.value_count)):
        need |= _FULL
    if need & _NUMBERS and pa.types.is_dictionary(arrow_type):
        need |= _FULL
    if need & _STRINGS:
        need &= ~_DOMAIN  # the full counts hold the values outside the domain too
    if need & (_STRINGS | _DOMAIN) and arrow_type not in _STRING_TYPES:
        need |= _FULL  # dictionary-encoded or string-view text
    return need


_NO_HISTOGRAM = Histogram(kind="standard", buckets=())
_NO_QUANTILES = Histogram(kind="quantiles", buckets=())


def _numbers(
    num_values: int = 0,
    low: float | None = None,
    high: float | None = None,
    *,
    zeros: int = 0,
    nan: int = 0,
    pos_inf: int = 0,
    neg_inf: int = 0,
) -> NumericStatistics:
    """Numeric statistics with the counts and range given and nothing else (no moments,
    quantiles, histograms, sketch or distinct count: the checks asked do not read them)."""
    return NumericStatistics(
        num_values=num_values,
        min=low,
        max=high,
        mean=None,
        std_dev=None,
        num_zeros=zeros,
        num_nan=nan,
        num_pos_inf=pos_inf,
        num_neg_inf=neg_inf,
        median=None,
        quantiles=(),
        histogram=_NO_HISTOGRAM,
        quantile_histogram=_NO_QUANTILES,
        kll_sketch=b"",
    )


def _number_statistics(array: pa.Array) -> NumericStatistics:
    """An int or float column's count, range, zeros, NaN and infinities, as the profiler's
    numeric accumulator counts them (NaN counted among the values, not in the range)."""
    values = pc.drop_null(array) if array.null_count else array
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        # Days or units since the epoch, as the profiler describes dates and timestamps.
        values = values.cast(pa.int32() if pa.types.is_date32(values.type) else pa.int64())
    if pa.types.is_integer(values.type):
        x = values.to_numpy(zero_copy_only=False)
        if x.size == 0:
            return _numbers()
        return _numbers(
            int(x.size), int(x.min()), int(x.max()), zeros=int(np.count_nonzero(x == 0))
        )
    if values.type != pa.float64():
        values = values.cast(pa.float64())
    x = values.to_numpy(zero_copy_only=False)
    nan = np.isnan(x)
    num_nan = int(np.count_nonzero(nan))
    nonnan = x[~nan] if num_nan else x
    if nonnan.size == 0:
        return _numbers(int(x.size), nan=num_nan)
    low, high = float(nonnan.min()), float(nonnan.max())
    pos_inf = neg_inf = 0
    if np.isinf(low) or np.isinf(high):
        neg_inf = int(np.count_nonzero(nonnan == -np.inf))
        pos_inf = int(np.count_nonzero(nonnan == np.inf))
    return _numbers(
        int(x.size),
        low,
        high,
        zeros=int(np.count_nonzero(nonnan == 0)),
        nan=num_nan,
        pos_inf=pos_inf,
        neg_inf=neg_inf,
    )


def _strings(counts: dict[str, int] | None = None) -> StringStatistics:
    """String statistics of exact value counts (None: nothing computed): the counts, the
    distinct count and the lengths in characters. No top values (while the exact counts are
    there, the checks read those) and no sketches."""
    num_values = 0
    lengths: tuple[int | None, int | None, float | None] = (None, None, None)
    if counts:
        num_values = sum(counts.values())
        sizes = [len(v) for v in counts]
        total = sum(n * c for n, c in zip(sizes, counts.values(), strict=True))
        lengths = (min(sizes), max(sizes), total / num_values)
    distinct = float(len(counts or ()))
    return StringStatistics(
        num_values=num_values,
        distinct=distinct,
        distinct_lower_bound=distinct,
        distinct_upper_bound=distinct,
        distinct_exact=counts is not None,
        top_values=(),
        top_values_exact=counts is not None,
        value_counts=counts,
        min_length=lengths[0],
        max_length=lengths[1],
        mean_length=lengths[2],
        hll_sketch=b"",
        frequent_items_sketch=b"",
    )


#: columns of up to this many values are counted in Python: each Arrow call costs more than
#: counting this many values one by one
_SMALL = 128


def _string_statistics(array: pa.Array, options: StatsOptions) -> StringStatistics | None:
    """A text column's exact value counts, lengths and distinct count, as the profiler's
    string accumulator counts them; None past the exact-count cap (sketches needed)."""
    counts: dict[str, int] = {}
    if len(array) <= _SMALL:
        for value in array.to_pylist():
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
    else:
        found = array.value_counts()
        values, tallies = found.field(0), found.field(1)
        if values.null_count:  # the count of missing values
            valid = values.is_valid()
            values, tallies = values.filter(valid), tallies.filter(valid)
        if len(values) > options.exact_counts_cap:
            return None
        counts = dict(zip(values.to_pylist(), tallies.to_pylist(), strict=True))
    if len(counts) > options.exact_counts_cap:
        return None
    return _strings(counts)


def _outside_domain(
    array: pa.Array, domain: pa.Array, options: StatsOptions
) -> StringStatistics | None:
    """A text column's count of values and the exact counts of its values outside ``domain``
    (the rest left empty). None unless the column's distinct values are surely within the
    exact-count cap (the domain's values and those found outside it): past the cap the
    profiler keeps sketches, whose report :func:`_string_statistics` leaves to it too."""
    cap = options.exact_counts_cap
    if len(domain) > cap:
        return None
    num_values = len(array) - array.null_count
    counts: dict[str, int] = {}
    inside = pc.is_in(array, value_set=domain)  # a missing value: False, dropped below
    if int(pc.sum(inside).as_py() or 0) < num_values:
        outside = array.filter(pc.invert(inside)).drop_null()
        found = outside.value_counts()
        if len(domain) + len(found) > cap:
            return None
        counts = dict(zip(found.field(0).to_pylist(), found.field(1).to_pylist(), strict=True))
    return dataclasses.replace(_NO_STRINGS, num_values=num_values, value_counts=counts)


def _quick_feature(
    path: str,
    field: pa.Field,
    array: pa.Array,
    kind: FeatureType,
    need: int,
    scalar: bool,
    num_rows: int,
    options: StatsOptions,
    domain: pa.Array | None = None,
) -> FeatureStatistics | None:
    """One feature's statistics for the checks, or None when it needs the real profiler."""
    numeric = string = binary = boolean = None
    if kind in NUMERIC_TYPES:
        numeric = _number_statistics(array) if need & _NUMBERS else _NO_NUMBERS
    elif kind is FeatureType.STRING:
        if need & _STRINGS:
            string = _string_statistics(array, options)
        elif need & _DOMAIN:  # without the domain's values: the real profiler
            string = None if domain is None else _outside_domain(array, domain, options)
        else:
            string = _NO_STRINGS
        if string is None:
            return None
    elif kind is FeatureType.BYTES:
        binary = _NO_BYTES
    elif kind is FeatureType.BOOL:
        plain = scalar and pa.types.is_boolean(field.type)
        true = int(pc.sum(array).as_py() or 0) if plain else 0
        valid = len(array) - array.null_count if plain else 0
        boolean = BoolStatistics(num_true=true, num_false=valid - true)
    missing = array.null_count
    present = len(array) - missing
    metadata = field.metadata
    return FeatureStatistics(
        path=path,
        type=kind,
        arrow_type=str(field.type),
        num_present=present,
        num_missing=missing,
        presence=present / num_rows if num_rows else 0.0,
        mixed_types=bool(metadata and metadata.get(MIXED_TYPES_KEY) == b"true"),
        numeric=numeric,
        string=string,
        bytes=binary,
        bool=boolean,
    )


#: the statistics of a feature whose checks read none of them (values, not computed)
_NO_NUMBERS = _numbers()
_NO_STRINGS = _strings()
_NO_BYTES = BytesStatistics(
    num_values=0, min_length=None, max_length=None, mean_length=None, num_invalid_utf8=0
)


def _leaf_count(arrow_type: pa.DataType) -> int:
    """How many features a top-level column of this type gives (see ``leaf_columns``): a
    struct's fields' (at any depth, without recursion), a map's keys and values, else one."""
    count = 0
    stack = [arrow_type]
    while stack:
        t = stack.pop()
        if pa.types.is_struct(t):
            stack.extend(t.field(i).type for i in range(t.num_fields))
        else:
            count += 2 if pa.types.is_map(t) else 1
    return count


class _Leaf(NamedTuple):
    """How one feature of a batch's shape is profiled for a schema."""

    #: the index of its top-level column
    top: int
    path: str
    #: its type; None for a column that cannot be profiled (``skipped`` says why)
    kind: FeatureType | None
    #: what its checks read (``_NUMBERS``, ``_STRINGS``, ``_DOMAIN``, ``_FULL``)
    need: int
    #: not a list
    scalar: bool
    skipped: SkippedFeature | None
    #: the values of its string domain, when ``need`` has ``_DOMAIN``
    domain: pa.Array | None = None


def _make_plan(
    batch: pa.RecordBatch, schema: Schema, environment: str | None
) -> tuple[_Leaf, ...] | None:
    """How each feature of ``batch``'s shape is profiled; None for a shape the profiler
    merges (two columns of one name), left to it."""
    active = {f.name: f for f in schema.features_in(environment)}
    # The top-level column of each feature, in order: a feature the shortcut cannot give is
    # profiled by the real profiler with the rest of its column.
    tops = [i for i, f in enumerate(batch.schema) for _ in range(_leaf_count(f.type))]
    plan: list[_Leaf] = []
    seen: set[str] = set()
    for top, (path, field, _) in zip(tops, leaf_columns(batch), strict=True):
        if path in seen:
            return None
        seen.add(path)
        arrow_type = field.type
        kind = feature_type_of(arrow_type)
        if kind is None:
            reason = skip_reason(arrow_type)
            skipped = SkippedFeature(path=path, arrow_type=str(arrow_type), reason=reason)
            plan.append(_Leaf(top, path, None, _NONE, True, skipped))
            continue
        scalar = not is_list_type(arrow_type)
        feature = active.get(path)
        need = _need(feature, kind, arrow_type, not scalar)
        domain = None
        if need & _DOMAIN and feature is not None and isinstance(feature.domain, StringDomain):
            domain = pa.array(list(feature.domain.values), arrow_type)
        plan.append(_Leaf(top, path, kind, need, scalar, None, domain))
    return tuple(plan)


#: plans by (schema, environment, batch shape): requests of one shape repeat
_PLANS: dict[tuple[int, str | None, pa.Schema], tuple[Schema, tuple[_Leaf, ...] | None]] = {}
_PLANS_LOCK = threading.Lock()
_MAX_PLANS = 256


def _plan(
    batch: pa.RecordBatch, schema: Schema, environment: str | None
) -> tuple[_Leaf, ...] | None:
    """:func:`_make_plan`, remembered. The key holds the batch's types (not its fields'
    metadata, which is read per batch); the schema is kept with the plan, so that a key's
    ``id`` never names another schema."""
    key = (id(schema), environment, batch.schema)
    with _PLANS_LOCK:
        cached = _PLANS.get(key)
    if cached is not None and cached[0] is schema:
        return cached[1]
    plan = _make_plan(batch, schema, environment)
    with _PLANS_LOCK:
        if len(_PLANS) >= _MAX_PLANS:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = (schema, plan)
    return plan


def quick_profile(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    environment: str | None = None,
    options: StatsOptions | None = None,
) -> DatasetProfile:
    """The profile of ``batches`` as far as checking it against ``schema`` (in
    ``environment``, without a baseline or serving data) reads it; see the module's
    docstring. The statistics no check reads are left empty."""
    options = options or StatsOptions(threads=1)
    parts = list(batches)
    if not parts:
        return DatasetProfile(num_rows=0, options=options)
    first = parts[0]
    if not _SHORTCUT or any(not b.schema.equals(first.schema) for b in parts[1:]):
        return generate_statistics(parts, options)
    batch = first if len(parts) == 1 else pa.concat_batches(parts)
    plan = _plan(batch, schema, environment)
    if plan is None:
        return generate_statistics(parts, options)
    num_rows = batch.num_rows
    features: dict[str, FeatureStatistics | None] = {}
    skipped: list[SkippedFeature] = []
    full: set[int] = set()
    for leaf, (_, field, array) in zip(plan, leaf_columns(batch), strict=True):
        if leaf.kind is None:
            assert leaf.skipped is not None
            skipped.append(leaf.skipped)
            continue
        need = leaf.need
        if field.metadata and OVERFLOW_KEY in field.metadata:
            need |= _FULL  # the profiler counts the reader's overflows
        stats = None
        if not need & _FULL:
            stats = _quick_feature(
                leaf.path,
                field,
                array,
                leaf.kind,
                need,
                leaf.scalar,
                num_rows,
                options,
                leaf.domain,
            )
        if stats is None:
            full.add(leaf.top)
        features[leaf.path] = stats
    if full:
        real = generate_statistics(batch.select(sorted(full)), options).features
        features = {p: real[p] if s is None else s for p, s in features.items()}
    return DatasetProfile(
        num_rows=num_rows,
        options=options,
        features={p: s for p, s in features.items() if s is not None},
        skipped=tuple(skipped),
    )


class ReportProfiler(Profiler):
    """The :class:`Profiler` ``check_dataset`` runs for a request: it keeps the batches it sees
    (references, no copy) and profiles them with :func:`quick_profile` at the end."""

    def __init__(
        self, schema: Schema, environment: str | None, options: StatsOptions | None = None
    ) -> None:
        super().__init__(options or StatsOptions(threads=1))
        self._schema = schema
        self._environment = environment
        self._batches: list[pa.RecordBatch] = []

    def observe(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Yield each batch, keeping it for :meth:`profile`."""
        for batch in batches:
            self._batches.append(batch)
            yield batch

    def profile(self, source: object = None) -> DatasetProfile:
        """The profile of the batches observed, as far as the checks read it."""
        del source  # a request's rows come from no file: no reader options to record
        return quick_profile(self._batches, self._schema, self._environment, self.options)
