"""``datacheck validate``: data against a schema, with drift and skew, and row quarantine.

Prints the anomalies, a table of only the features with something to say (an anomaly, or a
distance of the schema's comparator over its threshold) and a one-line verdict; ``--verbose``
adds every drift and skew distance (``_validate_text``); ``--format json`` prints only the
report document. Exit 0 when no anomaly is an error, 1 when one is, 2 for a bad request.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from typing import Any, TypeVar

from datacheck.cli._cmd_report import write_report
from datacheck.cli._engine_arg import check_on_engine, engine_of
from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import add_runner_arguments, pipeline_options
from datacheck.cli._schema_arg import add_schema_arguments, resolve_schema
from datacheck.cli._term import ProgressBar
from datacheck.cli._validate_text import render_validation_text
from datacheck.errors import OptionError
from datacheck.io import QuarantineWriter, ValidWriter
from datacheck.schema import Schema
from datacheck.stats import StatsOptions
from datacheck.validate import (
    DatasetCheck,
    ValidationReport,
    check_dataset,
)

__all__ = ["register"]

W = TypeVar("W", QuarantineWriter, ValidWriter)


def register(subparsers: Any) -> None:
    """Add the ``validate`` command."""
    parser = subparsers.add_parser(
        "validate",
        help="check data against a schema; measure drift and skew",
        description=(
            "Check DATA against a schema: types, presence, domains, ranges, row counts; "
            "with --baseline or --serving, measure drift or skew of every feature. "
            "Exit 0: no error-level anomaly; 1: error-level anomalies; 2: bad request."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="data file, directory or glob")
    add_schema_arguments(parser)
    parser.add_argument(
        "--baseline",
        metavar="DATA|PROFILE",
        help="earlier data (or its profile .json) to measure drift against",
    )
    parser.add_argument(
        "--serving",
        metavar="DATA|PROFILE",
        help="serving data (or its profile .json) to measure skew against",
    )
    parser.add_argument(
        "--environment",
        metavar="ENV",
        help="validate as in this environment (one the schema defines)",
    )
    parser.add_argument(
        "--quarantine",
        metavar="FILE",
        help=(
            "write the rows that fail a check, with their reasons, file and row number "
            "(.parquet, .jsonl or .csv)"
        ),
    )
    parser.add_argument(
        "--valid-out",
        metavar="FILE",
        help="write the rows that pass every check (.parquet, .jsonl or .csv)",
    )
    parser.add_argument(
        "--strict-columns",
        action="store_true",
        help=(
            "also quarantine every row for a column the schema expects that the data lacks "
            "(by default a missing column is a dataset-level anomaly only)"
        ),
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or the JSON report document only",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="text: also every drift and skew distance, and what each anomaly measured",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write a self-contained HTML report (charts, drift, schema)",
    )
    add_reader_arguments(parser)
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def render_text(report: ValidationReport, source: str, *, verbose: bool = False) -> str:
    """The human report: anomalies, the features with something to say, a one-line verdict."""
    return render_validation_text(report, source, verbose=verbose)


def _check(
    args: argparse.Namespace, schema: Schema, on_quarantine: Any, on_valid: Any = None
) -> DatasetCheck:
    """The use case, in memory or on Beam (``--runner``); the data is read once.

    Data, baseline and serving data are read as the schema recorded (as the data it was
    inferred from was read), with the reading options given on the command line in their place.
    """
    read = StatsOptions(reader=reader_options(args, schema.reader))
    if engine_of(args) in ("spark", "dask"):  # --engine (see _engine_arg.py)
        return check_on_engine(args, schema, read, on_quarantine, on_valid)
    if args.runner is not None:
        from datacheck.beam import check_dataset_on_beam

        return check_dataset_on_beam(
            args.data,
            schema,
            pipeline_options(args),
            baseline=args.baseline,
            serving=args.serving,
            environment=args.environment,
            on_quarantine=on_quarantine,
            on_valid=on_valid,
            strict_columns=args.strict_columns,
            stats_options=read,
        )
    with ProgressBar(label=f"validating {args.data}") as bar:
        return check_dataset(
            args.data,
            schema,
            baseline=args.baseline,
            serving=args.serving,
            environment=args.environment,
            on_quarantine=on_quarantine,
            on_valid=on_valid,
            strict_columns=args.strict_columns,
            stats_options=read,
            progress=bar.update,
        )


def _row_writer(kind: type[W], path: str, parameter: str) -> W:
    try:
        return kind(path)
    except OptionError as error:  # the core names its parameter; this command has a flag
        raise OptionError(error.reason, parameter=parameter, value=path) from None


def _row_notes(args: argparse.Namespace, report: ValidationReport, bad: Any, good: Any) -> str:
    """Where the rows went, and the quarantined rows per reason (anomaly code)."""
    lines = []
    total = report.summary.row_count
    if bad is not None:
        lines.append(f"quarantined {bad.rows:,} of {total:,} rows to {args.quarantine}")
    if good is not None:
        lines.append(f"wrote {good.rows:,} valid rows of {total:,} to {args.valid_out}")
    by_code = report.summary.quarantined_by_code or {}
    if by_code:
        lines.append("quarantined rows per reason:")
        width = len(f"{max(by_code.values()):,}")
        lines += [f"  {count:>{width},}  {code}" for code, count in by_code.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Validate; return 1 when the report has an error-level anomaly, else 0."""
    schema = resolve_schema(args)
    with ExitStack() as files:
        bad = good = None
        if args.quarantine is not None:
            bad = files.enter_context(_row_writer(QuarantineWriter, args.quarantine, "quarantine"))
        if args.valid_out is not None:
            good = files.enter_context(_row_writer(ValidWriter, args.valid_out, "valid_out"))
        done = _check(
            args,
            schema,
            None if bad is None else (lambda checked: bad.write(checked.quarantined)),
            None if good is None else good.write,
        )
    note = _row_notes(args, done.report, bad, good) or None
    report = done.report
    if args.report is not None:
        sources = {
            k: v
            for k, v in (
                ("data", args.data),
                ("baseline", args.baseline),
                ("serving", args.serving),
                ("schema", args.schema),
            )
            if v
        }
        write_report(
            args.report,
            done.profile,
            baseline=done.baseline,
            schema=schema,
            validation=report,
            sources=sources,
        )
    if args.format == "json":
        print(report.to_json())
        if note is not None:
            # stdout holds the report document only
            print(note, file=sys.stderr)
    else:
        print(render_text(report, args.data, verbose=args.verbose))
        if note is not None:
            print(note)
    return 1 if report.errors else 0
