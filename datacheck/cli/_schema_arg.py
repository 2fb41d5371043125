"""The ``--schema FILE|NAME[@VERSION]`` and ``--store DIR`` options, shared by the commands.

What a reference means, and where the store is by default, is the core's
(:meth:`datacheck.schema.SchemaStore.resolve` and :meth:`~datacheck.schema.SchemaStore.default`);
this module only adds the options and reads them.
"""

from __future__ import annotations

import argparse

from datacheck.schema import DEFAULT_STORE, STORE_ENV, Schema, SchemaStore

__all__ = [
    "add_schema_arguments",
    "add_store_argument",
    "resolve_schema",
    "store_from_args",
]


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--store DIR`` to ``parser``."""
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help=f"schema store folder or s3:// URL (default: ${STORE_ENV}, else {DEFAULT_STORE})",
    )


def add_schema_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``--schema FILE|NAME[@VERSION]`` and ``--store DIR`` to ``parser``."""
    parser.add_argument(
        "--schema",
        metavar="FILE|NAME[@VERSION]",
        required=required,
        help="a schema file (.json, or TFDV .pbtxt), or a schema in the store: NAME for its "
        "latest version, NAME@3 for version 3",
    )
    add_store_argument(parser)


def store_from_args(args: argparse.Namespace) -> SchemaStore:
    """The schema store that ``--store`` or the environment names."""
    return SchemaStore.default(getattr(args, "store", None))


def resolve_schema(args: argparse.Namespace) -> Schema:
    """The schema named by ``args.schema`` (a file, or NAME[@VERSION] in ``args.store``)."""
    return store_from_args(args).resolve(str(args.schema))
