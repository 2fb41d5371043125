"""The work of one partition on a cluster engine (Spark, Dask), and the merge of the results.

``datacheck.spark`` and ``datacheck.dask`` run the same three steps, each on its engine:

1. on every partition, :func:`profile_partition` runs the :class:`ProfileGenerator` over the
   partition's Arrow batches and returns its accumulator as bytes (sketches: bounded in size
   whatever the partition's size), and :func:`check_partition` also checks its rows;
2. the engine merges those bytes pairwise in a tree (:func:`merge_serialized`);
3. the driver turns the last bytes into the profile (:func:`profile_from`).

The bytes are a pickle of datacheck's own accumulator, made by datacheck's code on the
engine's workers and read back by the same code on the workers and the driver: one trust
domain, as Beam pickles its combiners. Nothing a user supplies is ever unpickled: the data
travels as Arrow, schemas and options as values the engine itself ships.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from datacheck.errors import OptionError
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, ProfileGenerator, StatsOptions, iter_batches
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    CheckedBatch,
    DatasetCheck,
    PatternKeyTally,
    QuarantineTally,
    RowCheckTally,
    ValidationOptions,
    check_environment,
    pattern_key_schema,
    validate_batches,
    validate_statistics,
)

__all__ = [
    "CheckPlan",
    "PartitionCheck",
    "check_partition",
    "empty_accumulator",
    "merge_serialized",
    "profile_from",
    "profile_partition",
    "without_row_order",
]


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


def check_partition(
    batches: Iterable[pa.RecordBatch],
    schema: Schema,
    options: StatsOptions,
    *,
    environment: str | None = None,
    strict_columns: bool = False,
    keep_valid: bool = True,
) -> PartitionCheck:
    """Profile a partition and check each of its rows, in one pass over its batches."""
    generator = ProfileGenerator(options)
    accumulator = generator.create_accumulator()
    quarantined: list[pa.RecordBatch] = []
    valid: list[pa.RecordBatch] = []
    rows = 0
    for batch in iter_batches(_nonempty(batches), options.batch_size):
        accumulator = generator.add_input(accumulator, batch)
        rows += batch.num_rows
        # One batch at a time, as Beam's ValidateBatches does: the row checks are per row.
        checked: CheckedBatch
        for checked in validate_batches(
            [batch], schema, environment=environment, strict_columns=strict_columns
        ):
            if checked.quarantined.num_rows or not quarantined:
                quarantined.append(checked.quarantined)
            if keep_valid and (checked.valid.num_rows or not valid):
                valid.append(checked.valid)
    return PartitionCheck(
        accumulator=_serialize(accumulator), quarantined=quarantined, valid=valid, rows=rows
    )


def _active_keys(schema: Schema, environment: str | None) -> tuple[tuple[str, ...], ...]:
    active = {f.name for f in schema.features_in(environment)}
    return tuple(k for k in schema.unique_keys if all(name in active for name in k))


class CheckPlan:
    """The driver's side of :func:`datacheck.validate.check_dataset` on a cluster engine.

    It picks the schema the workers check rows against (none when neither the rows nor a
    row-level dataset check is wanted), then takes each partition's quarantined rows in
    partition order: it counts them (the report's summary, pattern shares, row-check shares)
    and hands them to ``on_quarantine`` as :class:`CheckedBatch` es whose rows all failed,
    exactly as ``check_dataset_on_beam`` does with its spilled rows.

    Raises:
        OptionError: The schema has unique keys active in ``environment``: duplicates span
            partitions, and a per-partition check would miss them (a wrong answer), so they
            are refused rather than checked per partition.
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
        keys = _active_keys(schema, environment)
        if keys:
            raise OptionError(
                f"unique keys are not checked on {engine} yet (duplicates span partitions); "
                "check them in memory or on Beam, or give a schema without unique_keys",
                parameter="schema",
                value=", ".join("+".join(k) for k in keys),
            )
        self.schema = schema
        self.environment = environment
        row_schema: Schema | None = schema if rows_wanted else pattern_key_schema(schema)
        self.row_checks = RowCheckTally(schema, environment) if schema.row_checks else None
        if self.row_checks is not None and not rows_wanted:
            row_schema = self.row_checks.checked_schema(row_schema)
        #: the schema rows are checked against on the workers; None: rows are not checked
        self.row_schema = row_schema
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
