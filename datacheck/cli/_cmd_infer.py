"""``datacheck infer``: propose a schema from data or from a profile.

The schema goes to ``-o FILE`` (JSON, or TFDV ``.pbtxt``), to the store as a new version of
``--name``, or, with neither, to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import add_runner_arguments, profile_data
from datacheck.cli._schema_arg import add_store_argument, store_from_args
from datacheck.errors import OptionError
from datacheck.schema import (
    FloatDomain,
    InferOptions,
    IntDomain,
    Schema,
    StringDomain,
    infer_schema,
    save_schema,
    save_tfdv_schema,
)
from datacheck.stats import StatsOptions

__all__ = ["register", "summary"]


def register(subparsers: Any) -> None:
    """Add the ``infer`` command."""
    parser = subparsers.add_parser(
        "infer",
        help="propose a schema from data or a profile",
        description=(
            "Infer a schema that the given data passes: types, presence, string domains "
            "where the data supports a closed set, default drift and skew comparators; "
            "numeric ranges with --infer-ranges. DATA|PROFILE: a statistics file (.json) "
            "is read; anything else is data and is profiled first."
        ),
    )
    parser.add_argument("source", metavar="DATA|PROFILE", help="data, or its profile (.json)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the schema here (.json, or .pbtxt for TFDV); default: stdout",
    )
    parser.add_argument("--name", metavar="NAME", help="save as the next version of NAME")
    parser.add_argument(
        "-m", "--message", default="", metavar="TEXT", help="why this version exists (with --name)"
    )
    add_store_argument(parser)
    parser.add_argument(
        "--infer-ranges",
        action="store_true",
        help="give int and float features a range (observed range, plus 10%%)",
    )
    parser.add_argument(
        "--environments",
        metavar="ENV,...",
        default="",
        help="default environments, comma-separated (e.g. TRAINING,SERVING)",
    )
    add_reader_arguments(parser)
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def _domain_text(schema: Schema) -> str:
    kinds = {"value domains": 0, "ranges": 0}
    for f in schema.features:
        if isinstance(f.domain, StringDomain):
            kinds["value domains"] += 1
        elif isinstance(f.domain, IntDomain | FloatDomain):
            kinds["ranges"] += 1
    return ", ".join(f"{n} with {k}" for k, n in kinds.items() if n)


def summary(schema: Schema) -> str:
    """One line: how many features, how many required, domains and ranges."""
    required = sum(1 for f in schema.features if f.presence.required)
    parts = [f"{len(schema.features)} features", f"{required} required"]
    if domains := _domain_text(schema):
        parts.append(domains)
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Infer, then write to the file, the store, or stdout."""
    if args.message and not args.name:
        raise OptionError("-m/--message needs --name NAME: it describes a stored version")
    if args.store and not args.name:
        raise OptionError("--store needs --name NAME to save the schema under")
    environments = tuple(e.strip() for e in args.environments.split(",") if e.strip())
    options = InferOptions(infer_ranges=args.infer_ranges, default_environments=environments)
    read = StatsOptions(reader=reader_options(args))
    schema = infer_schema(profile_data(args, args.source, read), options)
    if args.output:
        if args.output.endswith(".pbtxt"):
            save_tfdv_schema(schema, args.output)
        else:
            save_schema(schema, args.output)
        print(f"wrote {args.output}: {summary(schema)}")
    if args.name:
        store = store_from_args(args)
        message = args.message or f"inferred from {args.source}"
        record = store.save(args.name, schema, message=message)
        print(f"saved {args.name}@{record.version} in {store.location}: {summary(schema)}")
    if not args.output and not args.name:
        sys.stdout.write(json.dumps(schema.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return 0
