"""The ``--schema FILE|NAME[@VERSION]`` and ``--store DIR`` options, shared by the commands.

A ``--schema`` value names a file when one exists at that path, or when it ends in ``.json`` or
``.pbtxt`` or contains a path separator; otherwise it is ``NAME[@VERSION]`` in the schema store
(the latest version when no version is given). The store is ``--store DIR``, else the
``DATACHECK_STORE`` environment variable, else ``./.datacheck/schemas``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from datacheck.schema import Schema, SchemaStore, load_schema, load_tfdv_schema

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "add_schema_arguments",
    "add_store_argument",
    "load_schema_ref",
    "resolve_schema",
    "store_from_args",
]

#: where the schema store lives when neither --store nor DATACHECK_STORE says
DEFAULT_STORE = Path(".datacheck") / "schemas"
#: the environment variable naming the schema store
STORE_ENV = "DATACHECK_STORE"


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--store DIR`` to ``parser``."""
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help=f"schema store folder (default: ${STORE_ENV}, else {DEFAULT_STORE})",
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
    root = getattr(args, "store", None) or os.environ.get(STORE_ENV) or DEFAULT_STORE
    return SchemaStore(root)


def _is_path(ref: str) -> bool:
    return Path(ref).is_file() or ref.endswith((".json", ".pbtxt")) or "/" in ref or os.sep in ref


def load_schema_ref(ref: str, store: SchemaStore) -> Schema:
    """The schema a ``FILE|NAME[@VERSION]`` value names.

    Raises:
        InputNotFoundError: it names a file that does not exist.
        SchemaFormatError: the file or stored version is not a valid schema.
        StoreError: no such name or version in the store.
    """
    if _is_path(ref):
        if ref.endswith(".pbtxt"):
            return load_tfdv_schema(ref)
        return load_schema(ref)
    return store.resolve(ref)


def resolve_schema(args: argparse.Namespace) -> Schema:
    """The schema named by ``args.schema`` (a file, or NAME[@VERSION] in ``args.store``)."""
    return load_schema_ref(str(args.schema), store_from_args(args))
