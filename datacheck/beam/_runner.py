"""Runner plumbing for the command line: runner names, Beam options, running a pipeline.

``datacheck stats DATA --runner FlinkRunner -- --flink_master=host:8081`` ends here: the runner
name is checked, the options after ``--`` are handed to Beam (unknown ones refused, so a typo
is not silently ignored), and a failed pipeline becomes one :class:`DatacheckError` line
naming the file and row, as the in-memory path reports it.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from datacheck import errors
from datacheck._source import untagged
from datacheck.beam._io import ReadBatches
from datacheck.beam._stats import GenerateStatistics
from datacheck.beam._validate import ValidateBatches
from datacheck.beam._write import WriteProfile
from datacheck.errors import DatacheckError, OptionError
from datacheck.io import ReaderOptions, atomic_output, empty_batch, write_bytes_atomic
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, as_profile, load_profile
from datacheck.validate import (
    REASONS_COLUMN,
    REASONS_TYPE,
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
    pattern_key_schema,
    validate_statistics,
)

__all__ = [
    "RUNNERS",
    "beam_pipeline_options",
    "check_dataset_on_beam",
    "file_paths",
    "profile_on_beam",
    "run_pipeline",
]

#: the runners ``--runner`` accepts
RUNNERS: tuple[str, ...] = (
    "DirectRunner",
    "FlinkRunner",
    "SparkRunner",
    "DataflowRunner",
    "PortableRunner",
)

# Beam's DirectRunner first tries Prism, a Go binary it downloads from GitHub, which ignores
# --direct_num_workers and --direct_running_mode; the FnApiRunner is the local runner that
# honours them and needs no network.
_LOCAL_RUNNER = "FnApiRunner"

_ERROR_LINE = re.compile(r"datacheck\.errors\.(\w+): (.+)")
# Beam appends the failing stage to an error's message; the file and row are what matter.
_STAGE_SUFFIX = re.compile(r"\s*\[while running '[^']*'\]\s*$")


def _option_names(options: PipelineOptions, retain_unknown: bool) -> set[str]:
    # Beam logs a warning for each unknown option; they are reported as an error instead.
    logger = logging.getLogger("apache_beam.options.pipeline_options")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return set(options.get_all_options(retain_unknown_options=retain_unknown))
    finally:
        logger.setLevel(level)


def beam_pipeline_options(runner: str, beam_args: Sequence[str] = ()) -> PipelineOptions:
    """The Beam ``PipelineOptions`` of ``--runner RUNNER -- BEAM_OPTIONS...``.

    ``DirectRunner`` runs on Beam's FnApiRunner, so that ``--direct_num_workers`` and
    ``--direct_running_mode`` take effect; more than one worker without a running mode means
    ``multi_processing`` (separate processes, so both cores work).

    Args:
        runner: One of :data:`RUNNERS`.
        beam_args: Beam's own command-line options, e.g. ``["--direct_num_workers=2"]``.

    Raises:
        OptionError: An unknown runner, a ``--runner`` among the Beam options, or a Beam
            option no installed runner knows.
    """
    if runner not in RUNNERS:
        raise OptionError(
            f"unknown runner; use one of: {', '.join(RUNNERS)}", parameter="runner", value=runner
        )
    args = list(beam_args)
    if args and not args[0].startswith("-"):
        raise OptionError(
            f"{args[0]}: not a Beam option; Beam options start with '--' and come after ' -- '"
        )
    if any(a == "--runner" or a.startswith("--runner=") for a in args):
        raise OptionError("--runner: give the runner before ' -- ', not among the Beam options")
    if not any(a.startswith("--default_sdk_harness_log_level") for a in args):
        # Workers log each failure with its traceback; the command reports it in one line.
        args.append("--default_sdk_harness_log_level=CRITICAL")
    if runner == "DirectRunner":
        runner = _LOCAL_RUNNER
        if any(a.startswith("--direct_num_workers") for a in args) and not any(
            a.startswith("--direct_running_mode") for a in args
        ):
            args.append("--direct_running_mode=multi_processing")
    options = PipelineOptions([*args, f"--runner={runner}"])
    unknown = _option_names(options, True) - _option_names(options, False)
    if unknown:
        raise OptionError(
            f"--{sorted(unknown)[0]}: not a Beam pipeline option; check the spelling "
            "(see `python -m apache_beam.examples.wordcount --help` for Beam's options)"
        )
    return options


# A worker's message as DatacheckError writes it with a parameter: ``name=repr(value): reason``.
_PARAMETER_OPENING = re.compile(r"^([a-z_]+)=((?:'[^']*'|\(.*?\)|\[.*?\]|[^:]*)): (.*)$", re.S)


def _rebuilt(cls: type[DatacheckError], message: str) -> DatacheckError:
    """The error a worker raised, from its message: its parameter and value recovered, so the
    command prints it with its flag as it does in memory."""
    found = _PARAMETER_OPENING.match(message)
    if found is not None:
        try:
            value = ast.literal_eval(found.group(2))
        except (ValueError, SyntaxError):
            return cls(message)
        return cls(found.group(3), parameter=found.group(1), value=value)
    return cls(message)


def _without_stage(error: DatacheckError) -> DatacheckError:
    """``error`` without the stage Beam appends to its message, its attributes kept."""
    return type(error)(
        _STAGE_SUFFIX.sub("", error.reason),
        parameter=error.parameter,
        value=error.value,
        path=error.path,
        column=error.column,
        row=error.row,
    )


def _translate(error: BaseException) -> DatacheckError:
    """The DatacheckError a worker raised, from the text of the runner's failure."""
    text = str(error)
    cause = error.__cause__ or error.__context__
    while cause is not None:
        text += "\n" + str(cause)
        cause = cause.__cause__ or cause.__context__
    matches = _ERROR_LINE.findall(text)
    for name, message in reversed(matches):
        cls = getattr(errors, name, None)
        if (
            isinstance(cls, type)
            and issubclass(cls, DatacheckError)
            and cls is not errors.MissingExtraError
        ):
            return _rebuilt(cls, _STAGE_SUFFIX.sub("", message.strip()))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else type(error).__name__
    return DatacheckError(f"the Beam pipeline failed: {last}")


