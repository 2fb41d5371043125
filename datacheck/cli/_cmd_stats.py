"""``datacheck stats``: profile data, write the profile, print a short summary.

The summary fits in 80 columns: rows, features by type, then one line per feature (missing
share, distinct values, min / median / max or the top value). ``--format json`` prints the
profile document alone on stdout instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from datacheck._format import DASH, value_formatter
from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import add_runner_arguments, profile_data
from datacheck.cli._term import colour, format_table
from datacheck.stats import (
    QUANTILE_LABELS,
    DatasetProfile,
    FeatureStatistics,
    NumericStatistics,
    StatsOptions,
    save_profile,
)

__all__ = ["quantile_lines", "register", "summary"]


def register(subparsers: Any) -> None:
    """Add the ``stats`` command."""
    parser = subparsers.add_parser(
        "stats",
        help="profile data: counts, distributions, distinct and top values",
        description=(
            "Profile one or more data files (CSV, Parquet, JSON Lines; directories and globs "
            "too) and print a summary. The profile (JSON, with the sketches needed to merge "
            "it later) goes to -o FILE."
        ),
    )
    parser.add_argument("data", nargs="+", metavar="DATA", help="data files, folders or globs")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the profile here (JSON)")
    parser.add_argument(
        "--slice-by",
        action="append",
        default=[],
        metavar="COL",
        help="also profile each value of COL on its own (repeat for combinations)",
    )
    parser.add_argument("--weight", metavar="COL", help="weight each row by the number in COL")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a summary (default); json: the profile document alone on stdout",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="text: also every numeric feature's quantiles, labelled p0 (min) to p100 (max)",
    )
    add_reader_arguments(parser)
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Profile ``args.data``; write and summarise the profile. Returns the exit code (0)."""
    options = StatsOptions(
        weight=args.weight, slice_by=tuple(args.slice_by), reader=reader_options(args)
    )
    source = args.data[0] if len(args.data) == 1 else list(args.data)
    profile = profile_data(args, source, options)
    if args.output:
        save_profile(profile, args.output)
    if args.format == "json":
        json.dump(profile.to_dict(), sys.stdout, allow_nan=False, indent=1)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(summary(profile) + "\n")
    if args.verbose:
        sys.stdout.write(quantile_lines(profile))
    if args.output:
        sys.stdout.write(f"profile written to {args.output}\n")
    else:
        hint = colour("not written; add -o FILE to keep it", "dim", sys.stdout)
        sys.stdout.write(f"profile {hint}\n")
    return 0


def _numeric_distinct(n: NumericStatistics) -> str:
    """An exact count, ``>1,000`` past the exact cap, or nothing where it was not counted."""
    if n.distinct is not None:
        return f"{n.distinct:,}"
    if n.distinct_lower_bound:
        return f">{n.distinct_lower_bound - 1:,}"
    return ""


def _describe(feature: FeatureStatistics) -> tuple[str, str]:
    """(distinct values, range or top value) of one feature, as short text."""
    if feature.numeric is not None and feature.numeric.num_values:
        n = feature.numeric
        shown = value_formatter(feature)
        spread = " / ".join(DASH if v is None else shown(v) for v in (n.min, n.median, n.max))
        if n.num_nan:
            spread += f" ({n.num_nan:,} NaN)"
        return _numeric_distinct(n), spread
    if feature.string is not None and feature.string.num_values:
        s = feature.string
        distinct = f"{s.distinct:,.0f}" if s.distinct_exact else f"~{s.distinct:,.0f}"
        if not s.top_values:
            return distinct, "no frequent value"
        top = s.top_values[0]
        share = top.count / s.num_values
        return distinct, f"{top.value!r} {share:.0%}"
    if feature.bool is not None and feature.bool.num_true + feature.bool.num_false:
        b = feature.bool
        total = b.num_true + b.num_false
        return "2" if b.num_true and b.num_false else "1", f"true {b.num_true / total:.0%}"
    if feature.bytes is not None and feature.bytes.num_values:
        by = feature.bytes
        text = f"{by.min_length}-{by.max_length} bytes"
        if by.num_invalid_utf8:
            text += f", {by.num_invalid_utf8:,} not UTF-8"
        return "", text
    return "", "-"


def summary(profile: DatasetProfile) -> str:
    """The profile as a short human summary, at most 80 columns wide."""
    types = Counter(str(f.type) for f in profile.features.values())
    by_type = ", ".join(f"{count} {name}" for name, count in types.most_common())
    lines = [f"{profile.num_rows:,} rows, {len(profile.features)} features ({by_type or 'none'})"]
    if profile.weighted_num_rows is not None:
        lines.append(f"weighted rows: {profile.weighted_num_rows:,.4g}")
    rows = []
    for feature in profile.features.values():
        distinct, spread = _describe(feature)
        kind = str(feature.type) + ("[]" if feature.value_counts is not None else "")
        flag = " (mixed)" if feature.mixed_types else ""
        # Zero rows have no missing share (nothing is missing, nothing is present).
        n = profile.num_rows
        missing = f"{feature.num_missing / n:.1%}" if n else "-"
        rows.append([feature.path + flag, kind, missing, distinct, spread])
    lines.append(
        format_table(
            ["feature", "type", "missing", "unique", "min / median / max, or top value"],
            rows,
            width=80,
        )
    )
    for skipped in profile.skipped:
        lines.append(f"skipped {skipped.path} ({skipped.arrow_type}): {skipped.reason}")
    if profile.slices:
        keys = ", ".join(profile.slices)
        text = f"{len(profile.slices)} slices: {keys}"
        lines.append(text if len(text) <= 80 else text[:79] + "…")
    return "\n".join(lines)


def _packed(items: list[str], width: int, indent: str) -> list[str]:
    """Items on as few lines as fit ``width``, two spaces apart; an item is never split."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 2 + len(item) <= width:
            lines[-1] += "  " + item
        else:
            lines.append(indent + item)
    return lines


def quantile_lines(profile: DatasetProfile) -> str:
    """Each numeric feature's quantiles, labelled (``p0 1  p1 3  ...  p100 97``), under the
    feature's name in 80 columns; empty when no feature has any."""
    lines = []
    for feature in profile.features.values():
        n = feature.numeric
        if n is None or not n.quantiles:
            continue
        shown = value_formatter(feature)
        # The ends are the exact extremes (exact ints too), the rest the sketch's quantiles.
        values = (n.min, *n.quantiles[1:-1], n.max)
        items = [
            f"{label} {DASH if v is None else shown(v)}"
            for label, v in zip(QUANTILE_LABELS, values, strict=False)
        ]
        lines.append(feature.path if len(feature.path) <= 80 else feature.path[:79] + "…")
        lines += _packed(items, 80, "  ")
    if not lines:
        return ""
    head = "quantiles (p0 is the minimum, p50 the median, p100 the maximum):"
    return "\n".join([head, *lines]) + "\n"
