"""The work of one partition on a cluster engine (Spark, Dask), and the merge of the results.

``datacheck.spark`` and ``datacheck.dask`` run the same three steps, each on its engine:

1. on every partition, :func:`profile_partition` runs the :class:`ProfileGenerator` over the
   partition's Arrow batches and returns its accumulator as bytes (sketches: bounded in size
   whatever the partition's size), and :func:`check_partition` also checks its rows;
2. the engine merges those bytes pairwise in a tree (:func:`merge_serialized`);
3. the driver turns the last bytes into the profile (:func:`profile_from`).

Unique keys span partitions, so they are found by the engine first (a shuffle: Spark's
window over the key, Dask's ``shuffle``): :func:`key_rows` gives each row's key hash and
position (partition, row within it), :func:`later_occurrences` keeps every position of a key
but its first, as in memory where the first row read passes. Only those positions travel
back (their number, not the keys', must fit in the driver's memory, as on Beam), and each
partition's check quarantines its own (:func:`check_rows`). Rows read from no file are
numbered by their position in the whole input, as in memory: a partition is checked with its
first row's number when the engine knows it, else :func:`renumbered` adds it on the driver.

The bytes are a pickle of datacheck's own accumulator, made by datacheck's code on the
engine's workers and read back by the same code on the workers and the driver: one trust
domain, as Beam pickles its combiners. Nothing a user supplies is ever unpickled: the data
travels as Arrow, schemas and options as values the engine itself ships.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._source import segments_of, tag_source
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, ProfileGenerator, StatsOptions, iter_batches
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    CheckedBatch,
    DatasetCheck,
    PatternKeyTally,
    QuarantineTally,
    RowCheckTally,
    ValidationOptions,
    check_environment,
    key_hashes,
    pattern_key_schema,
    validate_batches,
    validate_statistics,
    with_duplicates,
)

__all__ = [
    "KEY_ROWS",
    "CheckPlan",
    "Duplicates",
    "PartitionCheck",
    "active_keys",
    "check_partition",
    "check_rows",
    "duplicates_by_partition",
    "empty_accumulator",
    "key_rows",
    "later_occurrences",
    "merge_serialized",
    "profile_from",
    "profile_partition",
    "renumbered",
    "without_row_order",
]

#: a partition's duplicate rows: per active key, its rows (within the partition, ascending)
#: whose key an earlier row has
Duplicates = Sequence[tuple[tuple[str, ...], npt.NDArray[np.int64]]]

#: the rows :func:`key_rows` gives: the key's index among the active keys, the two 64-bit
#: words of the key's hash (as signed integers, which every engine has), the partition's
#: index and the row's number within the partition
KEY_ROWS = pa.schema(
    [
        ("key", pa.int32()),
        ("h1", pa.int64()),
        ("h2", pa.int64()),
        ("part", pa.int64()),
        ("row", pa.int64()),
    ]
)


def _serialize(accumulator: object) -> bytes:
    return pickle.dumps(accumulator, protocol=pickle.HIGHEST_PROTOCOL)


def _deserialize(data: bytes) -> object:
    # Bytes made by _serialize on this engine's workers (see the module's docstring).
    return pickle.loads(data)


def _nonempty(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches with rows; a partition of no rows still gives its first (empty) batch, so
    that an input of zero rows is profiled as in memory (its columns, counts of 0)."""
    first: pa.RecordBatch | None = None
    seen = False
    for batch in batches:
        if batch.num_rows:
            seen = True
            yield batch
        elif first is None:
            first = batch
    if not seen and first is not None:
        yield first


def profile_partition(batches: Iterable[pa.RecordBatch], options: StatsOptions) -> bytes:
    """The serialized accumulator of one partition's batches.

    Small batches are joined up to ``options.batch_size`` rows first, as in memory.
    """
    generator = ProfileGenerator(options)
    accumulator = generator.create_accumulator()
    for batch in iter_batches(_nonempty(batches), options.batch_size):
        accumulator = generator.add_input(accumulator, batch)
    return _serialize(accumulator)