@contextmanager
def _quiet_beam() -> Iterator[None]:
    """Beam's log records and its local worker processes' stderr kept off the terminal.

    Local worker processes (``direct_running_mode=multi_processing``) log to the stderr they
    inherit, at INFO, before they have read any option; a failure reaches this process through
    the runner anyway, as the exception :func:`run_pipeline` turns into one line.
    """
    beam_logger = logging.getLogger("apache_beam")
    level = beam_logger.level
    beam_logger.setLevel(logging.CRITICAL)
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
        beam_logger.setLevel(level)


def run_pipeline(pipeline: beam.Pipeline, *, quiet: bool = True) -> None:
    """Run ``pipeline`` to the end; a failure raises the DatacheckError behind it.

    Args:
        pipeline: The pipeline to run.
        quiet: Keep Beam's own log records (a failure's traceback among them) and the stderr of
            local worker processes off the terminal while it runs, so that a failure is the
            one line of the error raised.

    Raises:
        DatacheckError: The pipeline failed. When a worker raised a ``DatacheckError`` (a file
            that does not parse, a missing column), that error, with its message naming the
            file and row; otherwise the runner's last error line.
    """
    try:
        with _quiet_beam() if quiet else nullcontext():
            result = pipeline.run()
            state = result.wait_until_finish()
    except errors.MissingExtraError:
        raise
    except DatacheckError as error:
        # The in-process runner re-raises the worker's own error, with the stage appended.
        raise _without_stage(error) from None
    except Exception as error:  # every runner reports a failure its own way
        raise _translate(error) from None
    if state is not None and state != PipelineState.DONE:
        raise DatacheckError(f"the Beam pipeline ended in state {state}, not DONE")


def profile_on_beam(
    source: str | Sequence[str],
    options: StatsOptions | None,
    pipeline_options: PipelineOptions,
    *,
    quiet: bool = True,
) -> DatasetProfile:
    """Profile files with a Beam pipeline and return the profile.

    The profile is written to a temporary file on this machine and read back, so on a cluster
    the temporary directory must be visible to the workers too (``TMPDIR`` on a shared mount).

    Raises:
        DatacheckError: The source cannot be read or the pipeline fails (see
            :func:`run_pipeline`).
    """
    reader = _reader(options)
    with tempfile.TemporaryDirectory(prefix="datacheck-beam-") as tmp:
        out = Path(tmp) / "profile.json"
        pipeline = beam.Pipeline(options=pipeline_options)
        _ = (
            pipeline
            | "ReadBatches" >> ReadBatches(source, options=reader)
            | "GenerateStatistics" >> GenerateStatistics(options)
            | "WriteProfile" >> WriteProfile(out)
        )
        run_pipeline(pipeline, quiet=quiet)
        # Recorded as the in-memory path records it (the workers' profile has no reader).
        return replace(load_profile(out), reader=reader)


