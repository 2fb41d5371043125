"""Profile and validate on Dask: a task per partition, accumulators merged in a tree.

The graph of :func:`profile_dask`::

    partition 0 ─► profile_partition ─► bytes ─┐
    partition 1 ─► profile_partition ─► bytes ─┼─► merge (split_every at a time) ─► ... ─► bytes
    ...                                        ┘
                                                                    client: profile_from(bytes)

A partition is a pandas partition of a Dask DataFrame (read by Dask's own readers, e.g.
``dd.read_parquet``), or one file read on a worker by :func:`datacheck.io.read_batches`.
The merge tree keeps the partitions' order, so the profile is the one ``generate_statistics``
gives on the same batches (counts exactly, sketches within their bounds), and one input in the
same partitions gives the same bytes on every run.

Unique keys span partitions: each partition's key hashes and row positions are shuffled by
hash into buckets (a task graph: every key lands in one bucket), each bucket keeps every
position of a key but its first,
and only those positions come back, to be quarantined by their partition's check (see
``datacheck._partition``). Rows read from no file are numbered by their position in the whole
input (the partitions' lengths summed before them), as in memory.

A worker that dies is Dask's to recover: the scheduler reruns its tasks elsewhere (a task is a
pure function of its partition). When Dask gives up (a task killed its worker
``distributed.scheduler.allowed-failures`` times), the run fails with one
:class:`~datacheck.errors.DatacheckError`; it never returns a partial profile.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
from dask.delayed import delayed
from distributed import Client, LocalCluster
from distributed.scheduler import KilledWorker

from datacheck._partition import (
    KEY_ROWS,
    CheckPlan,
    Duplicates,
    PartitionCheck,
    active_keys,
    check_partition,
    check_rows,
    duplicates_by_partition,
    empty_accumulator,
    key_rows,
    later_occurrences,
    merge_serialized,
    profile_from,
    profile_partition,
    renumbered,
)
from datacheck.errors import DatacheckError, OptionError
from datacheck.io import (
    ReaderOptions,
    empty_batch,
    expand_files,
    is_file_source,
    read_batches,
)
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, as_profile
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    CheckedBatch,
    DatasetCheck,
    ValidationOptions,
    check_environment,
)

__all__ = [
    "DaskValidation",
    "check_dataset_on_dask",
    "dask_client",
    "profile_dask",
    "validate_dask",
]

#: accumulators merged per task in the reduction tree
_SPLIT_EVERY = 8


@contextmanager
def dask_client(address: str | None = None, *, workers: int = 2) -> Iterator[Client]:
    """A ``dask.distributed`` client: to the scheduler at ``address``, or to a new
    ``LocalCluster`` of ``workers`` worker processes (one thread each) that is closed on exit.

    Raises:
        DatacheckError: The scheduler at ``address`` cannot be reached.
    """
    if address is not None:
        try:
            client = Client(address, timeout="20s")
        except OSError as error:
            raise DatacheckError(
                f"cannot reach the Dask scheduler: {error}", parameter="address", value=address
            ) from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        # A free port for the scheduler's HTTP endpoints (metrics, health; the dashboard too
        # where bokeh is installed): with none named, it takes 8787, which another cluster on
        # this machine may hold (a warning, then another port).
        dashboard_address="127.0.0.1:0",
        silence_logs=50,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _frame_batches(frame: pd.DataFrame, batch_size: int) -> Iterator[pa.RecordBatch]:
    # The conversion generate_statistics uses for a pandas DataFrame.
    return read_batches(frame, batch_size=batch_size)


def _file_batches(path: str, options: StatsOptions) -> Iterator[pa.RecordBatch]:
    return read_batches(path, batch_size=options.batch_size, options=options.reader)


def _partitions(data: object, options: StatsOptions) -> list[tuple[Any, bool]]:
    """(delayed partition, is a file path) for a Dask DataFrame or files."""
    if isinstance(data, dd.DataFrame):
        return [(part, False) for part in data.to_delayed()]
    if is_file_source(data):
        sources = [data] if isinstance(data, str | os.PathLike) else list(data)  # type: ignore[call-overload]
        fmt = options.reader.format if options.reader is not None else None
        files = [f for source in sources for f in expand_files(source, fmt)]
        return [(f, True) for f in files]
    raise OptionError(
        "Dask profiles a dask DataFrame, or files (a path, directory or glob, or a list)",
        parameter="data",
        value=type(data).__name__,
    )


def _profile_part(part: Any, is_file: bool, options: StatsOptions) -> bytes:
    if is_file:
        return profile_partition(_file_batches(part, options), options)
    return profile_partition(_frame_batches(part, options.batch_size), options)


def _merge_many(parts: Sequence[bytes], options: StatsOptions) -> bytes:
    merged = parts[0]
    for other in parts[1:]:
        merged = merge_serialized(merged, other, options)
    return merged


def _tree(accumulators: list[Any], options: StatsOptions, split_every: int) -> Any:
    """One delayed accumulator: ``accumulators`` merged in groups, in order, level by level."""
    if not accumulators:
        return delayed(empty_accumulator)(options)
    while len(accumulators) > 1:
        accumulators = [
            delayed(_merge_many, pure=True)(accumulators[i : i + split_every], options)
            for i in range(0, len(accumulators), split_every)
        ]
    return accumulators[0]


def _compute(*values: Any) -> tuple[Any, ...]:
    """``dask.compute``, with a lost worker Dask gave up on as one DatacheckError."""
    try:
        results: tuple[Any, ...] = dask.compute(*values)
        return results
    except KilledWorker as error:
        raise DatacheckError(
            f"a Dask worker died while running {error.args[0] if error.args else 'a task'} "
            "and Dask gave up retrying it (distributed.scheduler.allowed-failures); "
            "nothing was written"
        ) from None


def _recorded(profile: DatasetProfile, data: object, options: StatsOptions) -> DatasetProfile:
    if is_file_source(data):
        return replace(profile, reader=options.reader or ReaderOptions())
    return profile


def profile_dask(
    data: object, options: StatsOptions | None = None, *, split_every: int = _SPLIT_EVERY
) -> DatasetProfile:
    """Profile a Dask DataFrame, or files read on the workers, on the current Dask scheduler.

    Uses the ``dask.distributed`` client that is current (see :func:`dask_client`), else
    Dask's default scheduler.

    Args:
        data: A ``dask.dataframe.DataFrame``, or files (a path, directory or glob, or a list).
        options: What to compute; defaults to ``StatsOptions()``.
        split_every: Accumulators merged per task in the reduction tree (at least 2).

    Raises:
        OptionError: ``data`` is neither, or ``split_every`` is under 2.
        DatacheckError: A worker died and Dask gave up on its task.
        InputError: A file cannot be read (raised from the worker as is).
    """
    options = options or StatsOptions()
    if split_every < 2:
        raise OptionError("merge at least 2 at a time", parameter="split_every", value=split_every)
    accumulators = [
        delayed(_profile_part, pure=True)(part, is_file, options)
        for part, is_file in _partitions(data, options)
    ]
    (merged,) = _compute(_tree(accumulators, options, split_every))
    return _recorded(profile_from(merged, options), data, options)


#: most buckets the keys' hashes are shuffled into (one task each)
_MAX_BUCKETS = 64


def _key_buckets(
    part: Any,
    is_file: bool,
    keys: tuple[tuple[str, ...], ...],
    index: int,
    options: StatsOptions,
    buckets: int,
) -> list[pa.Table]:
    """One partition's key rows, cut into ``buckets`` by their hash (a shuffle's map side)."""
    batches = _file_batches(part, options) if is_file else _frame_batches(part, options.batch_size)
    table = pa.Table.from_batches(list(key_rows(batches, keys, index)), schema=KEY_ROWS)
    bucket = table.column("h1").to_numpy().view(np.uint64) % np.uint64(buckets)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(buckets + 1, dtype=np.uint64))
    table = table.take(pa.array(order))
    return [table.slice(int(bounds[b]), int(bounds[b + 1] - bounds[b])) for b in range(buckets)]


def _bucket_later(pieces: list[pa.Table]) -> pa.Table:
    """Every later occurrence of the keys of one bucket (a shuffle's reduce side)."""
    return later_occurrences(pa.concat_tables(pieces))


def _duplicates(
    parts: list[tuple[Any, bool]], keys: tuple[tuple[str, ...], ...], options: StatsOptions
) -> dict[int, list[tuple[tuple[str, ...], Any]]]:
    """Each partition's rows that repeat an earlier row's key: the key rows shuffled by their
    hash into buckets (every key in one), every position of a key but its first kept there,
    and only those computed here."""
    if not keys or not parts:
        return {}
    buckets = max(1, min(len(parts), _MAX_BUCKETS))
    split = [
        delayed(_key_buckets, nout=buckets, pure=True)(part, is_file, keys, i, options, buckets)
        for i, (part, is_file) in enumerate(parts)
    ]
    later = [
        delayed(_bucket_later, pure=True)([pieces[b] for pieces in split]) for b in range(buckets)
    ]
    found = _compute(*later)
    return duplicates_by_partition(pa.concat_tables(found), keys)


def _check_part(
    part: Any,
    is_file: bool,
    schema: Schema | None,
    options: StatsOptions,
    environment: str | None,
    strict_columns: bool,
    keep_valid: bool,
    duplicates: Duplicates = (),
) -> PartitionCheck:
    batches = _file_batches(part, options) if is_file else _frame_batches(part, options.batch_size)
    if schema is None:
        return PartitionCheck(profile_partition(batches, options), [], [], 0)
    return check_partition(
        batches,
        schema,
        options,
        environment=environment,
        strict_columns=strict_columns,
        keep_valid=keep_valid,
        duplicates=duplicates,
    )


def _accumulator_of(check: PartitionCheck) -> bytes:
    return check.accumulator


def _unpinned(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    # A zero-row batch may be a slice that keeps its whole source batch's buffers alive (tens
    # of MB); these lists are results, held on the worker until the whole run ends.
    return [b if b.num_rows else empty_batch(b.schema) for b in batches]


def _rows_of(check: PartitionCheck) -> tuple[list[pa.RecordBatch], list[pa.RecordBatch], int]:
    return _unpinned(check.quarantined), _unpinned(check.valid), check.rows


def check_dataset_on_dask(
    source: object,
    schema: Schema,
    *,
    baseline: object = None,
    serving: object = None,
    environment: str | None = None,
    on_quarantine: Callable[[CheckedBatch], None] | None = None,
    on_valid: Callable[[pa.RecordBatch], None] | None = None,
    strict_columns: bool = False,
    stats_options: StatsOptions | None = None,
    options: ValidationOptions | None = None,
    split_every: int = _SPLIT_EVERY,
) -> DatasetCheck:
    """:func:`datacheck.validate.check_dataset` on Dask: each partition profiled and checked
    on a worker, in one pass over its rows.

    The failed rows (and, with ``on_valid``, the passing ones) come back to the client one
    partition at a time, in partition order, and are handed to the callbacks as
    ``check_dataset_on_beam`` hands them: ``on_quarantine`` gets one :class:`CheckedBatch`
    per partition whose rows all failed. Baseline or serving data is profiled on Dask too.

    The schema's unique keys are found across partitions first (a shuffle of the keys'
    hashes; see the module's docstring): the data is read twice when it has some.

    Raises:
        OptionError: ``environment`` is not one the schema names.
        DatacheckError: A worker died and Dask gave up on its task.
    """
    check_environment(schema, environment)
    stats = stats_options or StatsOptions()
    rows_wanted = on_quarantine is not None or on_valid is not None
    plan = CheckPlan(
        schema, environment, rows_wanted=rows_wanted, engine="Dask", on_quarantine=on_quarantine
    )
    reader = StatsOptions(reader=stats.reader)

    def on_dask(data: object, opts: StatsOptions | None) -> DatasetProfile:
        return profile_dask(data, opts, split_every=split_every)

    references = [
        None if side is None else as_profile(side, reader, generate=on_dask)
        for side in (baseline, serving)
    ]
    parts = _partitions(source, stats)
    found = _duplicates(parts, plan.keys, stats)
    checks = [
        delayed(_check_part, pure=True)(
            part,
            is_file,
            plan.row_schema,
            stats,
            environment,
            strict_columns,
            on_valid is not None,
            found.get(i, ()),
        )
        for i, (part, is_file) in enumerate(parts)
    ]
    root = _tree([delayed(_accumulator_of)(c) for c in checks], stats, split_every)
    rows = [delayed(_rows_of)(c) for c in checks]
    merged, *results = _compute(root, *rows)
    offset = 0  # the partition's first row in the whole input
    for quarantined, valid, count in results:
        for batch in quarantined:
            plan.add(renumbered(batch, offset))
        if on_valid is not None:
            for batch in valid:
                on_valid(batch)
        offset += count
    profile = _recorded(profile_from(merged, stats), source, stats)
    return plan.finish(profile, baseline=references[0], serving=references[1], options=options)


@dataclass(frozen=True)
class DaskValidation:
    """The two lazy outputs of :func:`validate_dask`; every input row is in exactly one."""

    #: rows that pass every check, with the input's columns, dtypes and index
    valid: dd.DataFrame
    #: rows that fail, with the input's columns plus ``datacheck_reasons`` (an Arrow list of
    #: ``{code, feature}``), ``datacheck_source_file`` (null) and ``datacheck_source_row`` (the
    #: row's position in the whole frame, from 0, as in memory)
    quarantine: dd.DataFrame


def _arrow_dtype(t: pa.DataType) -> Any:
    return pd.ArrowDtype(t)


def _split_frame(
    frame: pd.DataFrame,
    schema: Schema,
    environment: str | None,
    strict_columns: bool,
    first_row: int = 0,
    duplicates: Duplicates = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One pandas partition's rows: (valid, quarantined with reasons and source)."""
    failed: list[int] = []
    extra: list[pa.RecordBatch] = []
    offset = 0
    for checked in check_rows(
        read_batches(frame),
        schema,
        environment=environment,
        strict_columns=strict_columns,
        first_row=first_row,
        duplicates=duplicates,
    ):
        failed.extend((checked.quarantined_rows + offset).tolist())
        extra.append(checked.quarantined.select([REASONS_COLUMN, *SOURCE_COLUMNS]))
        offset += checked.batch.num_rows
    mask = pd.Series(True, index=range(len(frame)))
    mask.iloc[failed] = False
    valid = frame.iloc[mask.to_numpy()]
    quarantined = frame.iloc[failed].copy()
    columns = pa.Table.from_batches(extra) if extra else None
    for name in (REASONS_COLUMN, *SOURCE_COLUMNS):
        if columns is None:
            quarantined[name] = pd.Series([], dtype=object)
            continue
        column = columns.column(name)
        quarantined[name] = pd.Series(
            column.to_pandas(types_mapper=_arrow_dtype).array, index=quarantined.index
        )
    return valid, quarantined


def validate_dask(
    frame: dd.DataFrame,
    schema: Schema,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
) -> DaskValidation:
    """Check every row of a Dask DataFrame; lazy valid and quarantine DataFrames.

    Each partition is checked by :func:`datacheck.validate.validate_batches` once, whichever
    output is computed first (compute both with one ``dask.compute(v.valid, v.quarantine)``).
    A quarantined row's number is its position in the frame: each partition's first row is
    the lengths of the partitions before it, summed in the graph. A schema's unique keys are
    found across partitions here, before this returns (a shuffle of the keys' hashes).

    Raises:
        OptionError: ``environment`` is not one the schema names.
        DatacheckError: A worker died and Dask gave up on its task (finding unique keys).
    """
    check_environment(schema, environment)
    meta_valid, meta_quarantine = _split_frame(frame._meta, schema, environment, strict_columns)
    parts = frame.to_delayed()
    found = _duplicates(
        [(part, False) for part in parts], active_keys(schema, environment), StatsOptions()
    )
    splits = []
    first_row: Any = 0
    for i, part in enumerate(parts):
        splits.append(
            delayed(_split_frame, nout=2, pure=True)(
                part, schema, environment, strict_columns, first_row, found.get(i, ())
            )
        )
        first_row = delayed(operator.add, pure=True)(first_row, delayed(len, pure=True)(part))
    valid = dd.from_delayed([s[0] for s in splits], meta=meta_valid, verify_meta=False)
    quarantine = dd.from_delayed([s[1] for s in splits], meta=meta_quarantine, verify_meta=False)
    return DaskValidation(valid=valid, quarantine=quarantine)
