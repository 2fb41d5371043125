"""``datacheck validate``: data against a schema, with drift and skew, and row quarantine.

Prints a table grouped by feature (measured against expected), every drift and skew distance
against its threshold, and a one-line verdict; ``--format json`` prints only the report
document. Exit 0 when no anomaly is an error, 1 when one is, 2 for a bad request.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datacheck.cli._cmd_report import write_report
from datacheck.cli._runner_arg import add_runner_arguments, check_rows, profile_data
from datacheck.cli._schema_arg import add_schema_arguments, resolve_schema
from datacheck.cli._term import colour, format_table
from datacheck.errors import OptionError
from datacheck.io import atomic_output
from datacheck.stats import DatasetProfile, load_profile
from datacheck.validate import (
    Anomaly,
    CheckedBatch,
    Severity,
    ValidationReport,
    validate_statistics,
)

__all__ = ["register"]

_WIDTH = 80
_QUARANTINE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
                       ".ndjson": "jsonl"}


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
    parser.add_argument("--baseline", metavar="DATA|PROFILE",
                        help="earlier data (or its profile .json) to measure drift against")
    parser.add_argument("--serving", metavar="DATA|PROFILE",
                        help="serving data (or its profile .json) to measure skew against")
    parser.add_argument("--environment", metavar="ENV",
                        help="validate as in this environment (one the schema defines)")
    parser.add_argument("--quarantine", metavar="FILE",
                        help="write the rows that fail a check, with their reasons "
                             "(.parquet or .jsonl)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or the JSON report document only")
    parser.add_argument("--report", metavar="FILE",
                        help="also write a self-contained HTML report (charts, drift, schema)")
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def _profile_of(source: str, args: argparse.Namespace) -> DatasetProfile:
    """A profile file (.json) is read; anything else is data and is profiled (on Beam with
    ``--runner``)."""
    path = Path(source)
    if path.suffix == ".json" and path.is_file():
        return load_profile(path)
    return profile_data(args, source)


def _quarantine_format(path: str) -> str:
    fmt = _QUARANTINE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise OptionError(
            f"--quarantine {path}: unknown extension; use .parquet or .jsonl"
        )
    return fmt


def _json_value(value: Any) -> Any:
    # JSON has no NaN or infinity; write them as the strings a reader can recognise.
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def write_quarantine(results: Iterable[CheckedBatch], path: str) -> tuple[int, int]:
    """Write the quarantined rows atomically; return (quarantined rows, input rows)."""
    fmt = _quarantine_format(path)
    bad = total = 0
    with atomic_output(path) as tmp:
        if fmt == "parquet":
            writer: pq.ParquetWriter | None = None
            schema: pa.Schema | None = None
            for r in results:
                total += r.batch.num_rows
                bad += r.quarantined.num_rows
                schema = r.quarantined.schema
                if writer is None:
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_batch(r.quarantined)
            if writer is None:
                raise OptionError(f"--quarantine {path}: the data has no batches to write")
            writer.close()
        else:
            with open(tmp, "w", encoding="utf-8") as out:
                for r in results:
                    total += r.batch.num_rows
                    bad += r.quarantined.num_rows
                    for row in r.quarantined.to_pylist():
                        out.write(json.dumps(_json_value(row), allow_nan=False) + "\n")
    return bad, total


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
        lines += ["", format_table(
            ("feature", "kind", "method", "distance", "threshold", ""), rows, width=_WIDTH
        ), "* the schema's comparator: over its threshold is an anomaly"]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = (
        colour("FAIL", "red", sys.stdout) if errors else colour("PASS", "green", sys.stdout)
    )
    lines += ["", f"{verdict}: {errors} error(s), {warnings} warning(s)"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Validate; return 1 when the report has an error-level anomaly, else 0."""
    schema = resolve_schema(args)
    if args.quarantine is not None:
        _quarantine_format(args.quarantine)
    profile = _profile_of(args.data, args)
    baseline = None if args.baseline is None else _profile_of(args.baseline, args)
    serving = None if args.serving is None else _profile_of(args.serving, args)
    report = validate_statistics(
        profile, schema, baseline=baseline, serving=serving, environment=args.environment
    )
    note = None
    if args.quarantine is not None:
        bad, total = check_rows(args, args.data, schema, args.quarantine, write_quarantine)
        note = f"quarantined {bad:,} of {total:,} rows to {args.quarantine}"
    if args.report is not None:
        sources = {k: v for k, v in (("data", args.data), ("baseline", args.baseline),
                                     ("serving", args.serving), ("schema", args.schema)) if v}
        write_report(args.report, profile, baseline=baseline, schema=schema, validation=report,
                     sources=sources)
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
