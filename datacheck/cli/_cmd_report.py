"""``datacheck report``: write the HTML report of data (or a profile), against a baseline.

With ``--schema`` the data is validated and the schema shown beside the statistics. With
``--baseline`` and no schema, every feature's drift is measured with the default comparators
(:func:`datacheck.schema.drift_schema`) and nothing else
is checked. The page is self-contained: it opens offline and requests nothing.

Exit 0 when the report holds no error-level anomaly, 1 when it does, 2 for a bad request.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import profile_data
from datacheck.cli._schema_arg import add_schema_arguments, resolve_schema
from datacheck.errors import OptionError
from datacheck.report import measurement_status, write_html
from datacheck.schema import Schema, drift_schema
from datacheck.stats import DatasetProfile, StatsOptions
from datacheck.validate import ValidationReport, validate_statistics

__all__ = ["register", "write_report"]


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report: statistics, charts, drift, anomalies",
        description=(
            "Write one HTML file describing DATA (or a profile .json): per feature its type, "
            "missing share, distinct count, quantiles and a chart, with the baseline drawn "
            "over it; drift distances against their thresholds; anomalies against --schema. "
            "The file loads nothing from the network. Exit 1 when it holds an error-level "
            "anomaly."
        ),
    )
    parser.add_argument(
        "data", metavar="DATA|PROFILE", help="data file, folder or glob, or a profile .json"
    )
    parser.add_argument(
        "--baseline",
        metavar="DATA|PROFILE",
        help="earlier data (or its profile .json) to compare with",
    )
    add_schema_arguments(parser, required=False)
    parser.add_argument(
        "--environment",
        metavar="ENV",
        help="validate as in this environment (one the schema defines)",
    )
    parser.add_argument("--title", default="datacheck report", help="the page title")
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="where to write the HTML report"
    )
    add_reader_arguments(parser)
    parser.set_defaults(run=run)


def write_report(
    path: str,
    profile: DatasetProfile,
    *,
    baseline: DatasetProfile | None,
    schema: Schema | None,
    validation: ValidationReport | None,
    sources: Mapping[str, str],
    title: str = "datacheck report",
) -> None:
    """Write the HTML report to ``path`` and say so on stderr (stdout may hold a document)."""
    size = write_html(
        path,
        profile,
        baseline=baseline,
        schema=schema,
        validation=validation,
        sources=sources,
        title=title,
    )
    print(f"report written to {path} ({size / 1024:,.0f} KiB)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Profile, validate when asked, and write the report; 1 when it holds an error."""
    if args.environment is not None and args.schema is None:
        raise OptionError(
            f"--environment {args.environment}: needs --schema FILE|NAME, "
            "which defines the environments"
        )
    schema = None if args.schema is None else resolve_schema(args)
    # Read as the schema's data was, unless told otherwise; the baseline as the data.
    read = StatsOptions(reader=reader_options(args, None if schema is None else schema.reader))
    profile = profile_data(None, args.data, read)
    baseline = None if args.baseline is None else profile_data(None, args.baseline, read)
    sources = {"data": args.data}
    if baseline is not None:
        sources["baseline"] = args.baseline
    validation = None
    if schema is not None:
        sources["schema"] = args.schema
        validation = validate_statistics(
            profile, schema, baseline=baseline, environment=args.environment
        )
    elif baseline is not None:
        sources["drift"] = "default comparators (no --schema)"
        validation = validate_statistics(profile, drift_schema(baseline), baseline=baseline)
    write_report(
        args.output,
        profile,
        baseline=baseline,
        schema=schema,
        validation=validation,
        sources=sources,
        title=args.title,
    )
    if validation is not None:
        drifted = {
            m.path
            for m in validation.measurements
            if measurement_status(m, validation.anomalies).flagged
        }
        print(
            f"{len(validation.errors)} error(s), {len(validation.warnings)} warning(s), "
            f"{len(drifted)} drifted feature(s)"
        )
    return 1 if validation is not None and validation.errors else 0
