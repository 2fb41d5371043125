"""``datacheck skew``: training and serving examples joined on keys, per-feature mismatches.

Exit 1 when a feature's mismatch rate is over ``--max-mismatch-rate`` (default 0: any
mismatch of the same example is skew), else 0; 2 for a bad request.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

import pyarrow as pa

from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._term import colour, format_table
from datacheck.errors import OptionError
from datacheck.io import ReaderOptions, read_batches
from datacheck.validate import SkewReport, detect_feature_skew

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``skew`` command."""
    parser = subparsers.add_parser(
        "skew",
        help="join training and serving examples on keys; report per-feature mismatches",
        description=(
            "Join TRAIN and SERVING on the key columns and compare each shared feature of "
            "the same example (TFDV's feature skew). Keys found on one side only are counted."
        ),
    )
    parser.add_argument("train", metavar="TRAIN", help="training data")
    parser.add_argument("serving", metavar="SERVING", help="serving data")
    parser.add_argument(
        "--key",
        nargs="+",
        required=True,
        metavar="COL",
        help="columns that identify an example on both sides",
    )
    parser.add_argument(
        "--max-mismatch-rate",
        type=float,
        default=0.0,
        metavar="RATE",
        help="exit 1 when a feature's mismatch rate is above this (default 0)",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=3,
        metavar="N",
        help="example keys shown per feature (default 3)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="text: every feature, also those that match"
    )
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="where to join: local (in memory, the default) or spark (Spark's own readers "
        "and joins; pip install 'datacheck-ml[spark]')",
    )
    parser.add_argument(
        "--spark-master",
        metavar="URL",
        help="the Spark master for --engine spark (default: a local Spark on 2 cores)",
    )
    add_reader_arguments(parser)
    parser.set_defaults(run=run)


def _read(source: str, options: ReaderOptions) -> pa.Table:
    return pa.Table.from_batches(list(read_batches(source, options=options)))


def render_text(report: SkewReport, *, verbose: bool = False) -> str:
    """The skew report: the join's counts and a table of the features that differ (every
    feature with ``verbose``); the features that match are counted in one line."""
    lines = textwrap.wrap(
        f"joined on {', '.join(report.keys)}: {report.joined:,} keys on both sides; "
        f"{report.train_only_keys:,} training rows and {report.serving_only_keys:,} serving "
        "rows have a key the other side lacks",
        80,
    )
    if report.train_duplicate_keys or report.serving_duplicate_keys:
        lines.append(
            f"duplicate keys: {report.train_duplicate_keys:,} training rows, "
            f"{report.serving_duplicate_keys:,} serving rows (compared pairwise)"
        )
    rows = [
        (
            f.feature,
            f.compared,
            f.mismatches,
            f.mismatch_rate,
            f.not_compared or "; ".join(",".join(str(v) for v in e.values()) for e in f.examples),
        )
        for f in report.features
        if verbose or f.mismatches or f.not_compared
    ]
    if rows:
        headers = ("feature", "compared", "mismatches", "rate", "example keys")
        lines += ["", format_table(headers, rows)]
    same = sum(not (f.mismatches or f.not_compared) for f in report.features)
    if same and not verbose:
        lines.append(f"{same:,} feature{'s' * (same != 1)} equal on every joined key")
    for side, names in (
        ("training", report.train_only_features),
        ("serving", report.serving_only_features),
    ):
        if names:
            lines.append(f"only in {side}: {', '.join(names)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Detect skew; return 1 when a feature's mismatch rate is over the limit."""
    read = reader_options(args)
    if args.engine == "spark":
        from datacheck.spark import detect_feature_skew_spark, read_spark, spark_session

        with spark_session(args.spark_master) as spark:
            report = detect_feature_skew_spark(
                read_spark(spark, args.train, read),
                read_spark(spark, args.serving, read),
                args.key,
                max_examples=args.examples,
            )
    else:
        if args.spark_master is not None:
            raise OptionError(
                "a Spark master needs the spark engine", parameter="engine", value=args.engine
            )
        report = detect_feature_skew(
            _read(args.train, read), _read(args.serving, read), args.key, max_examples=args.examples
        )
    worst = max((f.mismatch_rate for f in report.features), default=0.0)
    failed = worst > args.max_mismatch_rate
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, allow_nan=False))
    else:
        print(render_text(report, verbose=args.verbose))
        verdict = colour("SKEW", "red", sys.stdout) if failed else colour("OK", "green", sys.stdout)
        print(f"\n{verdict}: highest mismatch rate {worst:.4g} (limit {args.max_mismatch_rate:g})")
    return 1 if failed else 0
