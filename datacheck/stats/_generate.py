"""The profile generator (a CombineFn over record batches) and ``generate_statistics``.

:class:`ProfileGenerator` runs every feature's accumulator over each batch, the whole dataset
and each slice alike. Within a batch, features are independent, so they run on a thread pool:
Arrow kernels and most numpy loops release the GIL, which lets two cores share the work.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._source import concat_tagged
from datacheck._threads import thread_count, thread_pool
from datacheck._types import NUMBER_TYPES, FeatureType, is_list_type, scalar_feature_type
from datacheck.errors import OptionError
from datacheck.io import ReaderOptions, is_file_source
from datacheck.stats._feature import Column, FeatureAccumulator, compatible, feature_columns
from datacheck.stats._options import StatsOptions
from datacheck.stats._profile import DatasetProfile, SkippedFeature

__all__ = [
    "ProfileAccumulator",
    "ProfileGenerator",
    "Profiler",
    "generate_statistics",
    "iter_batches",
    "split_slices",
]


class ProfileAccumulator:
    """Mutable, picklable state of a whole profile: rows, features, skipped columns, slices."""

    __slots__ = ("features", "num_rows", "options", "skipped", "slices", "weighted_num_rows")

    def __init__(self, options: StatsOptions) -> None:
        self.options = options
        self.num_rows = 0
        self.weighted_num_rows: float | None = 0.0 if options.weight is not None else None
        self.features: dict[str, FeatureAccumulator] = {}
        self.skipped: dict[str, SkippedFeature] = {}
        self.slices: dict[str, ProfileAccumulator] = {}

    def _skip(self, path: str, arrow_type: str, reason: str) -> None:
        self.features.pop(path, None)
        self.skipped.setdefault(
            path, SkippedFeature(path=path, arrow_type=arrow_type, reason=reason)
        )

    def feature_for(self, column: Column) -> FeatureAccumulator | None:
        """The accumulator of ``column``'s feature, made or widened as needed; None if skipped."""
        path = column.path
        if path in self.skipped:
            return None
        if column.type is None:
            self._skip(path, str(column.arrow_type), column.skip_reason or "not profiled")
            return None
        acc = self.features.get(path)
        if acc is None:
            acc = FeatureAccumulator(
                self.options,
                path=path,
                feature_type=column.type,
                arrow_type=str(column.arrow_type),
                is_list=is_list_type(column.arrow_type),
                weighted=self.options.weight is not None,
            )
            self.features[path] = acc
            return acc
        merged = compatible(acc.type, column.type)
        if merged is None:
            self._skip(
                path,
                f"{acc.arrow_type} | {column.arrow_type}",
                f"type changed between batches, from {acc.type} to {column.type}",
            )
            return None
        acc.retype(merged, str(column.arrow_type) if merged == column.type else acc.arrow_type)
        return acc

    def merge(self, other: ProfileAccumulator) -> None:
        """Fold ``other`` into this accumulator (``other`` is not changed)."""
        self.num_rows += other.num_rows
        if self.weighted_num_rows is not None and other.weighted_num_rows is not None:
            self.weighted_num_rows += other.weighted_num_rows
        for path, skipped in other.skipped.items():
            self._skip(path, skipped.arrow_type, skipped.reason)
        for path, theirs in other.features.items():
            if path in self.skipped:
                continue
            mine = self.features.get(path)
            if mine is None:
                mine = FeatureAccumulator(
                    self.options,
                    path=path,
                    feature_type=theirs.type,
                    arrow_type=theirs.arrow_type,
                    is_list=theirs.is_list,
                    weighted=theirs.weighted,
                )
                self.features[path] = mine
            elif compatible(mine.type, theirs.type) is None:
                self._skip(
                    path,
                    f"{mine.arrow_type} | {theirs.arrow_type}",
                    f"type changed between batches, from {mine.type} to {theirs.type}",
                )
                continue
            mine.merge(theirs)
        for key, theirs_slice in other.slices.items():
            mine_slice = self.slices.get(key)
            if mine_slice is None:
                mine_slice = self.slices[key] = ProfileAccumulator(self.options)
            mine_slice.merge(theirs_slice)

    def extract(self) -> DatasetProfile:
        """The profile of everything added so far."""
        return DatasetProfile(
            num_rows=self.num_rows,
            weighted_num_rows=self.weighted_num_rows,
            options=self.options,
            features={p: f.extract(self.num_rows) for p, f in self.features.items()},
            skipped=tuple(self.skipped.values()),
            slices={k: self.slices[k].extract() for k in sorted(self.slices)},
        )

    @classmethod
    def from_output(cls, profile: DatasetProfile) -> ProfileAccumulator:
        """The accumulator that :meth:`extract` turned into ``profile`` (for merging)."""
        acc = cls(profile.options)
        acc.num_rows = profile.num_rows
        acc.weighted_num_rows = profile.weighted_num_rows
        acc.features = {
            p: FeatureAccumulator.from_output(f, profile.options)
            for p, f in profile.features.items()
        }
        acc.skipped = {s.path: s for s in profile.skipped}
        acc.slices = {k: cls.from_output(s) for k, s in profile.slices.items()}
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)