def empty_accumulator(options: StatsOptions) -> bytes:
    """The serialized accumulator of no batch at all."""
    return _serialize(ProfileGenerator(options).create_accumulator())


def merge_serialized(first: bytes, second: bytes, options: StatsOptions) -> bytes:
    """Two serialized accumulators merged (``first``'s rows before ``second``'s).

    An accumulator of zero rows adds nothing but its columns' types; it is dropped when the
    other has rows, so an empty partition (whose text columns may have no type at all) never
    changes the profile of the others.
    """
    generator = ProfileGenerator(options)
    a, b = _deserialize(first), _deserialize(second)
    if getattr(b, "num_rows", 0) == 0 and getattr(a, "num_rows", 0) > 0:
        return first
    if getattr(a, "num_rows", 0) == 0 and getattr(b, "num_rows", 0) > 0:
        return second
    return _serialize(generator.merge_accumulators([a, b]))  # type: ignore[list-item]


def profile_from(data: bytes, options: StatsOptions) -> DatasetProfile:
    """The profile a serialized accumulator holds."""
    generator = ProfileGenerator(options)
    return generator.extract_output(_deserialize(data))  # type: ignore[arg-type]


def without_row_order(profile: DatasetProfile) -> DatasetProfile:
    """The profile without numeric row order (for engines that merge in no fixed order)."""
    features = {
        path: f
        if f.numeric is None or f.numeric.row_order is None
        else replace(f, numeric=replace(f.numeric, row_order=None))
        for path, f in profile.features.items()
    }
    slices = {key: without_row_order(s) for key, s in profile.slices.items()}
    return replace(profile, features=features, slices=slices)


@dataclass(frozen=True)
class PartitionCheck:
    """What checking one partition gives: its profile's accumulator and its rows, split."""

    #: the serialized accumulator of the partition's profile
    accumulator: bytes
    #: the rows that failed, with :data:`~datacheck.validate.REASONS_COLUMN` and the source
    quarantined: list[pa.RecordBatch]
    #: the rows that passed (empty unless asked for)
    valid: list[pa.RecordBatch]
    #: rows read
    rows: int


def active_keys(schema: Schema, environment: str | None) -> tuple[tuple[str, ...], ...]:
    """The unique keys whose features are all checked in ``environment``."""
    active = {f.name for f in schema.features_in(environment)}
    return tuple(k for k in schema.unique_keys if all(name in active for name in k))


def key_rows(
    batches: Iterable[pa.RecordBatch], keys: Sequence[tuple[str, ...]], part: int
) -> Iterator[pa.RecordBatch]:
    """:data:`KEY_ROWS` of one partition: each row that has every part of a key, once per
    such key (a row with a missing part is not compared, as in memory)."""
    position = 0
    for batch in batches:
        for k, key in enumerate(keys):
            h1, h2, complete = key_hashes(batch, key)
            rows = np.flatnonzero(complete)
            if not rows.size:
                continue
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(np.full(rows.size, k, dtype=np.int32)),
                    pa.array(h1[rows].view(np.int64)),
                    pa.array(h2[rows].view(np.int64)),
                    pa.array(np.full(rows.size, part, dtype=np.int64)),
                    pa.array(rows.astype(np.int64) + position),
                ],
                schema=KEY_ROWS,
            )
        position += batch.num_rows


