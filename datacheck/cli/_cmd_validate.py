"""``datacheck validate``: data against a schema, with drift and skew, and row quarantine.

Prints a table grouped by feature (measured against expected), every drift and skew distance
against its threshold, and a one-line verdict; ``--format json`` prints only the report
document. Exit 0 when no anomaly is an error, 1 when one is, 2 for a bad request.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

from datacheck.cli._cmd_report import write_report
from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import add_runner_arguments, pipeline_options
from datacheck.cli._schema_arg import add_schema_arguments, resolve_schema
from datacheck.cli._term import ProgressBar, colour, format_table
from datacheck.errors import OptionError
from datacheck.io import QuarantineWriter
from datacheck.schema import Schema
from datacheck.stats import StatsOptions
from datacheck.validate import (
    Anomaly,
    DatasetCheck,
    Severity,
    ValidationReport,
    check_dataset,
)

__all__ = ["register"]

_WIDTH = 80


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
        help="write the rows that fail a check, with their reasons (.parquet or .jsonl)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or the JSON report document only",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write a self-contained HTML report (charts, drift, schema)",
    )
    add_reader_arguments(parser)
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items() if v is not None) or "-"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _feature_block(path: str | None, anomalies: list[Anomaly]) -> Iterator[str]:
    # A feature name longer than the terminal wraps rather than overflow it.
    name = path if path is not None else "(dataset)"
    for line in textwrap.wrap(name, _WIDTH, break_on_hyphens=False) or [name]:
        yield colour(line, "bold", sys.stdout)
    for a in anomalies:
        label = a.severity.value.upper().ljust(7)
        shown = (
            colour(label, "red", sys.stdout)
            if a.severity is Severity.ERROR
            else colour(label, "yellow", sys.stdout)
        )
        yield f"  {shown} {a.code}"
        for line in textwrap.wrap(a.message, _WIDTH - 10):
            yield f"          {line}"
        detail = f"measured: {_show(a.measured)}   expected: {_show(a.expected)}"
        for line in textwrap.wrap(detail, _WIDTH - 10):
            yield colour(f"          {line}", "dim", sys.stdout)


def render_text(report: ValidationReport, source: str) -> str:
    """The human report: anomalies grouped by feature, distances, a one-line verdict."""
    s = report.summary
    head = f"{source}: {s.row_count:,} rows, {s.features_checked} features checked"
    if s.baseline_row_count is not None:
        head += f"; baseline {s.baseline_row_count:,} rows"
    if s.serving_row_count is not None:
        head += f"; serving {s.serving_row_count:,} rows"
    if s.environment is not None:
        head += f"; environment {s.environment}"
    lines = textwrap.wrap(head, _WIDTH)
    by_path: dict[str | None, list[Anomaly]] = {}
    for a in report.anomalies:
        by_path.setdefault(a.path, []).append(a)
    if by_path:
        lines.append("")
        for path in sorted(by_path, key=lambda p: (p is not None, p or "")):
            lines.extend(_feature_block(path, by_path[path]))
    if report.measurements:
        rows = [
            (
                m.path if m.path is not None else "(rows)",
                m.kind.value,
                m.method + ("*" if m.enforced else ""),
                m.distance,
                m.threshold,
                "OVER" if m.exceeded else "ok",
            )
            for m in sorted(report.measurements, key=lambda m: (m.path or "", m.kind, m.method))
        ]
        lines += [
            "",
            format_table(
                ("feature", "kind", "method", "distance", "threshold", ""), rows, width=_WIDTH
            ),
            "* the schema's comparator: over its threshold is an anomaly",
        ]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = colour("FAIL", "red", sys.stdout) if errors else colour("PASS", "green", sys.stdout)
    lines += ["", f"{verdict}: {errors} error(s), {warnings} warning(s)"]
    return "\n".join(lines)


def _check(args: argparse.Namespace, schema: Schema, on_quarantine: Any) -> DatasetCheck:
    """The use case, in memory or on Beam (``--runner``); the data is read once.

    Data, baseline and serving data are read as the schema recorded (as the data it was
    inferred from was read), with the reading options given on the command line in their place.
    """
    read = StatsOptions(reader=reader_options(args, schema.reader))
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
            stats_options=read,
            progress=bar.update,
        )


def _quarantine_writer(path: str) -> QuarantineWriter:
    try:
        return QuarantineWriter(path)
    except OptionError as error:  # the core names its parameter; this command has a flag
        raise OptionError(error.reason, parameter="quarantine", value=path) from None


def run(args: argparse.Namespace) -> int:
    """Validate; return 1 when the report has an error-level anomaly, else 0."""
    schema = resolve_schema(args)
    note = None
    if args.quarantine is None:
        done = _check(args, schema, None)
    else:
        with _quarantine_writer(args.quarantine) as out:
            done = _check(args, schema, lambda checked: out.write(checked.quarantined))
        note = (
            f"quarantined {out.rows:,} of {done.report.summary.row_count:,} rows to "
            f"{args.quarantine}"
        )
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
        print(render_text(report, args.data))
        if note is not None:
            print(note)
    return 1 if report.errors else 0