def _reader(options: StatsOptions | None) -> ReaderOptions:
    """How files are read: the options' reader, or the defaults."""
    return options.reader if options is not None and options.reader is not None else ReaderOptions()


def _spill(batch: pa.RecordBatch, directory: str) -> None:
    """One quarantined batch to its own Arrow IPC file (written whole, then renamed)."""
    with (
        atomic_output(Path(directory) / f"{uuid.uuid4().hex}.arrow") as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, batch.schema) as out,
    ):
        out.write_batch(batch)


def _write_schema(serialized: list[bytes], path: str) -> None:
    if serialized:
        write_bytes_atomic(path, serialized[0])


def file_paths(source: object, parameter: str = "source") -> str | list[str]:
    """``source`` as the paths a Beam pipeline reads: a path, or a list of them.

    Raises:
        OptionError: ``source`` is not a path or a list of paths (a pipeline reads files; an
            in-memory table cannot be shipped to its workers).
    """
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if (
        isinstance(source, list | tuple)
        and source
        and all(isinstance(s, str | os.PathLike) for s in source)
    ):
        return [os.fspath(s) for s in source]
    raise OptionError(
        "a Beam pipeline reads files; give a path, directory or glob, or a list of them",
        parameter=parameter,
        value=type(source).__name__,
    )


def _spilled(tmp: Path, spilled: Path) -> Iterator[CheckedBatch]:
    """The quarantined rows the workers spilled, as checked batches whose rows all failed."""
    files = sorted(spilled.iterdir())
    if not files:
        # No row failed: one empty batch, so a quarantine file still gets its columns.
        read_schema = pa.ipc.read_schema(pa.py_buffer((tmp / "schema").read_bytes()))
        empty = empty_batch(read_schema.remove_metadata())
        no_rows = empty.append_column(
            pa.field(REASONS_COLUMN, REASONS_TYPE), pa.array([], REASONS_TYPE)
        )
        no_rows = no_rows.append_column(SOURCE_FILE_COLUMN, pa.array([], pa.string()))
        no_rows = no_rows.append_column(SOURCE_ROW_COLUMN, pa.array([], pa.int64()))
        yield CheckedBatch(batch=empty, quarantined=no_rows, quarantined_rows=np.arange(0))
    for file in files:
        for batch in pa.ipc.open_file(str(file)).read_all().to_batches():
            yield CheckedBatch(
                batch=batch.drop_columns([REASONS_COLUMN, *SOURCE_COLUMNS]),
                quarantined=batch,
                quarantined_rows=np.arange(batch.num_rows),
            )


def _spilled_valid(tmp: Path, spilled: Path) -> Iterator[pa.RecordBatch]:
    """The valid rows the workers spilled (one empty batch when none passed)."""
    files = sorted(spilled.iterdir())
    if not files:
        read_schema = pa.ipc.read_schema(pa.py_buffer((tmp / "schema").read_bytes()))
        yield empty_batch(read_schema.remove_metadata())
    for file in files:
        for batch in pa.ipc.open_file(str(file)).read_all().to_batches():
            yield untagged(batch)


