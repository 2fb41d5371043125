"""Profile and validate on Spark: ``mapInArrow`` per partition, accumulators in a ``treeReduce``.

::

    DataFrame ─mapInArrow─► one row per partition: the accumulator's bytes (and, when checking
                            rows, the partition's quarantined rows as Arrow IPC bytes)
              ─treeReduce(merge)─► bytes ─► driver: profile_from(bytes)

Unique keys span partitions: each partition's key hashes and row positions (``mapInArrow``,
the partition's index from ``TaskContext``) go through a window over the key (one shuffle);
every position of a key but its first (``row_number() > 1``) comes back to the driver, and a
broadcast of them is quarantined by each partition's check. Rows read from no file are
numbered by their position in the whole frame: each partition's row count, summed over the
partitions before it (on the driver for ``check_dataset_on_spark``; a counting job first for
``validate_spark``). Both need a frame whose partitions are the same on every computation
(files, tables, a cached frame), as Spark's own retries do.

Spark retries a failed task (a lost executor, a crashed Python worker) up to
``spark.task.maxFailures`` times; a task is a pure function of its partition, so a retry
gives the same bytes. When Spark gives up, the job fails and the run raises one
:class:`~datacheck.errors.DatacheckError`; it never returns a partial profile. Spark merges
in no fixed order, so profiles have no numeric row order (as on Beam).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from datacheck._partition import (
    KEY_ROWS,
    CheckPlan,
    Duplicates,
    active_keys,
    check_partition,
    check_rows,
    duplicates_by_partition,
    empty_accumulator,
    key_rows,
    merge_serialized,
    profile_from,
    profile_partition,
    renumbered,
    without_row_order,
)
from datacheck.errors import DatacheckError, OptionError
from datacheck.io import ReaderOptions, empty_batch, expand_paths, format_of, is_file_source
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, as_profile
from datacheck.validate import (
    REASONS_COLUMN,
    REASONS_TYPE,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    CheckedBatch,
    DatasetCheck,
    ValidationOptions,
    check_environment,
)

__all__ = [
    "SparkValidation",
    "check_dataset_on_spark",
    "profile_spark",
    "read_spark",
    "spark_session",
    "validate_spark",
]

#: the depth of the merge tree (treeReduce)
_DEPTH = 2

_ACC = pa.schema([("accumulator", pa.binary())])
_CHECK = pa.schema(
    [
        ("accumulator", pa.binary()),
        ("quarantine", pa.binary()),
        ("valid", pa.binary()),
        ("part", pa.int64()),
        ("rows", pa.int64()),
        ("failed", pa.int64()),
    ]
)
_SIZES = pa.schema([("part", pa.int64()), ("rows", pa.int64())])


def _partition_index() -> int:
    context = TaskContext.get()
    return context.partitionId() if context is not None else 0


def _key_arrow(
    batches: Iterator[pa.RecordBatch], arrow_schema: pa.Schema, keys: tuple[tuple[str, ...], ...]
) -> Iterator[pa.RecordBatch]:
    yield from key_rows(_partition_batches(batches, arrow_schema), keys, _partition_index())


def _duplicates(frame: Any, keys: tuple[tuple[str, ...], ...]) -> Any:
    """A broadcast of each partition's rows that repeat an earlier row's key (a dict of
    partition index to :data:`~datacheck._partition.Duplicates`), or None without keys."""
    if not keys:
        return None
    keyed = frame.mapInArrow(
        partial(_key_arrow, arrow_schema=_arrow_schema(frame), keys=keys),
        from_arrow_schema(KEY_ROWS),
    )
    first = Window.partitionBy("key", "h1", "h2").orderBy("part", "row")
    later = (
        keyed.withColumn("occurrence", F.row_number().over(first))
        .filter(F.col("occurrence") > 1)
        .select("part", "row", "key")
    )
    found = duplicates_by_partition(_run_job(later.toArrow), keys)
    return frame.sparkSession.sparkContext.broadcast(found)


def _found_here(duplicates: Any) -> Duplicates:
    if duplicates is None:
        return ()
    here: Duplicates = duplicates.value.get(_partition_index(), ())
    return here


def _count_arrow(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    rows = sum(batch.num_rows for batch in batches)
    yield pa.RecordBatch.from_pylist([{"part": _partition_index(), "rows": rows}], schema=_SIZES)


def _first_rows(frame: Any) -> dict[int, int]:
    """Each partition's first row in the whole frame (its predecessors' rows summed)."""
    sizes = _run_job(frame.mapInArrow(_count_arrow, from_arrow_schema(_SIZES)).toArrow)
    parts, counts = sizes.column("part").to_pylist(), sizes.column("rows").to_pylist()
    first, out = 0, {}
    for part, rows in sorted(zip(parts, counts, strict=True)):
        out[int(part)] = first
        first += int(rows)
    return out


#: how many times a session is started when the JVM quits before it reports its port
_START_ATTEMPTS = 2
#: PySpark's error class for that
_GATEWAY_EXITED = "JAVA_GATEWAY_EXITED"


@contextmanager
def spark_session(master: str | None = None, *, app_name: str = "datacheck") -> Iterator[Any]:
    """A Spark session on ``master`` (``local[2]`` by default), stopped on exit.

    Arrow batches are exchanged with plain (not large) string types, as datacheck's readers
    give them, and the executors run this Python (``PYSPARK_PYTHON``).

    Raises:
        DatacheckError: Spark cannot start (no Java, a master that cannot be reached).
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or "local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.useLargeVarTypes", "false")
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
    )
    session = None
    for attempt in range(_START_ATTEMPTS):
        try:
            session = builder.getOrCreate()
            break
        except Exception as error:  # Py4J and Spark report start failures in their own ways
            if attempt + 1 < _START_ATTEMPTS and _GATEWAY_EXITED in str(error):
                # The JVM quit before it reported its port: seen once in a CI run, after other
                # sessions had started and stopped in the same process; a second start works.
                time.sleep(1.0)
                continue
            first = str(error).strip().splitlines()[0] if str(error) else repr(error)
            raise DatacheckError(
                f"Spark did not start: {first}", parameter="master", value=master
            ) from None
    assert session is not None
    try:
        yield session
    finally:
        session.stop()


