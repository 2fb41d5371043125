"""How every data-reading command reads its files: ``--input-format``, ``--delimiter``,
``--null-values``, ``--keep-values``, ``--columns`` and ``--exclude``.

Each command that reads data calls :func:`add_reader_arguments` when it builds its parser and
:func:`reader_options` for the :class:`~datacheck.io.ReaderOptions` to read with. A command
that checks data against a schema (``validate``, ``report``, ``schema update``) starts from the
options the schema recorded, so later data is read as the data it was inferred from was; an
option given on the command line replaces the recorded one.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from datacheck.errors import OptionError
from datacheck.io import FORMATS, ReaderOptions

__all__ = ["add_reader_arguments", "reader_options"]

#: spellings of the tab a shell makes awkward to type
_TABS = ("\\t", "tab", "TAB")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_reader_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that say how data files are read."""
    group = parser.add_argument_group("reading data")
    group.add_argument(
        "--input-format",
        choices=sorted(FORMATS),
        help="the data files' format (default: from each extension: .csv/.txt, .tsv, "
        ".parquet/.pq, .jsonl/.ndjson; CSV, TSV and JSON Lines also .gz, .bz2, .zst, .lz4)",
    )
    group.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="the CSV field delimiter ('\\t' or tab for a tab); default: sniffed among "
        ", tab ; | from the first lines",
    )
    group.add_argument(
        "--null-values",
        metavar="TEXT,...",
        help="CSV text read as missing in every column, comma-separated, an empty item for "
        "the empty field (default: pandas' set: '', NA, N/A, NaN, NULL, null, None, ...)",
    )
    group.add_argument(
        "--keep-values",
        action="append",
        default=[],
        metavar="COL=TEXT,...",
        help="text that is data in COL, not missing (e.g. country=NA keeps Namibia); "
        "repeat for more columns",
    )
    group.add_argument(
        "--columns",
        action="append",
        default=[],
        metavar="COL,...",
        help="read only these columns, in this order (comma-separated or repeated)",
    )
    group.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="COL,...",
        help="leave these columns out (comma-separated or repeated), e.g. a row index 'Unnamed: 0'",
    )


def _keep_values(given: list[str]) -> dict[str, tuple[str, ...]]:
    keep: dict[str, tuple[str, ...]] = {}
    for item in given:
        column, sep, values = item.partition("=")
        if not sep or not column:
            raise OptionError(
                "write COL=TEXT[,TEXT...], e.g. country=NA", parameter="keep_values", value=item
            )
        keep[column] = keep.get(column, ()) + tuple(values.split(","))
    return keep


def reader_options(
    args: argparse.Namespace, recorded: ReaderOptions | None = None
) -> ReaderOptions:
    """The options to read with: ``recorded`` (or the defaults), with those given replaced.

    Args:
        args: The command's parsed arguments (from :func:`add_reader_arguments`).
        recorded: The options a schema recorded, for a command that checks data against it.

    Raises:
        OptionError: A bad option (the message names the parameter; the command its flag).
    """
    changes: dict[str, Any] = {}
    if args.input_format is not None:
        changes["format"] = args.input_format
    if args.delimiter is not None:
        changes["delimiter"] = "\t" if args.delimiter in _TABS else args.delimiter
    if args.null_values is not None:
        changes["null_values"] = tuple(args.null_values.split(","))
    if args.keep_values:
        changes["keep_values"] = _keep_values(args.keep_values)
    columns = [name for item in args.columns for name in _names(item)]
    if columns:
        changes["columns"] = tuple(columns)
    exclude = [name for item in args.exclude for name in _names(item)]
    if exclude:
        changes["exclude"] = tuple(exclude)
    base = recorded if recorded is not None else ReaderOptions()
    if "columns" in changes and "exclude" not in changes:
        changes["exclude"] = ()  # a recorded exclude does not fight the columns asked for
    return replace(base, **changes)