def check_dataset_on_beam(
    source: object,
    schema: Schema,
    pipeline_options: PipelineOptions,
    *,
    baseline: object = None,
    serving: object = None,
    environment: str | None = None,
    on_quarantine: Callable[[CheckedBatch], None] | None = None,
    on_valid: Callable[[pa.RecordBatch], None] | None = None,
    strict_columns: bool = False,
    stats_options: StatsOptions | None = None,
    options: ValidationOptions | None = None,
    quiet: bool = True,
) -> DatasetCheck:
    """:func:`datacheck.validate.check_dataset` as one Beam pipeline: the files are read once.

    The workers profile every batch and, when ``on_quarantine`` is given, check every row,
    spilling the failed rows to a temporary directory (on a cluster it must be visible to
    them: ``TMPDIR`` on a shared mount). This process then validates the profile and hands
    ``on_quarantine`` the spilled rows, one :class:`CheckedBatch` per spilled batch whose
    rows all failed (an empty batch when none failed). Each quarantined row carries its file
    and row number, as in memory. ``on_valid`` gets the valid rows the same way (spilled too),
    in no particular order; without it they stay on the workers. ``strict_columns`` is
    :func:`check_dataset`'s. When rows are checked, the report's summary counts the
    quarantined rows, in all and per anomaly code.
    A baseline or serving argument that is data is profiled on Beam too.

    Raises:
        OptionError: ``environment`` is not one the schema names.
        DatacheckError: The source cannot be read or the pipeline fails (see
            :func:`run_pipeline`).
    """
    check_environment(schema, environment)

    def on_beam(data: object, stats: StatsOptions | None) -> DatasetProfile:
        return profile_on_beam(file_paths(data), stats, pipeline_options, quiet=quiet)

    reader = _reader(stats_options)
    # Baseline and serving data are read as the data is (as check_dataset reads them).
    references = [
        None if side is None else as_profile(side, StatsOptions(reader=reader), generate=on_beam)
        for side in (baseline, serving)
    ]
    with tempfile.TemporaryDirectory(prefix="datacheck-beam-") as name:
        tmp = Path(name)
        spilled, spilled_valid = tmp / "quarantine", tmp / "valid"
        spilled.mkdir()
        spilled_valid.mkdir()
        rows_wanted = on_quarantine is not None or on_valid is not None
        # Patterns and unique keys are dataset checks over the rows: counted from the
        # quarantine, on a schema of only those checks when the rows are not wanted.
        row_schema = schema if rows_wanted else pattern_key_schema(schema)
        # Row checks: their failing share is a dataset anomaly, counted from the quarantine.
        row_checks = RowCheckTally(schema, environment) if schema.row_checks else None
        if row_checks is not None and not rows_wanted:
            row_schema = row_checks.checked_schema(row_schema)
        pipeline = beam.Pipeline(options=pipeline_options)
        batches = pipeline | "ReadBatches" >> ReadBatches(file_paths(source), options=reader)
        _ = (
            batches
            | "GenerateStatistics" >> GenerateStatistics(stats_options)
            | "WriteProfile" >> WriteProfile(tmp / "profile.json")
        )
        if row_schema is not None:
            checked = batches | "ValidateBatches" >> ValidateBatches(
                row_schema, environment, strict_columns=strict_columns
            )
            _ = checked.quarantine | "SpillQuarantine" >> beam.Map(_spill, str(spilled))
            if on_valid is not None:
                _ = checked.valid | "SpillValid" >> beam.Map(_spill, str(spilled_valid))
            _ = (
                batches
                | "Schema" >> beam.Map(lambda b: b.schema.serialize().to_pybytes())
                | "OneSchema" >> beam.combiners.Sample.FixedSizeGlobally(1)
                | "WriteSchema" >> beam.Map(_write_schema, str(tmp / "schema"))
            )
        run_pipeline(pipeline, quiet=quiet)
        counts = QuarantineTally() if rows_wanted else None
        keyed = PatternKeyTally()
        if row_schema is not None:
            for result in _spilled(tmp, spilled):
                keyed.add(result)
                if row_checks is not None:
                    row_checks.add_checked(result)
                if counts is not None:
                    counts.add(result)
                if on_quarantine is not None:
                    on_quarantine(result)
        if on_valid is not None:
            for valid in _spilled_valid(tmp, spilled_valid):
                on_valid(valid)
        profile = replace(load_profile(tmp / "profile.json"), reader=reader)
    report = validate_statistics(
        profile,
        schema,
        baseline=references[0],
        serving=references[1],
        environment=environment,
        options=options,
    )
    if counts is not None:
        report = counts.summarize(report)
    report = keyed.finish(report, schema, profile, environment)
    if row_checks is not None:
        anomalies = row_checks.anomalies(rows=profile.num_rows)
        report = replace(report, anomalies=(*report.anomalies, *anomalies))
    return DatasetCheck(
        report=report, profile=profile, baseline=references[0], serving=references[1]
    )
