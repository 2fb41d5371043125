"""``datacheck schema log|show|diff|update``: the versioned schema store from the command line.

``log NAME`` lists versions; ``show NAME[@VERSION]`` prints one (a file path works too);
``diff A B`` lists the changes between two schemas (``NAME@1 NAME@2`` or two files), each
marked compatible or breaking under ``--mode``; ``update NAME DATA|PROFILE`` relaxes the latest
version to accept new data and saves the result as the next version, printing each relaxation
(old -> new), a warning for each large one, and the errors an update cannot fix (exit 1 then);
``set NAME FEATURE --drift off|warn|error`` says how a feature's drift counts and saves the
result as the next version.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import profile_data
from datacheck.cli._schema_arg import add_store_argument, store_from_args
from datacheck.cli._term import Style, colour, format_table
from datacheck.schema import (
    BoolDomain,
    CompatibilityMode,
    Feature,
    FloatDomain,
    IntDomain,
    Schema,
    SchemaChange,
    StringDomain,
    TimeDomain,
    check_compatible,
    diff_schemas,
    large_relaxations,
    parse_schema_ref,
    update_schema,
    with_drift_level,
)
from datacheck.stats import StatsOptions
from datacheck.validate import unfixed_anomalies

__all__ = ["register"]

_WIDTH = 80

#: --drift's choices -> the schema's drift levels
_DRIFT_CHOICES = {"off": "off", "warn": "warning", "error": "error"}


def register(subparsers: Any) -> None:
    """Add the ``schema`` command and its subcommands."""
    parser = subparsers.add_parser(
        "schema",
        help="the schema store: log, show, diff, update",
        description="Inspect and evolve the versioned schemas in the store.",
    )
    sub = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", required=True)

    log = sub.add_parser("log", help="list the versions of a schema, oldest first")
    log.add_argument("name", metavar="NAME")
    add_store_argument(log)
    log.set_defaults(run=run_log)

    show = sub.add_parser("show", help="print a schema (the latest version unless @VERSION)")
    show.add_argument("ref", metavar="NAME[@VERSION]|FILE")
    show.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text table (default) or the JSON document",
    )
    add_store_argument(show)
    show.set_defaults(run=run_show)

    diff = sub.add_parser("diff", help="the changes from schema A to schema B, classified")
    diff.add_argument("old", metavar="A", help="NAME@VERSION or a schema file")
    diff.add_argument("new", metavar="B", help="NAME@VERSION or a schema file")
    diff.add_argument(
        "--mode",
        choices=[m.value for m in CompatibilityMode],
        default=CompatibilityMode.BACKWARD.value,
        help="which changes count as breaking (default BACKWARD: existing data must stay valid)",
    )
    diff.add_argument("--check", action="store_true", help="exit 1 when a change breaks --mode")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    add_store_argument(diff)
    diff.set_defaults(run=run_diff)

    update = sub.add_parser(
        "update", help="relax the latest version to accept new data; save the next version"
    )
    update.add_argument("name", metavar="NAME")
    update.add_argument("source", metavar="DATA|PROFILE", help="new data, or its profile (.json)")
    update.add_argument(
        "-m", "--message", default="", metavar="TEXT", help="why this version exists"
    )
    update.add_argument(
        "--dry-run", action="store_true", help="print the changes without saving a version"
    )
    add_store_argument(update)
    add_reader_arguments(update)
    update.set_defaults(run=run_update)

    set_ = sub.add_parser("set", help="set how a feature's drift counts; save the next version")
    set_.add_argument("name", metavar="NAME")
    set_.add_argument("feature", metavar="FEATURE")
    set_.add_argument(
        "--drift",
        choices=tuple(_DRIFT_CHOICES),
        required=True,
        help="error: drift fails validation; warn: it is reported; off: measured only",
    )
    set_.add_argument("-m", "--message", default="", metavar="TEXT", help="why this version exists")
    add_store_argument(set_)
    set_.set_defaults(run=run_set)


def run_log(args: argparse.Namespace) -> int:
    """Print the version history as a table."""
    history = store_from_args(args).history(args.name)
    rows = [
        [r.version, r.created[:19].replace("T", " "), r.parent, r.content_hash[:10], r.message]
        for r in history
    ]
    print(format_table(["version", "saved (UTC)", "parent", "hash", "message"], rows, width=_WIDTH))
    return 0


def _domain_text(f: Feature) -> str:
    d = f.domain
    if isinstance(d, StringDomain):
        shown = ", ".join(d.values[:3])
        more = f", +{len(d.values) - 3}" if len(d.values) > 3 else ""
        return f"{{{shown}{more}}}"
    if isinstance(d, IntDomain | FloatDomain):
        low = "-inf" if d.min is None else f"{d.min:g}"
        high = "inf" if d.max is None else f"{d.max:g}"
        flags = " no NaN" if isinstance(d, FloatDomain) and d.disallow_nan else ""
        return f"[{low}, {high}]{flags}"
    if isinstance(d, BoolDomain):
        return "bool"
    if isinstance(d, TimeDomain):
        return f"[{d.min or '-inf'}, {d.max or 'inf'}]"
    sl = f.string_length
    if sl is not None:
        return f"{sl.min or 0}..{'' if sl.max is None else sl.max} chars"
    return ""


def _feature_row(f: Feature) -> list[object]:
    presence = "required" if f.presence.required else f"{f.presence.min_fraction:.0%}+"
    if f.value_count is not None:
        vc = f.value_count
        presence += f" list[{vc.min or 0}..{'' if vc.max is None else vc.max}]"
    drift = (
        ""
        if f.drift_comparator is None
        else (f"{f.drift_comparator.method} {f.drift_comparator.threshold:g}")
    )
    if drift and f.drift_level != "error":
        drift += " warn" if f.drift_level == "warning" else " off"
    if f.freshness is not None:
        drift = f"{drift}, fresh" if drift else "fresh"
    name = f"{f.name} (deprecated)" if f.deprecated else f.name
    domain = _domain_text(f)
    if f.pattern is not None:
        share = f.pattern.max_mismatch_fraction
        allowed = f" ({share:.1%} may differ)" if share else ""
        domain = f"{domain} /{f.pattern.regex}/{allowed}".strip()
    return [name, str(f.type), presence, domain, drift]


def _render(schema: Schema, title: str) -> str:
    lines = [f"{title}: version {schema.version}, {len(schema.features)} features"]
    if schema.description:
        lines += textwrap.wrap(schema.description, _WIDTH)
    if schema.default_environments:
        lines.append(f"default environments: {', '.join(schema.default_environments)}")
    d = schema.dataset
    if d.min_row_count is not None or d.max_row_count is not None:
        lines.append(f"rows: {d.min_row_count or 0} to {d.max_row_count or 'any'}")
    if schema.unique_keys:
        keys = "; ".join(f"({', '.join(key)})" for key in schema.unique_keys)
        lines.append(f"unique keys: {keys}")
    rows = [_feature_row(f) for f in schema.features]
    lines.append(
        format_table(["feature", "type", "presence", "domain", "drift"], rows, width=_WIDTH)
    )
    if schema.row_checks:
        checks = [[c.name, c.rule] for c in schema.row_checks]
        lines.append(format_table(["row check", "rule"], checks, width=_WIDTH))
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    """Print one schema as a table or as its JSON document."""
    store = store_from_args(args)
    schema = store.resolve(args.ref)
    if args.format == "json":
        sys.stdout.write(json.dumps(schema.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        print(_render(schema, args.ref))
    return 0


def _diff_ref(ref: str, other: str) -> str:
    # "diff taxi@1 @2" reads as "taxi@1 taxi@2": the name may be left out of B.
    if ref.startswith("@") and "@" in other:
        return parse_schema_ref(other)[0] + ref
    return ref


def _change_line(c: SchemaChange, violated: bool) -> str:
    # Wrapped, not cut: the end of a message about a long feature name says what changed.
    # Wrap before colouring, so the escape codes do not count against the width.
    label = "BREAKING" if violated else "ok"
    lines = textwrap.wrap(
        c.message,
        _WIDTH,
        initial_indent=" " * 10,
        subsequent_indent=" " * 10,
        break_on_hyphens=False,
    ) or [" " * 10]
    head = colour(label, "red", sys.stdout) if violated else label
    return "\n".join([head + " " * (10 - len(label)) + lines[0][10:], *lines[1:]])


def run_diff(args: argparse.Namespace) -> int:
    """Print the classified changes; with --check, exit 1 when one breaks --mode."""
    store = store_from_args(args)
    old = store.resolve(_diff_ref(args.old, args.new))
    new = store.resolve(_diff_ref(args.new, args.old))
    changes = diff_schemas(old, new)
    violating = check_compatible(old, new, args.mode).violations
    if args.format == "json":
        document = {
            "mode": args.mode,
            "compatible": not violating,
            "changes": [c.to_dict() | {"breaking": c in violating} for c in changes],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        for c in changes:
            print(_change_line(c, c in violating))
        verdict = "compatible" if not violating else f"{len(violating)} breaking"
        print(f"{len(changes)} changes; {verdict} under {args.mode}")
    return 1 if args.check and violating else 0


def _wrapped(text: str, label: str = "") -> str:
    """``text`` wrapped to the width, every line after the first indented; ``label`` (a word
    such as ``warning:``) opens it, coloured on a terminal."""
    lines = textwrap.wrap(
        f"{label} {text}" if label else text,
        _WIDTH,
        subsequent_indent="  ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    if label and lines:
        style: Style = "yellow" if label == "warning:" else "red"
        lines[0] = colour(label, style, sys.stdout) + lines[0][len(label) :]
    return "\n".join(lines)


def run_update(args: argparse.Namespace) -> int:
    """Relax the latest version to accept the data and save it as the next version; print
    every relaxation (old -> new), warn on large ones, and say what an update cannot fix.
    Exit 1 when the data still fails the updated schema."""
    store = store_from_args(args)
    current = store.latest(args.name)
    # The new data is read as the schema's data was, unless told otherwise.
    read = StatsOptions(reader=reader_options(args, current.reader))
    profile = profile_data(None, args.source, read)
    updated, changes = update_schema(current, profile)
    for c in changes:
        print(_wrapped(c.message))
    for large in large_relaxations(current, updated):
        print(_wrapped(large.message, "warning:"))
    unfixed = unfixed_anomalies(updated, profile)
    for u in unfixed:
        a = u.anomaly
        print(_wrapped(f"{a.code}: {a.message}; not fixed: {u.why}", "still fails:"))
    errors = f"{len(unfixed)} error{'s' if len(unfixed) > 1 else ''}"
    failing = f"; {args.source} still fails it ({errors} above)" if unfixed else ""
    if not changes:
        if unfixed:
            print(f"{args.name}@{current.version}: nothing an update can relax{failing}")
        else:
            print(f"{args.name}@{current.version} already accepts {args.source}; nothing saved")
        return 1 if unfixed else 0
    if args.dry_run:
        print(f"{len(changes)} changes; not saved (--dry-run){failing}")
        return 1 if unfixed else 0
    message = args.message or f"update from {args.source}: {len(changes)} changes"
    record = store.save(args.name, updated, message=message, parent=current.version)
    print(f"saved {args.name}@{record.version} ({len(changes)} changes){failing}")
    return 1 if unfixed else 0


def run_set(args: argparse.Namespace) -> int:
    """Set a feature's drift level in the latest version and save the next version."""
    store = store_from_args(args)
    current = store.latest(args.name)
    level = _DRIFT_CHOICES[args.drift]
    updated = with_drift_level(current, args.feature, level)
    if updated is current:
        print(f"{args.name}@{current.version}: drift of {args.feature!r} is already {level}")
        return 0
    old = current.feature(args.feature)
    assert old is not None  # with_drift_level raised otherwise
    new = updated.feature(args.feature)
    assert new is not None
    was = old.drift_level if old.drift_comparator is not None else "none"
    added = (
        f" ({new.drift_comparator.method} {new.drift_comparator.threshold:g})"
        if old.drift_comparator is None and new.drift_comparator is not None
        else ""
    )
    message = args.message or f"drift of {args.feature}: {was} -> {level}{added}"
    record = store.save(args.name, updated, message=message, parent=current.version)
    print(f"saved {args.name}@{record.version} ({message})")
    return 0