def read_spark(spark: Any, source: object, options: ReaderOptions | None = None) -> Any:
    """Files as a Spark DataFrame, with Spark's own readers (Parquet, CSV with a header, JSON
    Lines): the data goes from the files to the executors, never through the driver.

    Raises:
        OptionError: ``source`` names no files.
    """
    if not is_file_source(source):
        raise OptionError("give files to read", parameter="source", value=type(source).__name__)
    sources = [source] if isinstance(source, str | os.PathLike) else list(source)  # type: ignore[call-overload]
    fmt = options.format if options is not None else None
    local = [s for s in sources if "://" not in os.fspath(s)]
    files = [str(p) for s in local for p in expand_paths(s, fmt)] + [
        os.fspath(s) for s in sources if "://" in os.fspath(s)
    ]
    kind = fmt or format_of(Path(files[0]), None) or "parquet"
    if kind == "csv":
        delimiter = options.delimiter if options is not None and options.delimiter else ","
        return spark.read.csv(files, header=True, inferSchema=True, sep=delimiter)
    if kind == "jsonl":
        return spark.read.json(files)
    return spark.read.parquet(*files)


def _run_job(job: Callable[[], Any]) -> Any:
    try:
        return job()
    except DatacheckError:
        raise
    except Exception as error:  # Py4J wraps the executors' failures
        text = str(error)
        for line in text.splitlines():
            if "datacheck.errors." in line:
                raise DatacheckError(line.split("datacheck.errors.", 1)[1].strip()) from None
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(error).__name__)
        raise DatacheckError(f"the Spark job failed: {first[:400]}") from None


def _plain_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    return t


