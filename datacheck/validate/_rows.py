"""Row-level validation: every row checked against the schema, split into valid and quarantined.

Checks run on whole columns with ``pyarrow.compute`` and numpy: type (a value that cannot be
read as the schema's type; a timestamp in another time zone than the schema's, which no
comparison could place right), required value present, domain (string values, int and float
ranges, NaN and infinities), string length in characters, and values per row of list
features; then the schema's row checks over several columns (``_rowchecks.py``). A list
feature's per-value failures are folded onto their rows with the list parent indices, never
by a Python loop.

A quarantined row keeps all its original columns and gains :data:`REASONS_COLUMN`, a
``list<struct<code: string, feature: string>>`` with one entry per failed check, then its
source (:data:`SOURCE_COLUMNS`: the file and the row number within it, see
``datacheck._source``). That type round-trips through Parquet and JSON Lines. Valid rows plus
quarantined rows are always the input rows: nothing is dropped.

A column the schema expects but the data lacks altogether is a dataset-level anomaly
(``SCHEMA_MISSING_COLUMN``, from the profile); its rows are quarantined for it only when the
caller asks (``strict_columns``), since every row would fail and the quarantine would say
nothing about any one of them.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import decimal_to_float, list_values, resolve_path
from datacheck._source import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, source_columns, untagged
from datacheck._threads import pool_map, thread_count, thread_pool
from datacheck._timebounds import bound_value
from datacheck._types import NUMBER_TYPES, FeatureType, feature_type_of, same_time_zone
from datacheck.errors import InputError, OptionError, require, wrong_argument
from datacheck.schema import (
    Feature,
    FloatDomain,
    IntDomain,
    Schema,
    StringDomain,
    StringLength,
    TimeDomain,
)
from datacheck.validate._codes import AnomalyCode
from datacheck.validate._environments import check_environment
from datacheck.validate._pattern import domain_matches, mismatches, mismatches_outside

__all__ = [
    "REASONS_COLUMN",
    "REASONS_TYPE",
    "SOURCE_COLUMNS",
    "SOURCE_FILE_COLUMN",
    "SOURCE_ROW_COLUMN",
    "CheckedBatch",
    "validate_batches",
]

#: the column a quarantined row gains: why it failed
REASONS_COLUMN = "datacheck_reasons"
#: its Arrow type: one (code, feature) entry per failed check
REASONS_TYPE = pa.list_(pa.struct([("code", pa.string()), ("feature", pa.string())]))

#: the columns a quarantined row gains after :data:`REASONS_COLUMN`: its file (null for data
#: not read from a file) and its row number there (from 0, a CSV's header not counted; for
#: other data, its position in the input)
SOURCE_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)

#: rows per unit of work: small batches are checked in groups, large ones in slices, this size
_UNIT_ROWS = 262_144

_INT_TEXT = r"^\s*[+-]?\d+\s*$"
_FLOAT_TEXT = r"(?i)^\s*[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf|infinity|nan)\s*$"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedBatch:
    """One input batch, split: the rows that pass every check, and the others with reasons."""

    #: the input batch, as given
    batch: pa.RecordBatch
    #: rows that failed, with the input's columns plus :data:`REASONS_COLUMN`
    quarantined: pa.RecordBatch
    #: the positions of the quarantined rows in ``batch``, ascending
    quarantined_rows: npt.NDArray[np.int64]
    #: the thread pool of the validate_batches call that checked the batch; :attr:`valid`
    #: copies on it while that call runs (and on the caller's thread once it has returned)
    _pool: Executor | None = field(default=None, repr=False, compare=False)
    #: the unique keys (named as in reasons) whose uniqueness was not checked on this batch's
    #: rows: more distinct keys than ``max_keys`` came before (see ``_keys.py``)
    unchecked_keys: tuple[str, ...] = ()

    def __getstate__(self) -> tuple[Any, ...]:
        # A pool does not pickle; a copy made elsewhere has no use for it.
        return self.batch, self.quarantined, self.quarantined_rows, self.unchecked_keys

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        names = ("batch", "quarantined", "quarantined_rows", "unchecked_keys")
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_pool", None)

    @property
    def valid(self) -> pa.RecordBatch:
        """The rows that passed, with the input's columns.

        Built on access: the input batch itself when every row passed, else a copy without
        the quarantined rows. A caller that wants only the failures never pays for the copy.
        """
        if self.quarantined_rows.size == 0:
            return self.batch
        keep = np.ones(self.batch.num_rows, dtype=np.bool_)
        keep[self.quarantined_rows] = False
        mask = pa.array(keep)
        # The copy is the cost of a split; the columns are copied on the threads.
        columns = pool_map(self._pool, pc.filter, self.batch.columns, repeat(mask))
        return pa.RecordBatch.from_arrays(columns, schema=self.batch.schema)


class _Failures:
    """The failed checks of some rows: the failing rows of each (code, feature).

    Checks hand in Arrow boolean arrays; a cheap ``any`` on the bitmap comes first, so that
    clean data never pays for finding the failing rows.
    """

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.features: list[str] = []
        self.rows: list[npt.NDArray[np.int64]] = []

    def add(
        self,
        code: AnomalyCode,
        feature: str,
        failed: pa.Array | pa.ChunkedArray,
        parents: npt.NDArray[np.int64] | None = None,
    ) -> None:
        """Record the rows where ``failed`` is true; ``parents`` maps list values to rows."""
        if not pc.any(failed).as_py():
            return
        where = pc.indices_nonzero(failed).to_numpy().astype(np.int64)  # a null is no failure
        if parents is not None:
            where = np.unique(parents[where])
        self.codes.append(str(code))
        self.features.append(feature)
        self.rows.append(where)

    def found(self) -> _Found:
        """The failing rows, sorted, and each one's reasons (one entry per failed check, in
        check order)."""
        if not self.rows:
            return _Found(rows=np.empty(0, dtype=np.int64), reasons=_NO_REASONS)
        rows = np.concatenate(self.rows)
        bad = np.unique(rows)
        checks = np.repeat(np.arange(len(self.rows), dtype=np.int32), [r.size for r in self.rows])
        order = np.lexsort((checks, rows))  # by row, then in check order
        position = np.searchsorted(bad, rows[order])
        offsets = np.zeros(bad.size + 1, dtype=np.int32)
        np.cumsum(np.bincount(position, minlength=bad.size), out=offsets[1:])
        take = pa.array(checks[order], type=pa.int32())
        entries = pa.StructArray.from_arrays(
            [
                pa.array(self.codes, pa.string()).take(take),
                pa.array(self.features, pa.string()).take(take),
            ],
            fields=list(REASONS_TYPE.value_type),
        )
        reasons = pa.ListArray.from_arrays(pa.array(offsets), entries, type=REASONS_TYPE)
        return _Found(rows=bad, reasons=reasons)


@dataclass(frozen=True, slots=True)
class _Found:
    """The rows that failed some check, ascending, and :data:`REASONS_TYPE` reasons for each."""

    rows: npt.NDArray[np.int64]
    reasons: pa.Array


# pa.nulls, not pa.array([]): pa.array looks for pandas objects, importing pandas (~0.3 s).
_NO_REASONS = pa.nulls(0, type=REASONS_TYPE)


def _coerce(
    values: pa.Array, expected: FeatureType
) -> tuple[pa.Array | None, pa.Array | None, AnomalyCode]:
    """The values read as the expected type (None if impossible), the unreadable ones, a code.

    Numbers may arrive as text (a CSV column with one bad cell is read as text: the readable
    cells pass, the others fail), ints as floats and the other way round, booleans as text or
    0/1. Any other type change fails every present value, as validate_statistics reports it.
    """
    actual = feature_type_of(values.type)
    wrong = AnomalyCode.UNEXPECTED_DATA_TYPE
    if pa.types.is_dictionary(values.type):
        if actual is FeatureType.STRING and expected is FeatureType.STRING:
            return values, None, wrong  # the string domain is checked on the dictionary
        # Other checks compare values, not dictionary indices (a cast decodes chunked arrays
        # too, which have no dictionary_decode).
        values = values.cast(values.type.value_type)
    if actual is FeatureType.DECIMAL and expected in (FeatureType.FLOAT, FeatureType.DECIMAL):
        return decimal_to_float(values), None, wrong
    if actual == expected or actual is FeatureType.NULL:
        return values, None, wrong
    present = pc.is_valid(values)
    if expected is FeatureType.BYTES and actual is FeatureType.STRING:
        return pc.cast(values, pa.binary()), None, wrong
    if expected in NUMBER_TYPES and actual is FeatureType.STRING:
        pattern = _INT_TEXT if expected is FeatureType.INT else _FLOAT_TEXT
        ok = pc.match_substring_regex(values, pattern)
        # An empty cell is how a text column says "missing", not a value of the wrong type.
        blank = pc.match_substring_regex(values, r"^\s*$")
        text = pc.utf8_trim_whitespace(pc.if_else(ok, values, pa.scalar(None, values.type)))
        target = pa.int64() if expected is FeatureType.INT else pa.float64()
        return pc.cast(text, target), pc.and_not(pc.and_not(present, ok), blank), wrong
    if expected is FeatureType.INT and actual in (FeatureType.FLOAT, FeatureType.DECIMAL):
        as_float = pc.cast(values, pa.float64())
        integral = pc.and_(pc.is_finite(as_float), pc.equal(pc.floor(as_float), as_float))
        kept = pc.if_else(integral, as_float, pa.scalar(None, pa.float64()))
        return pc.cast(kept, pa.int64()), pc.and_not(present, integral), wrong
    if expected in (FeatureType.FLOAT, FeatureType.DECIMAL) and actual in NUMBER_TYPES:
        return pc.cast(values, pa.float64()), None, wrong
    if expected is FeatureType.BOOL and actual in (
        FeatureType.STRING,
        FeatureType.INT,
        FeatureType.FLOAT,
    ):
        if actual is FeatureType.STRING:
            lowered = pc.utf8_lower(pc.utf8_trim_whitespace(values))
            ok = pc.is_in(lowered, pa.array(["true", "false", "1", "0"]))
            code = AnomalyCode.BOOL_TYPE_UNEXPECTED_STRING
            truth = pc.is_in(lowered, pa.array(["true", "1"]))
        else:
            ok = pc.is_in(pc.cast(values, pa.float64()), pa.array([0.0, 1.0]))
            code = (
                AnomalyCode.BOOL_TYPE_UNEXPECTED_INT
                if actual is FeatureType.INT
                else AnomalyCode.BOOL_TYPE_UNEXPECTED_FLOAT
            )
            truth = pc.equal(pc.cast(values, pa.float64()), 1.0)
        kept = pc.if_else(ok, truth, pa.scalar(None, pa.bool_()))
        return kept, pc.and_not(present, ok), code
    return None, present, wrong


def _zone_changed(feature: Feature, values: pa.Array) -> bool:
    """Whether the values are timestamps in another zone than the schema's (naive against
    zoned, or two zones): every present value then fails, as validate_statistics reports it.
    A unit alone that changed fails nothing: Arrow compares values across units."""
    t = values.type
    if feature.time is None or feature.type is not FeatureType.TIMESTAMP:
        return False
    return pa.types.is_timestamp(t) and not same_time_zone(t.tz, feature.time.zone)


def _compare(op: Any, values: pa.Array, bound: float) -> pa.Array:
    """``op(values, bound)``; a bound beyond int64 is compared in decimal (Arrow takes no
    Python int outside int64)."""
    if isinstance(bound, int) and not -(2**63) <= bound < 2**63:
        # Compared exactly in decimal: a float64 cast refuses ints past 2**53. Any bound beyond
        # int64 orders like the nearest integer just outside it.
        edge = max(-(2**63) - 1, min(bound, 2**63))
        exact = pa.decimal128(20, 0)
        return op(pc.cast(values, exact), pa.scalar(Decimal(edge), exact))
    return op(values, bound)


def _check_time_range(
    f: Feature, d: TimeDomain, values: pa.Array | pa.ChunkedArray
) -> Iterator[tuple[AnomalyCode, pa.Array | pa.ChunkedArray]]:
    """(code, per-value failure) for dates or timestamps outside ``d``, compared as the
    integers Arrow stores, with each bound in the values' own unit (``datacheck._timebounds``)."""
    t = values.type
    if not (pa.types.is_date(t) or pa.types.is_timestamp(t)):
        return  # another type is UNEXPECTED_DATA_TYPE's
    stored = pc.cast(values, pa.int32() if pa.types.is_date32(t) else pa.int64())
    if d.min is not None:
        low = bound_value(d.min, f.type, t, "min")
        yield AnomalyCode.TIME_TYPE_EARLY_TIME, _compare(pc.less, stored, low)
    if d.max is not None:
        high = bound_value(d.max, f.type, t, "max")
        yield AnomalyCode.TIME_TYPE_LATE_TIME, _compare(pc.greater, stored, high)