def _slice_key(names: tuple[str, ...], values: tuple[Any, ...]) -> str:
    return ",".join(
        f"{name}={json.dumps(value, default=str, ensure_ascii=False)}"
        for name, value in zip(names, values, strict=True)
    )


def split_slices(
    batch: pa.RecordBatch, slice_by: tuple[str, ...]
) -> Iterator[tuple[str, pa.RecordBatch]]:
    """The batch's rows grouped by the values of the slice columns, with each group's key."""
    n = batch.num_rows
    codes = np.zeros(n, dtype=np.int64)
    for name in slice_by:
        encoded = pc.dictionary_encode(batch.column(name))
        width = len(encoded.dictionary) + 1  # one more code for null
        idx = pc.fill_null(encoded.indices, width - 1).to_numpy(zero_copy_only=False)
        # Re-densify after each column so that many slice columns cannot overflow int64.
        _, codes = np.unique(codes * width + idx, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    first_rows = pa.array(order[starts])
    key_columns = [batch.column(name).take(first_rows).to_pylist() for name in slice_by]
    ordered = batch.take(pa.array(order))
    for g, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
        key = _slice_key(slice_by, tuple(column[g] for column in key_columns))
        yield key, ordered.slice(start, size)


def _too_many_slices(options: StatsOptions) -> OptionError:
    """The error for a slice column with more than ``options.max_slices`` distinct values."""
    return OptionError(
        f"more than {options.max_slices} slices; slice by columns with fewer distinct values, "
        "or raise max_slices",
        parameter="slice_by",
        value=options.slice_by,
    )


#: what a weight column may hold: numbers proper, and booleans (a weight of 0 or 1)
_WEIGHT_TYPES = NUMBER_TYPES | {FeatureType.BOOL}


def _weights(batch: pa.RecordBatch, name: str) -> np.ndarray:
    """The weight of each row (a missing weight counts as 0)."""
    column = batch.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    weights: np.ndarray = pc.fill_null(column.cast(pa.float64()), 0.0).to_numpy(
        zero_copy_only=False
    )
    return weights


class ProfileGenerator:
    """The statistics of a dataset as a CombineFn over record batches (see StatsGenerator)."""

    def __init__(self, options: StatsOptions | None = None) -> None:
        self.options = options or StatsOptions()
        #: the thread pool used within a batch; set by generate_statistics, never pickled
        self.pool: Executor | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.options = state["options"]
        self.pool = None

    def create_accumulator(self) -> ProfileAccumulator:
        """An empty profile accumulator."""
        return ProfileAccumulator(self.options)

    def check_columns(self, batch: pa.RecordBatch) -> None:
        """Refuse a batch without the weight or a slice column, or with a non-numeric weight."""
        names = batch.schema.names
        options = self.options
        wanted = [("weight", options.weight)] if options.weight is not None else []
        wanted += [("slice_by", name) for name in options.slice_by]
        for parameter, name in wanted:
            if name not in names:
                raise OptionError(
                    f"no such column; the columns are: {', '.join(names)}",
                    parameter=parameter,
                    value=name,
                    column=name,
                )
        if options.weight is not None:
            t = batch.schema.field(options.weight).type
            if pa.types.is_dictionary(t):
                t = t.value_type
            if scalar_feature_type(t) not in _WEIGHT_TYPES:
                raise OptionError(
                    f"the column holds {t}, not numbers; choose a numeric column",
                    parameter="weight",
                    value=options.weight,
                    column=options.weight,
                )

    def check_slice_count(self, count: int) -> None:
        """Refuse more than ``options.max_slices`` slices (a slice column with a value per row
        would otherwise make one accumulator per row)."""
        if count > self.options.max_slices:
            raise _too_many_slices(self.options)

    def split(
        self, batch: pa.RecordBatch, known: Collection[str]
    ) -> list[tuple[str, pa.RecordBatch]]:
        """The batch's rows by slice, as (key, rows); none without ``slice_by``.

        Args:
            batch: The rows to split.
            known: The slice keys seen so far (by this accumulator, or this Beam worker).

        Raises:
            OptionError: The batch's new keys would bring the slices past ``max_slices``.
        """
        if not self.options.slice_by or not batch.num_rows:
            return []
        parts = list(split_slices(batch, self.options.slice_by))
        self.check_slice_count(len(known) + sum(1 for key, _ in parts if key not in known))
        return parts

    def add_input(
        self, accumulator: ProfileAccumulator, batch: pa.RecordBatch
    ) -> ProfileAccumulator:
        """Add one record batch to the profile and to the profiles of its slices."""
        for future in self.start_input(accumulator, batch):
            future.result()
        return accumulator

    def start_input(
        self, accumulator: ProfileAccumulator, batch: pa.RecordBatch
    ) -> list[Future[None]]:
        """Start adding ``batch`` on the thread pool and return the tasks' futures.

        Row counts, slices and new features are recorded before this returns; the features'
        own work runs on the pool (inline, without one). Wait for every future before the next
        call: a feature accumulator takes one batch at a time.
        """
        self.check_columns(batch)
        targets = [(accumulator, batch)]
        for key, rows in self.split(batch, accumulator.slices):
            part = accumulator.slices.get(key)
            if part is None:
                part = accumulator.slices[key] = ProfileAccumulator(self.options)
            targets.append((part, rows))
        work: list[tuple[FeatureAccumulator, Column, np.ndarray | None]] = []
        for acc, rows in targets:
            weights = None if self.options.weight is None else _weights(rows, self.options.weight)
            acc.num_rows += rows.num_rows
            if weights is not None and acc.weighted_num_rows is not None:
                acc.weighted_num_rows += float(weights.sum())
            for column in feature_columns(rows):
                feature = acc.feature_for(column)
                if feature is not None:
                    work.append((feature, column, weights))
        # Longest first (by the time each feature took on the previous batch), so that the
        # slow string columns start at once and the quick ones fill the gaps.
        work.sort(key=lambda item: -item[0].cost)
        futures: list[Future[None]] = []
        for feature, column, weights in work:
            if self.pool is None:
                done: Future[None] = Future()
                _timed_add(feature, column, weights)
                done.set_result(None)
                futures.append(done)
            else:
                futures.append(self.pool.submit(_timed_add, feature, column, weights))
        return futures

    def merge_accumulators(self, accumulators: Iterable[ProfileAccumulator]) -> ProfileAccumulator:
        """Merge into the first accumulator (the only one changed) and return it."""
        it = iter(accumulators)
        first = next(it, None)
        if first is None:
            return self.create_accumulator()
        for other in it:
            first.merge(other)
        return first

    def compact(self, accumulator: ProfileAccumulator) -> ProfileAccumulator:
        """Return the accumulator as is: its sketches already hold only their bounded state."""
        return accumulator

    def extract_output(self, accumulator: ProfileAccumulator) -> DatasetProfile:
        """The profile of everything added to ``accumulator``."""
        return accumulator.extract()


def _coalesce(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Consecutive small batches of one schema joined into batches of at least ``size`` rows.

    Readers may hand out a few thousand rows at a time (a CSV block); each batch costs every
    feature a fixed overhead, so small ones are joined first (a copy of at most ``size`` rows).
    """
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if pending and batch.schema != pending[0].schema:
            yield concat_tagged(pending)
            pending, rows = [], 0
        if not pending and batch.num_rows >= size:
            yield batch
            continue
        pending.append(batch)
        rows += batch.num_rows
        if rows >= size:
            yield pending[0] if len(pending) == 1 else concat_tagged(pending)
            pending, rows = [], 0
    if pending:
        yield pending[0] if len(pending) == 1 else concat_tagged(pending)


def iter_batches(
    source: object, batch_size: int, reader: ReaderOptions | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches of any source: Arrow objects and iterables of batches directly, the rest
    (files, globs, DataFrames, Arrow streams) through :func:`datacheck.io.read_batches` with
    the ``reader`` options; small consecutive batches are joined up to ``batch_size`` rows."""
    return _coalesce(_source_batches(source, batch_size, reader), batch_size)


def _source_batches(
    source: object, batch_size: int, reader: ReaderOptions | None
) -> Iterator[pa.RecordBatch]:
    if isinstance(source, pa.RecordBatch):
        yield source
    elif isinstance(source, pa.Table):
        yield from _table_batches(source, batch_size)
    elif (
        isinstance(source, Iterable)
        and not isinstance(source, (str, bytes, os.PathLike, list, tuple))
        and not hasattr(source, "__arrow_c_stream__")
        and not hasattr(source, "columns")
    ) or (
        isinstance(source, (list, tuple))
        and source
        and all(isinstance(b, pa.RecordBatch) for b in source)
    ):
        for batch in source:
            if isinstance(batch, pa.Table):
                yield from _table_batches(batch, batch_size)
            else:
                yield batch
    else:
        from datacheck.io import read_batches  # the reader is optional for Arrow-only callers

        yield from read_batches(source, batch_size=batch_size, options=reader)


def _table_batches(table: pa.Table, batch_size: int) -> list[pa.RecordBatch]:
    """The table's batches; one of zero rows for a table without rows (which Arrow gives as
    no batch at all), so that its columns are still profiled."""
    batches: list[pa.RecordBatch] = table.to_batches(max_chunksize=batch_size)
    return batches or [pa.RecordBatch.from_pylist([], schema=table.schema)]


def _timed_add(feature: FeatureAccumulator, column: Column, weights: np.ndarray | None) -> None:
    start = time.perf_counter()
    feature.add(column, weights)
    feature.cost = time.perf_counter() - start


def _finish(pending: list[Future[None]], rows: int, progress: Callable[[int], None] | None) -> None:
    """Wait for a batch's tasks (re-raising the first failure) and report its rows."""
    for future in pending:
        future.result()
    if progress is not None and rows:
        progress(rows)


def generate_statistics(
    source: object,
    options: StatsOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> DatasetProfile:
    """Profile a dataset: every feature's statistics, plus one profile per slice.

    Args:
        source: anything :func:`datacheck.io.read_batches` reads (paths, globs, DataFrames,
            Arrow tables and streams), or an iterable of ``pyarrow.RecordBatch``.
        options: what to compute; defaults to :class:`StatsOptions()`.
        progress: called with the number of rows of each batch once it is profiled.

    A source of zero rows (a CSV file of a header only) is data too: its profile has
    ``num_rows`` 0 and a feature per column, typed from the columns, with counts of 0.

    Raises:
        InputError: the source cannot be read.
        OptionError: the weight or a slice column is not in the data, or too many slices.
    """
    profiler = Profiler(options, progress=progress)
    options = profiler.options
    # Nothing else reads the batches: consume them (deque with no room keeps none).
    deque(profiler.observe(iter_batches(source, options.batch_size, options.reader)), maxlen=0)
    return profiler.profile(source)


class Profiler:
    """Profiles record batches while another consumer reads them: one pass, two uses.

    :meth:`observe` hands each batch on as soon as its features' work is started on the
    thread pool, so a consumer (the row checks of :func:`datacheck.validate.check_dataset`)
    works on it while it is profiled; :func:`generate_statistics` is a profiler whose
    consumer does nothing.

    Args:
        options: What to compute; defaults to :class:`StatsOptions()`.
        progress: Called with the number of rows of each batch once it is profiled.
    """

    def __init__(
        self,
        options: StatsOptions | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.options = options or StatsOptions()
        self._generator = ProfileGenerator(self.options)
        self._accumulator = self._generator.create_accumulator()
        self._progress = progress

    def observe(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Yield each batch of ``batches`` after starting its profile; finish on exhaustion."""
        generator, accumulator = self._generator, self._accumulator
        threads = thread_count(self.options.threads)
        with thread_pool(threads) as pool:
            generator.pool = pool if threads > 1 else None
            pending: list[Future[None]] = []
            rows = 0
            try:
                # The next batch is read while the pool still works on the previous one.
                for batch in batches:
                    _finish(pending, rows, self._progress)
                    pending, rows = generator.start_input(accumulator, batch), batch.num_rows
                    yield batch
                _finish(pending, rows, self._progress)
            finally:
                generator.pool = None

    def profile(self, source: object = None) -> DatasetProfile:
        """The profile of every batch observed (``num_rows`` 0 when no batch held a row).

        Args:
            source: What the batches were read from (a file's reader options are recorded).
        """
        profile = self._generator.extract_output(self._accumulator)
        # Files were read with these options (the defaults unless given): recorded, so that a
        # schema inferred from the profile reads later data the same way.
        if is_file_source(source):
            profile = replace(profile, reader=self.options.reader or ReaderOptions())
        return profile