def _plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with Spark's large or view string types as the plain ones datacheck's
    readers give."""
    wanted = pa.schema([f.with_type(_plain_type(f.type)) for f in batch.schema])
    return batch if wanted == batch.schema else batch.cast(wanted)


def _partition_batches(
    batches: Iterator[pa.RecordBatch], arrow_schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    seen = False
    for batch in batches:
        seen = True
        yield _plain(batch)
    if not seen:  # an empty partition still has its columns
        yield _plain(empty_batch(arrow_schema))


def _profile_arrow(
    batches: Iterator[pa.RecordBatch], arrow_schema: pa.Schema, options: StatsOptions
) -> Iterator[pa.RecordBatch]:
    data = profile_partition(_partition_batches(batches, arrow_schema), options)
    yield pa.RecordBatch.from_pylist([{"accumulator": data}], schema=_ACC)


def _tree_merge(accumulators: Any, options: StatsOptions) -> bytes:
    rdd = accumulators.rdd.map(lambda row: bytes(row[0]))
    try:
        merged: bytes = rdd.treeReduce(partial(merge_serialized, options=options), depth=_DEPTH)
    except ValueError:  # no partition at all
        return empty_accumulator(options)
    return merged


def _arrow_schema(frame: Any) -> pa.Schema:
    return to_arrow_schema(frame.schema)


def profile_spark(data: Any, options: StatsOptions | None = None) -> DatasetProfile:
    """Profile a Spark DataFrame on its executors.

    Args:
        data: A ``pyspark.sql.DataFrame`` (read with Spark's readers, or a table).
        options: What to compute; defaults to ``StatsOptions()``.

    Raises:
        DatacheckError: The Spark job failed (Spark gave up retrying a task), or a worker
            raised a DatacheckError (its message).
    """
    options = options or StatsOptions()
    if not isinstance(data, DataFrame):
        raise OptionError(
            "Spark profiles a pyspark DataFrame (read_spark reads files)",
            parameter="data",
            value=type(data).__name__,
        )
    accumulators = data.mapInArrow(
        partial(_profile_arrow, arrow_schema=_arrow_schema(data), options=options),
        from_arrow_schema(_ACC),
    )
    merged = _run_job(lambda: _tree_merge(accumulators, options))
    return without_row_order(profile_from(merged, options))


def _ipc(batches: list[pa.RecordBatch]) -> bytes:
    if not batches:
        return b""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].schema) as out:
        for batch in batches:
            out.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def _from_ipc(data: bytes) -> list[pa.RecordBatch]:
    if not data:
        return []
    return list(pa.ipc.open_stream(pa.py_buffer(data)))


def _check_arrow(
    batches: Iterator[pa.RecordBatch],
    arrow_schema: pa.Schema,
    schema: Schema | None,
    options: StatsOptions,
    environment: str | None,
    strict_columns: bool,
    keep_valid: bool,
    duplicates: Any,
) -> Iterator[pa.RecordBatch]:
    counted = 0

    def rows() -> Iterator[pa.RecordBatch]:
        nonlocal counted
        for batch in _partition_batches(batches, arrow_schema):
            counted += batch.num_rows
            yield batch

    failed = 0
    if schema is None:
        acc, quarantined, valid = profile_partition(rows(), options), b"", b""
    else:
        checked = check_partition(
            rows(),
            schema,
            options,
            environment=environment,
            strict_columns=strict_columns,
            keep_valid=keep_valid,
            duplicates=_found_here(duplicates),
        )
        acc, quarantined, valid = (
            checked.accumulator,
            _ipc(checked.quarantined),
            _ipc(checked.valid),
        )
        failed = sum(batch.num_rows for batch in checked.quarantined)
    row = {
        "accumulator": acc,
        "quarantine": quarantined,
        "valid": valid,
        "part": _partition_index(),
        "rows": counted,
        "failed": failed,
    }
    yield pa.RecordBatch.from_pylist([row], schema=_CHECK)


#: failed rows' Arrow bytes, over all partitions, fetched in one job (more: a partition a job)
_FETCH_AT_ONCE_BYTES = 64 * 1024 * 1024


def check_dataset_on_spark(
    source: Any,
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
) -> DatasetCheck:
    """:func:`datacheck.validate.check_dataset` on Spark: each partition profiled and its rows
    checked in one task; the failed rows come to the driver in one job when they are at most
    64 MB of Arrow (none: no job), else a partition at a time (as do the valid rows, with
    ``on_valid``).

    Args:
        source: A Spark DataFrame. Baseline and serving data (DataFrames) are profiled on
            Spark too; profiles and profile paths are read as they are.

    The schema's unique keys are found across partitions first (a window over the keys'
    hashes; see the module's docstring): the frame is read twice when it has some.

    Raises:
        OptionError: ``environment`` is not one the schema names.
        DatacheckError: The Spark job failed.
    """
    check_environment(schema, environment)
    stats = stats_options or StatsOptions()
    plan = CheckPlan(
        schema,
        environment,
        rows_wanted=on_quarantine is not None or on_valid is not None,
        engine="Spark",
        on_quarantine=on_quarantine,
    )

    def on_spark(data: object, opts: StatsOptions | None) -> DatasetProfile:
        return profile_spark(data, opts)

    references = [
        None
        if side is None
        else as_profile(side, StatsOptions(reader=stats.reader), generate=on_spark)
        for side in (baseline, serving)
    ]
    duplicates = _duplicates(source, plan.keys)
    results = source.mapInArrow(
        partial(
            _check_arrow,
            arrow_schema=_arrow_schema(source),
            schema=plan.row_schema,
            options=stats,
            environment=environment,
            strict_columns=strict_columns,
            keep_valid=on_valid is not None,
            duplicates=duplicates,
        ),
        from_arrow_schema(_CHECK),
    ).persist()
    try:
        merged = _run_job(lambda: _tree_merge(results.select("accumulator"), stats))

        def rows() -> None:
            # One small job first: each partition's row count, failed rows and their bytes.
            sizes = results.select(
                "part", "rows", "failed", F.length("quarantine").alias("bytes")
            ).toArrow()
            first, total, wanted, payload = {}, 0, [], 0
            for part, count, failed, size in sorted(
                zip(*(sizes.column(c).to_pylist() for c in sizes.column_names), strict=True)
            ):
                first[int(part)] = total  # the partition's first row in the whole frame
                total += int(count)
                if failed:
                    wanted.append(int(part))
                    payload += int(size)
            if on_valid is None and payload <= _FETCH_AT_ONCE_BYTES:
                # The failed rows fit in memory: one job brings them all. A job per
                # partition (below) costs the driver's JVM memory for each partition.
                if wanted:
                    found = (
                        results.where(F.col("failed") > 0).select("part", "quarantine").toArrow()
                    )
                    parts = found.column("part").to_pylist()
                    data = found.column("quarantine").to_pylist()
                    for part, stream in sorted(zip(parts, data, strict=True)):
                        for batch in _from_ipc(stream):
                            plan.add(renumbered(batch, first[int(part)]))
                return
            ordered = results.select("part", "quarantine", "valid").toLocalIterator()
            for row in ordered:  # one row per partition, in partition order
                for batch in _from_ipc(bytes(row[1])):
                    plan.add(renumbered(batch, first[int(row[0])]))
                if on_valid is not None:
                    for batch in _from_ipc(bytes(row[2])):
                        on_valid(batch)

        if plan.row_schema is not None:
            _run_job(rows)
    finally:
        results.unpersist()
        if duplicates is not None:
            duplicates.destroy()
    profile = without_row_order(profile_from(merged, stats))
    return plan.finish(profile, baseline=references[0], serving=references[1], options=options)


@dataclass(frozen=True)
class SparkValidation:
    """The two lazy outputs of :func:`validate_spark`; every input row is in exactly one."""

    #: rows that pass every check, with the input's columns
    valid: Any
    #: rows that fail, with the input's columns plus ``datacheck_reasons`` (an array of
    #: ``{code, feature}``), ``datacheck_source_file`` (null) and ``datacheck_source_row``
    #: (the row's position in the whole frame, from 0, as in memory)
    quarantine: Any


def _split_arrow(
    batches: Iterator[pa.RecordBatch],
    schema: Schema,
    environment: str | None,
    strict_columns: bool,
    first_rows: dict[int, int],
    duplicates: Any,
    want_valid: bool,
) -> Iterator[pa.RecordBatch]:
    # The batches as Spark gives them: the valid rows go back with Spark's own types.
    for checked in check_rows(
        batches,
        schema,
        environment=environment,
        strict_columns=strict_columns,
        first_row=first_rows.get(_partition_index(), 0),
        duplicates=_found_here(duplicates),
    ):
        out = checked.valid if want_valid else checked.quarantined
        if out.num_rows:
            yield out


def validate_spark(
    frame: Any,
    schema: Schema,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
) -> SparkValidation:
    """Check every row of a Spark DataFrame; lazy valid and quarantine DataFrames.

    Each output runs the checks when it is computed (cache ``frame`` to read it once). Before
    this returns, one job counts each partition's rows (a quarantined row's number is its
    position in the frame) and, for a schema with unique keys, one finds the keys' later
    occurrences across partitions (see the module's docstring).

    Raises:
        OptionError: ``environment`` is not one the schema names.
        DatacheckError: A Spark job failed.
    """
    check_environment(schema, environment)
    arrow = _arrow_schema(frame)
    quarantine_schema = (
        arrow.append(pa.field(REASONS_COLUMN, REASONS_TYPE))
        .append(pa.field(SOURCE_FILE_COLUMN, pa.string()))
        .append(pa.field(SOURCE_ROW_COLUMN, pa.int64()))
    )
    split = partial(
        _split_arrow,
        schema=schema,
        environment=environment,
        strict_columns=strict_columns,
        first_rows=_first_rows(frame),
        duplicates=_duplicates(frame, active_keys(schema, environment)),
    )
    valid = frame.mapInArrow(partial(split, want_valid=True), frame.schema)
    quarantine = frame.mapInArrow(
        partial(split, want_valid=False), from_arrow_schema(quarantine_schema)
    )
    return SparkValidation(valid=valid, quarantine=quarantine)