class _Check(Protocol):
    """A feature's checks (:class:`_Plan`) or a row check (``_rowchecks.RowCheckPlan``)."""

    def check(self, batch: pa.Table, failures: _Failures) -> None: ...


class _Plan:
    """One feature's checks, with what can be built once for every batch (the value set)."""

    __slots__ = ("domain_matches", "feature", "value_sets")

    def __init__(self, feature: Feature) -> None:
        self.feature = feature
        #: the string domain as an Arrow array, per Arrow string type met (built on first use)
        self.value_sets: dict[pa.DataType, pa.Array] = {}
        #: every value of the string domain matches the pattern: only outside values need it
        self.domain_matches = domain_matches(feature)

    def allowed(self, values_type: pa.DataType) -> pa.Array:
        """The string domain's values as an array of ``values_type`` (cached; thread-safe as
        a dict assignment of equal values)."""
        found = self.value_sets.get(values_type)
        if found is None:
            assert isinstance(self.feature.domain, StringDomain)
            found = pa.array(self.feature.domain.values, type=values_type)
            self.value_sets[values_type] = found
        return found

    def check(self, batch: pa.Table, failures: _Failures) -> None:
        """Add this feature's failures on ``batch`` to ``failures``."""
        f = self.feature
        column = resolve_path(batch, f.name)
        if column is None:
            return  # a missing column is the dataset's anomaly (_MissingColumns when strict)
        if f.presence.required and column.null_count:
            failures.add(AnomalyCode.FEATURE_TYPE_NOT_PRESENT, f.name, pc.is_null(column))
        # Dictionary-encoded values (pandas categoricals, Parquet dictionaries) stay encoded
        # here; _coerce decodes them where a check needs the values themselves.
        values, parents = list_values(column, rows=True)
        lengths = None if parents is None else pc.list_value_length(column)
        coerced, unreadable, code = _coerce(values, f.type)
        if unreadable is not None:
            failures.add(code, f.name, unreadable, parents)
        if _zone_changed(f, values):
            failures.add(
                AnomalyCode.TIMESTAMP_TIME_ZONE_CHANGED, f.name, pc.is_valid(values), parents
            )
        if f.value_count is not None:
            counts = lengths if lengths is not None else pc.if_else(pc.is_valid(column), 1, None)
            if f.value_count.min is not None:
                low = pc.less(counts, f.value_count.min)
                failures.add(AnomalyCode.FEATURE_TYPE_LOW_NUMBER_VALUES, f.name, low)
            if f.value_count.max is not None:
                high = pc.greater(counts, f.value_count.max)
                failures.add(AnomalyCode.FEATURE_TYPE_HIGH_NUMBER_VALUES, f.name, high)
        if coerced is None or pa.types.is_null(coerced.type):
            # A null-typed column (an all-empty CSV column) holds no value a domain could reject.
            return
        # Values outside the string domain, when the pattern needs them too (computed once).
        outside = self._outside(coerced) if self.domain_matches else None
        if f.domain is not None:
            for domain_code, failed in self._check_domain(coerced, outside):
                failures.add(domain_code, f.name, failed, parents)
        if f.string_length is not None and feature_type_of(coerced.type) is FeatureType.STRING:
            for length_code, failed in _check_length(f.string_length, coerced):
                failures.add(length_code, f.name, failed, parents)
        if f.pattern is not None and feature_type_of(coerced.type) is FeatureType.STRING:
            failed = (
                _per_value(coerced, partial(mismatches, regex=f.pattern.regex))
                if outside is None
                else mismatches_outside(coerced, f.pattern.regex, outside)
            )
            failures.add(AnomalyCode.STRING_PATTERN_MISMATCH, f.name, failed, parents)

    def _check_domain(
        self, values: pa.Array, outside: pa.Array | pa.ChunkedArray | None = None
    ) -> Iterator[tuple[AnomalyCode, pa.Array]]:
        """(code, per-value failure) for each domain check on already coerced values
        (``outside``: the string domain's failures, when already computed)."""
        d = self.feature.domain
        if isinstance(d, StringDomain):
            outside = self._outside(values) if outside is None else outside
            yield AnomalyCode.ENUM_TYPE_UNEXPECTED_STRING_VALUES, outside
        elif isinstance(d, IntDomain):
            if d.min is not None:
                yield AnomalyCode.INT_TYPE_SMALL_INT, _compare(pc.less, values, d.min)
            if d.max is not None:
                yield AnomalyCode.INT_TYPE_BIG_INT, _compare(pc.greater, values, d.max)
        elif isinstance(d, FloatDomain):
            if d.min is not None:
                yield AnomalyCode.FLOAT_TYPE_SMALL_FLOAT, pc.less(values, d.min)
            if d.max is not None:
                yield AnomalyCode.FLOAT_TYPE_BIG_FLOAT, pc.greater(values, d.max)
            if pa.types.is_floating(values.type):
                if d.disallow_nan:
                    yield AnomalyCode.FLOAT_TYPE_HAS_NAN, pc.is_nan(values)
                if d.disallow_inf:
                    yield AnomalyCode.FLOAT_TYPE_HAS_INF, pc.is_inf(values)
        elif isinstance(d, TimeDomain):
            yield from _check_time_range(self.feature, d, values)

    def _outside(self, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """True where a present value is not in the string domain."""

        def outside(strings: pa.Array) -> pa.Array:
            # is_in says False for a null; a missing value is the presence check's business.
            allowed = self.allowed(strings.type)
            return pc.and_not(pc.is_valid(strings), pc.is_in(strings, allowed))

        return _per_value(values, outside)


@dataclass(frozen=True, slots=True)
class _MissingColumns:
    """``strict_columns``: every row fails ``SCHEMA_MISSING_COLUMN`` for each feature whose
    column the data lacks while the schema expects it (a presence above zero: what
    :func:`validate_statistics` reports as ``SCHEMA_MISSING_COLUMN``)."""

    features: tuple[Feature, ...]

    def check(self, batch: pa.Table, failures: _Failures) -> None:
        """Add the missing required columns' failures on ``batch`` to ``failures``."""
        n = batch.num_rows
        for f in self.features:
            expected = f.presence.min_fraction > 0 or f.presence.min_count > 0
            if expected and resolve_path(batch, f.name) is None:
                everything = pa.repeat(True, n) if n else pa.array([], pa.bool_())
                failures.add(AnomalyCode.SCHEMA_MISSING_COLUMN, f.name, everything)


def _per_value(
    values: pa.Array | pa.ChunkedArray, test: Callable[[pa.Array], pa.Array]
) -> pa.Array | pa.ChunkedArray:
    """``test`` (a per-value boolean check) applied to plain or dictionary-encoded values.

    A dictionary-encoded column (a Parquet dictionary, a pandas categorical) is tested once
    per dictionary entry, then spread over the rows by its indices; a null index (a missing
    value) gives null, which is no failure.
    """
    if isinstance(values, pa.ChunkedArray) and pa.types.is_dictionary(values.type):
        # Each chunk has its own dictionary.
        return pa.chunked_array([_per_value(c, test) for c in values.chunks], type=pa.bool_())
    if pa.types.is_dictionary(values.type):
        return pc.take(test(values.dictionary), values.indices)
    return test(values)


def _check_length(
    bounds: StringLength, values: pa.Array | pa.ChunkedArray
) -> Iterator[tuple[AnomalyCode, pa.Array | pa.ChunkedArray]]:
    """(code, per-value failure) for a string length in characters out of ``bounds``.

    A value of ``b`` bytes has between ``ceil(b / 4)`` and ``b`` characters (UTF-8 takes 1 to
    4 bytes a character), so the byte length, which Arrow reads off the offsets, clears most
    values with one comparison; characters are counted only for the others.
    """
    lo, hi = bounds.min, bounds.max
    if lo is not None and lo > 0:
        # Fewer than lo characters needs at most 4 * (lo - 1) bytes.
        yield (
            AnomalyCode.STRING_TYPE_SHORT_STRING,
            _per_value(
                values,
                partial(
                    _by_length,
                    maybe=lambda b: pc.less_equal(b, 4 * (lo - 1)),
                    fails=lambda chars: pc.less(chars, lo),
                ),
            ),
        )
    if hi is not None:
        # More than hi characters needs more than hi bytes.
        yield (
            AnomalyCode.STRING_TYPE_LONG_STRING,
            _per_value(
                values,
                partial(
                    _by_length,
                    maybe=lambda b: pc.greater(b, hi),
                    fails=lambda chars: pc.greater(chars, hi),
                ),
            ),
        )


def _by_length(
    strings: pa.Array | pa.ChunkedArray,
    *,
    maybe: Callable[[pa.Array], pa.Array],
    fails: Callable[[pa.Array], pa.Array],
) -> pa.Array | pa.ChunkedArray:
    """``fails`` of the character counts, counted only where ``maybe`` of the byte lengths
    holds (false elsewhere)."""
    candidates = maybe(pc.binary_length(strings))
    if not pc.any(candidates).as_py():
        return candidates
    # (Not replace_with_mask: pyarrow 25 gets it wrong on a sliced boolean array.)
    where = pc.indices_nonzero(candidates)
    failed = fails(pc.utf8_length(pc.filter(strings, candidates))).to_numpy(zero_copy_only=False)
    out = np.zeros(len(strings), dtype=np.bool_)
    out[where.to_numpy()[failed]] = True
    return pa.array(out)


def validate_batches(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
    max_keys: int | None = None,
) -> Iterator[CheckedBatch]:
    """Check every row of every batch against the schema.

    Checks the active features expected in ``environment``: type, required value present,
    domain, range, values per row; then the schema's row checks (row expressions and custom
    checks; a failing row's reason names the check). Columns the schema does not know are
    carried along unchecked (dataset-level validation reports them as SCHEMA_NEW_COLUMN).

    Args:
        batches: record batches, e.g. from :func:`datacheck.io.read_batches`.
        schema: the schema to check against.
        environment: check only the features expected in this environment.
        strict_columns: also quarantine every row for each feature the schema expects
            (presence above zero) whose column the data lacks (``SCHEMA_MISSING_COLUMN``); by
            default a missing column is only the dataset-level anomaly that
            :func:`validate_statistics` reports.
        max_keys: the most distinct keys each of the schema's unique keys holds (16 bytes
            each; None: 10 million); past it, later batches name the key in
            :attr:`CheckedBatch.unchecked_keys` instead of checking it.

    Yields:
        One :class:`CheckedBatch` per input batch; its valid and quarantined rows together are
        the batch's rows.

    Raises:
        OptionError: the input already has a column named :data:`REASONS_COLUMN` (say, a
            quarantine file validated again), or the environment is not in the schema.
        ArgumentTypeError: ``schema`` is not a :class:`Schema`, or ``batches`` is a path or a
            single table rather than batches (a TypeError; raised at the call, not at the
            first batch).
        RowCheckError: a custom check is not registered (at the call), or one raises or
            returns a bad mask (at its batch).
    """
    require(
        schema,
        Schema,
        function="validate_batches",
        parameter="schema",
        needs="a Schema (load_schema reads one, infer_schema makes one)",
    )
    if isinstance(batches, str | os.PathLike | pa.Table | pa.RecordBatch) or not isinstance(
        batches, Iterable
    ):
        raise wrong_argument(
            batches,
            function="validate_batches",
            parameter="batches",
            needs="an iterable of record batches (read_batches(source) gives them)",
        )
    check_environment(schema, environment)
    # Imported here: the row checks build on this module. Built now, so that an unregistered
    # custom check fails at the call, before any data.
    from datacheck.validate._rowchecks import row_check_plans

    checks: tuple[_Check, ...] = row_check_plans(schema, environment)
    if strict_columns:
        checks = (_MissingColumns(schema.features_in(environment)), *checks)
    return _validate(batches, schema, environment, checks, max_keys=max_keys)


def _validate(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    environment: str | None,
    row_checks: tuple[_Check, ...] = (),
    *,
    max_keys: int | None = None,
) -> Iterator[CheckedBatch]:
    # Imported here: the key checks build on this module.
    from datacheck.validate._keys import DEFAULT_MAX_KEYS, KeyChecks

    keys = KeyChecks(schema, environment, DEFAULT_MAX_KEYS if max_keys is None else max_keys)
    threads = thread_count()
    # The pool lives as long as this call: closing the generator, or exhausting it, joins
    # its threads.
    with thread_pool(threads) as pool:
        offset = 0  # where the next batch starts in the input
        features = schema.features_in(environment)
        for checked in _split(batches, features, pool, threads, row_checks):
            if keys.trackers:  # in input order: the first row with a key stays valid
                checked = keys.apply(checked)
            yield _with_source(checked, offset)
            offset += checked.batch.num_rows


def _with_source(checked: CheckedBatch, offset: int) -> CheckedBatch:
    """``checked`` with each quarantined row's file and row number (see datacheck._source)."""
    batch, quarantined = checked.batch, checked.quarantined
    for name in SOURCE_COLUMNS:
        if name in batch.schema.names:
            raise OptionError(
                f"the input already has a column {name!r} (a quarantine file?); "
                "drop or rename it before validating"
            )
    files, rows = source_columns(batch, checked.quarantined_rows, offset)
    quarantined = untagged(quarantined)
    quarantined = quarantined.append_column(pa.field(SOURCE_FILE_COLUMN, pa.string()), files)
    quarantined = quarantined.append_column(pa.field(SOURCE_ROW_COLUMN, pa.int64()), rows)
    return replace(checked, quarantined=quarantined)


@dataclass(frozen=True, slots=True)
class _Piece:
    """The outcome of one piece of a unit (a batch, or a slice of one): its failing rows
    (ascending, numbered from the piece's first) and those rows with their reasons."""

    num_rows: int
    rows: npt.NDArray[np.int64]
    quarantined: pa.RecordBatch | None


def _split(
    batches: Iterable[pa.RecordBatch],
    features: tuple[Feature, ...],
    pool: Executor,
    threads: int,
    row_checks: tuple[_Check, ...] = (),
) -> Iterator[CheckedBatch]:
    """Check the batches on the pool, a few units in flight, and yield them in input order.

    The unit of work is about :data:`_UNIT_ROWS` consecutive rows checked against every
    feature: small batches are grouped into one table of chunks (no copy), a large batch is
    sliced. Units that size keep the threads in Arrow's kernels (which release the GIL) rather
    than queueing for it or rebuilding a domain's hash table per small batch, and a large
    batch still spreads over every core. The worker also copies out each piece's failing
    rows, so the quarantine is built in parallel too.
    """
    plans: tuple[_Check, ...] = (*(_Plan(f) for f in features), *row_checks)
    in_flight = 2 * threads  # enough queued work to keep every thread busy
    waiting: deque[tuple[pa.RecordBatch, int]] = deque()  # batches not yet yielded; pieces
    units: deque[tuple[Future[list[_Piece]], int]] = deque()  # submitted units; pieces
    done: deque[_Piece] = deque()  # outcomes of pieces of units already collected, in order
    group: list[pa.RecordBatch] = []  # pieces not yet submitted, in order
    grouped = 0  # rows in ``group``
    seen: pa.Schema | None = None  # the last batch's schema, checked for repeated names

    def submit() -> None:
        nonlocal grouped
        if group:
            units.append((pool.submit(_check_pieces, plans, list(group)), len(group)))
            group.clear()
            grouped = 0

    def ready() -> bool:
        """Whether the first waiting batch's checks are all done (so yielding it won't block)."""
        needed = waiting[0][1] - len(done)
        for task, count in units:
            if needed <= 0:
                break
            if not task.done():
                return False
            needed -= count
        return needed <= 0

    def finish() -> CheckedBatch:
        batch, count = waiting.popleft()
        while len(done) < count:
            if not units:
                submit()  # the batch's last rows are still grouped
            done.extend(units.popleft()[0].result())
        return _checked(batch, [done.popleft() for _ in range(count)], pool)

    for batch in batches:
        if REASONS_COLUMN in batch.schema.names:
            # The batches before it are yielded first, as they would be one at a time.
            while waiting:
                yield finish()
            raise OptionError(
                f"the input already has a column {REASONS_COLUMN!r} (a quarantine file?); "
                "drop or rename it before validating"
            )
        if seen is None or not seen.equals(batch.schema):
            _refuse_repeated_columns(batch.schema)
            seen = batch.schema
        if group and not group[0].schema.equals(batch.schema):
            submit()
        pieces = 0
        taken = 0
        while taken < batch.num_rows or (pieces == 0):
            piece = batch.slice(taken, _UNIT_ROWS - grouped)
            group.append(piece)
            pieces += 1
            grouped += piece.num_rows
            taken += piece.num_rows
            if grouped >= _UNIT_ROWS:
                submit()
        waiting.append((batch, pieces))
        while waiting and (len(units) > in_flight or ready()):
            yield finish()
    submit()
    while waiting:
        yield finish()


def _refuse_repeated_columns(schema: pa.Schema) -> None:
    """A column name that appears twice cannot be checked: which one is the feature?"""
    names = schema.names
    if len(set(names)) < len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise InputError(
            f"column {repeated!r} appears {names.count(repeated)} times in the data; "
            "rename one of them",
            column=repeated,
        )


def _check_pieces(plans: tuple[_Check, ...], pieces: list[pa.RecordBatch]) -> list[_Piece]:
    """Every feature's checks on the pieces, as one table; each piece's outcome."""
    table = pa.Table.from_batches(pieces)
    failures = _Failures()
    for plan in plans:
        plan.check(table, failures)
    found = failures.found()
    out = []
    start = 0
    for piece in pieces:
        stop = start + piece.num_rows
        lo, hi = np.searchsorted(found.rows, [start, stop])
        rows = found.rows[lo:hi] - start
        quarantined = None
        if rows.size:
            quarantined = piece.take(pa.array(rows)).append_column(
                pa.field(REASONS_COLUMN, REASONS_TYPE), found.reasons.slice(lo, hi - lo)
            )
        out.append(_Piece(num_rows=piece.num_rows, rows=rows, quarantined=quarantined))
        start = stop
    return out


def _checked(batch: pa.RecordBatch, pieces: list[_Piece], pool: Executor) -> CheckedBatch:
    """The batch split by the outcomes of its pieces."""
    failing = [p for p in pieces if p.quarantined is not None]
    if not failing:
        # The common case: nothing to copy.
        empty = batch.slice(0, 0).append_column(pa.field(REASONS_COLUMN, REASONS_TYPE), _NO_REASONS)
        return CheckedBatch(
            batch=batch, quarantined=empty, quarantined_rows=np.empty(0, dtype=np.int64), _pool=pool
        )
    if len(pieces) == 1:
        only = pieces[0]
        assert only.quarantined is not None
        return CheckedBatch(
            batch=batch, quarantined=only.quarantined, quarantined_rows=only.rows, _pool=pool
        )
    starts = np.cumsum([0, *(p.num_rows for p in pieces)])
    rows = np.concatenate([p.rows + start for p, start in zip(pieces, starts, strict=False)])
    quarantined = pa.concat_batches([p.quarantined for p in failing])
    return CheckedBatch(batch=batch, quarantined=quarantined, quarantined_rows=rows, _pool=pool)
