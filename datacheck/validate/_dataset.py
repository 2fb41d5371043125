"""``check_dataset``: the validation use case, from a source to a report, reading the data once.

What ``datacheck validate`` does, and what the service does for each request: profile the
data, check the profile against the schema (with drift and skew against a baseline and
serving data), and, when the caller wants the failing rows, check every row too. Each batch is
read once and feeds both the profile and the row checks; the row checks work on a batch while
the profile's thread pool works on it as well.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa

from datacheck._source import untagged
from datacheck.errors import require
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, Profiler, StatsOptions, as_profile, iter_batches
from datacheck.validate._environments import check_environment
from datacheck.validate._pattern_tally import PatternKeyTally
from datacheck.validate._quarantine_count import QuarantineTally
from datacheck.validate._report import ValidationReport
from datacheck.validate._rowchecks import RowCheckTally
from datacheck.validate._rows import CheckedBatch, validate_batches
from datacheck.validate._statistics import ValidationOptions, validate_statistics

__all__ = ["DatasetCheck", "check_dataset"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetCheck:
    """What :func:`check_dataset` found: the report, and the profiles it was computed from."""

    #: anomalies, every measured distance, the verdict
    report: ValidationReport
    #: the profile of the data checked
    profile: DatasetProfile
    #: the baseline's profile, when a baseline was given
    baseline: DatasetProfile | None = None
    #: the serving data's profile, when serving data was given
    serving: DatasetProfile | None = None


def check_dataset(
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
    progress: Callable[[int], None] | None = None,
    profiler: Profiler | None = None,
) -> DatasetCheck:
    """Validate a dataset against a schema: its statistics, and its rows when asked.

    Args:
        source: The data: anything :func:`datacheck.io.read_batches` reads, or record batches.
        schema: What the data must look like.
        baseline: An earlier span to measure drift against: a :class:`DatasetProfile`, the
            path of a profile document (``.json``), or data to profile.
        serving: Serving data to measure skew against, in the same forms as ``baseline``.
        environment: Validate as in this environment; it must be one the schema names.
        on_quarantine: Called with every :class:`CheckedBatch`, in input order, empty ones
            included; when given, every row is checked too (otherwise only the statistics).
            Write the quarantine with :class:`datacheck.io.QuarantineWriter`. Each
            quarantined row carries its reasons and its source (file and row number).
        on_valid: Called with the rows of every batch that pass every check (the input's
            columns only), in input order, empty ones included; when given, every row is
            checked too. Write them with :class:`datacheck.io.ValidWriter`. The report's
            summary then counts the quarantined rows, in all and per anomaly code.
        strict_columns: Also quarantine every row for a column the schema expects that the
            data lacks; by default a missing column is a dataset-level anomaly only.
        stats_options: How ``source`` is profiled (batch size, threads, exact-count caps) and
            read (``reader``: also how baseline and serving data are read).
        options: See :class:`ValidationOptions`.
        progress: Called with each batch's row count once it is profiled.

    Returns:
        The report of :func:`validate_statistics` on the data's profile, with the profiles.

    Raises:
        OptionError: ``environment`` is not one the schema names (before any data is read).
        ProfileFormatError: A baseline or serving profile document is invalid.
        InputError: The data or a profile cannot be read (data of zero rows is read: its
            profile has ``num_rows`` 0).
        ArgumentTypeError: ``schema`` is not a :class:`Schema` (a TypeError).
    """
    require(
        schema,
        Schema,
        function="check_dataset",
        parameter="schema",
        needs="a Schema (load_schema reads one, infer_schema makes one)",
    )
    check_environment(schema, environment)
    # A bad baseline or serving argument fails before the data is read; baseline and serving
    # data are read as the data is.
    reader = StatsOptions(reader=stats_options.reader if stats_options is not None else None)
    baseline_profile = _profile_or_none(baseline, reader)
    serving_profile = _profile_or_none(serving, reader)
    # A caller's profiler (the service's computes only what the report reads) replaces the
    # default one; ``stats_options`` and ``progress`` are then its own business.
    profiler = Profiler(stats_options, progress=progress) if profiler is None else profiler
    stats = profiler.options
    batches = profiler.observe(iter_batches(source, stats.batch_size, stats.reader))
    # Both row outputs go through the one callback below, which also counts the quarantine.
    counts = None if on_quarantine is None and on_valid is None else QuarantineTally()
    on_quarantine = _row_outputs(on_quarantine, on_valid, counts)
    # Patterns and unique keys are counted over every row (a mismatch share, duplicates),
    # also when the rows themselves are not wanted; see _pattern_tally.py.
    max_keys = (options or ValidationOptions()).max_keys
    keyed = PatternKeyTally()
    if on_quarantine is None:
        batches = keyed.observe(batches, schema, environment, max_keys)
    # The schema's row checks are counted over every row: their failing share is a
    # dataset-level anomaly, also when the rows themselves are not wanted.
    tally = RowCheckTally(schema, environment) if schema.row_checks else None
    if on_quarantine is None and tally is None:
        deque(batches, maxlen=0)  # only the profile reads them
    elif on_quarantine is None:
        assert tally is not None
        for batch in batches:
            tally.add_batch(batch)
    else:
        for checked in validate_batches(
            batches,
            schema,
            environment=environment,
            max_keys=max_keys,
            strict_columns=strict_columns,
        ):
            keyed.add(checked)
            if tally is not None:
                tally.add_checked(checked)
            on_quarantine(checked)
    profile = profiler.profile(source)
    report = validate_statistics(
        profile,
        schema,
        baseline=baseline_profile,
        serving=serving_profile,
        environment=environment,
        options=options,
    )
    if tally is not None:
        report = replace(report, anomalies=(*report.anomalies, *tally.anomalies()))
    report = keyed.finish(report, schema, profile, environment)
    if counts is not None:
        report = counts.summarize(report)
    return DatasetCheck(
        report=report, profile=profile, baseline=baseline_profile, serving=serving_profile
    )


def _row_outputs(
    on_quarantine: Callable[[CheckedBatch], None] | None,
    on_valid: Callable[[pa.RecordBatch], None] | None,
    counts: QuarantineTally | None,
) -> Callable[[CheckedBatch], None] | None:
    """One callback for each checked batch: count it, hand out its quarantine and valid rows."""
    if counts is None:
        return None

    def each(checked: CheckedBatch) -> None:
        counts.add(checked)
        if on_quarantine is not None:
            on_quarantine(checked)
        if on_valid is not None:
            on_valid(untagged(checked.valid))

    return each


def _profile_or_none(source: object, options: StatsOptions) -> DatasetProfile | None:
    return None if source is None else as_profile(source, options)