def later_occurrences(keyed: pa.Table) -> pa.Table:
    """Of :data:`KEY_ROWS` holding every row of the keys they hold (a shuffle's partition),
    the ``part``, ``row`` and ``key`` of each row but the first (by position) of each key."""
    if not keyed.num_rows:
        return keyed.select(["part", "row", "key"])
    order = pc.sort_indices(keyed, [(c, "ascending") for c in ("key", "h1", "h2", "part", "row")])
    ordered = keyed.take(order)
    same = np.zeros(ordered.num_rows, dtype=np.bool_)
    k, a, b = (ordered.column(c).to_numpy() for c in ("key", "h1", "h2"))
    same[1:] = (k[1:] == k[:-1]) & (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    return ordered.filter(pa.array(same)).select(["part", "row", "key"])


def duplicates_by_partition(
    later: pa.Table, keys: Sequence[tuple[str, ...]]
) -> dict[int, list[tuple[tuple[str, ...], npt.NDArray[np.int64]]]]:
    """The positions :func:`later_occurrences` found, as each partition's :data:`Duplicates`
    (only the partitions that have some)."""
    out: dict[int, list[tuple[tuple[str, ...], npt.NDArray[np.int64]]]] = {}
    if not later.num_rows:
        return out
    parts = later.column("part").to_numpy()
    rows = later.column("row").to_numpy().astype(np.int64)
    which = later.column("key").to_numpy()
    order = np.lexsort((rows, which, parts))  # by partition, then key, then row
    parts, rows, which = parts[order], rows[order], which[order]
    starts = np.flatnonzero(np.concatenate([[True], parts[1:] != parts[:-1]]))
    for start, stop in zip(starts, [*starts[1:], parts.size], strict=True):
        bounds = np.searchsorted(which[start:stop], np.arange(len(keys) + 1)) + start
        out[int(parts[start])] = [
            (key, rows[bounds[k] : bounds[k + 1]]) for k, key in enumerate(keys)
        ]
    return out


def check_rows(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
    first_row: int = 0,
    duplicates: Duplicates = (),
) -> Iterator[CheckedBatch]:
    """One partition's batches checked, as :func:`validate_batches` checks them in memory.

    The schema's unique keys are not checked here (their duplicates span partitions): the
    rows in ``duplicates``, found by the engine, are quarantined as ``DUPLICATE_KEY`` after
    their other reasons instead. A batch read from no file is numbered from ``first_row``
    (the partition's first row in the whole input), so its quarantined rows name their row.
    One batch at a time, as Beam's ValidateBatches does: the row checks are per row.
    """
    plain = replace(schema, unique_keys=()) if schema.unique_keys else schema
    position = 0
    for batch in batches:
        if segments_of(batch) is None:
            batch = tag_source(batch, None, first_row + position)
        local = position
        for checked in validate_batches(
            [batch], plain, environment=environment, strict_columns=strict_columns
        ):
            n = checked.batch.num_rows
            found = [
                (key, rows[(rows >= local) & (rows < local + n)] - local)
                for key, rows in duplicates
            ]
            yield with_duplicates(checked, found) if found else checked
            local += n
        position += batch.num_rows


def renumbered(quarantined: pa.RecordBatch, offset: int) -> pa.RecordBatch:
    """Quarantined rows of a partition checked from row 0, numbered from ``offset`` (the
    partition's first row in the whole input); rows read from a file keep their number."""
    if not offset or not quarantined.num_rows:
        return quarantined
    at = quarantined.schema.get_field_index(SOURCE_ROW_COLUMN)
    files = quarantined.column(SOURCE_FILE_COLUMN)
    shifted = pc.if_else(
        pc.is_null(files), pc.add(quarantined.column(at), offset), quarantined.column(at)
    )
    return quarantined.set_column(at, quarantined.schema.field(at), shifted)


def check_partition(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    options: StatsOptions,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
    keep_valid: bool = True,
    first_row: int = 0,
    duplicates: Duplicates = (),
) -> PartitionCheck:
    """Profile a partition and check each of its rows (:func:`check_rows`), in one pass over
    its batches."""
    generator = ProfileGenerator(options)
    accumulator = generator.create_accumulator()
    quarantined: list[pa.RecordBatch] = []
    valid: list[pa.RecordBatch] = []
    rows = 0

    def profiled() -> Iterator[pa.RecordBatch]:
        nonlocal accumulator, rows
        for batch in iter_batches(_nonempty(batches), options.batch_size):
            accumulator = generator.add_input(accumulator, batch)
            rows += batch.num_rows
            yield batch

    checked: CheckedBatch
    for checked in check_rows(
        profiled(),
        schema,
        environment=environment,
        strict_columns=strict_columns,
        first_row=first_row,
        duplicates=duplicates,
    ):
        if checked.quarantined.num_rows or not quarantined:
            quarantined.append(checked.quarantined)
        if keep_valid and (checked.valid.num_rows or not valid):
            valid.append(checked.valid)
    return PartitionCheck(
        accumulator=_serialize(accumulator), quarantined=quarantined, valid=valid, rows=rows
    )


class CheckPlan:
    """The driver's side of :func:`datacheck.validate.check_dataset` on a cluster engine.

    It picks the schema the workers check rows against (none when neither the rows nor a
    row-level dataset check is wanted), then takes each partition's quarantined rows in
    partition order: it counts them (the report's summary, pattern shares, row-check shares)
    and hands them to ``on_quarantine`` as :class:`CheckedBatch` es whose rows all failed,
    exactly as ``check_dataset_on_beam`` does with its spilled rows. :attr:`keys` are the
    unique keys the engine finds across partitions first (see the module's docstring).

    Raises:
        OptionError: ``environment`` is not one the schema names.
    """

    def __init__(
        self,
        schema: Schema,
        environment: str | None,
        *,
        rows_wanted: bool,
        engine: str,
        on_quarantine: Callable[[CheckedBatch], None] | None = None,
    ) -> None:
        check_environment(schema, environment)
        self.engine = engine
        self.schema = schema
        self.environment = environment
        row_schema: Schema | None = schema if rows_wanted else pattern_key_schema(schema)
        self.row_checks = RowCheckTally(schema, environment) if schema.row_checks else None
        if self.row_checks is not None and not rows_wanted:
            row_schema = self.row_checks.checked_schema(row_schema)
        #: the schema rows are checked against on the workers; None: rows are not checked
        self.row_schema = row_schema
        #: the unique keys to find across partitions first (none when rows are not checked)
        self.keys = active_keys(schema, environment) if row_schema is not None else ()
        self.counts = QuarantineTally() if rows_wanted else None
        self.keyed = PatternKeyTally()
        self._on_quarantine = on_quarantine

    def add(self, quarantined: pa.RecordBatch) -> None:
        """One partition's failed rows (with reasons and source columns)."""
        result = CheckedBatch(
            batch=quarantined.drop_columns([REASONS_COLUMN, *SOURCE_COLUMNS]),
            quarantined=quarantined,
            quarantined_rows=np.arange(quarantined.num_rows),
        )
        self.keyed.add(result)
        if self.row_checks is not None:
            self.row_checks.add_checked(result)
        if self.counts is not None:
            self.counts.add(result)
        if self._on_quarantine is not None:
            self._on_quarantine(result)

    def finish(
        self,
        profile: DatasetProfile,
        *,
        baseline: DatasetProfile | None,
        serving: DatasetProfile | None,
        options: ValidationOptions | None,
    ) -> DatasetCheck:
        """The report on ``profile``, with what the rows added."""
        report = validate_statistics(
            profile,
            self.schema,
            baseline=baseline,
            serving=serving,
            environment=self.environment,
            options=options,
        )
        if self.counts is not None:
            report = self.counts.summarize(report)
        report = self.keyed.finish(report, self.schema, profile, self.environment)
        if self.row_checks is not None:
            anomalies = self.row_checks.anomalies(rows=profile.num_rows)
            report = replace(report, anomalies=(*report.anomalies, *anomalies))
        return DatasetCheck(report=report, profile=profile, baseline=baseline, serving=serving)
