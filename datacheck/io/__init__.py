"""Reading any supported source as Arrow record batches, and writing files atomically.

``read_batches`` is the one door into datacheck for data: CSV, Parquet and JSON Lines files (one
file, a directory, a glob, or a list of them), pandas DataFrames, Arrow tables, batches and
readers, and any object with ``__arrow_c_stream__`` (polars, DuckDB). Files are read in blocks,
so memory stays flat as files grow.

How files are read (format, CSV delimiter and null markers, columns) is one
:class:`ReaderOptions` value, which profiles and schemas record so later data is read the same
way. For readers that split a source themselves (Beam reads each file on its own worker),
:func:`expand_paths`, :func:`format_of`, :func:`file_schema`, :func:`unify` and :func:`conform`
are the steps ``read_batches`` takes. :class:`QuarantineWriter` writes the rows that failed a
check, :class:`ValidWriter` the others. Batches read from files are tagged with their file and
row numbers (``datacheck._source``), which the quarantine reports per row. Any path read or
written may be an ``s3://``, ``gs://`` or ``hdfs://`` URL (``datacheck.io._remote``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from datacheck._source import slice_tagged, tag_source
from datacheck._types import MIXED_TYPES_KEY, OVERFLOW_KEY
from datacheck.errors import InputError, OptionError
from datacheck.io._atomic import atomic_output, write_bytes_atomic, write_json_atomic
from datacheck.io._files import FilePlan, expand_paths, format_of, plan_file
from datacheck.io._memory import open_memory
from datacheck.io._options import DELIMITERS, FORMATS, NULL_VALUES, ReaderOptions
from datacheck.io._quarantine import (
    QUARANTINE_FORMATS,
    QuarantineWriter,
    ValidWriter,
    quarantine_format,
    write_quarantine,
)
from datacheck.io._remote import expand_remote, is_remote, plan_remote, read_bytes
from datacheck.io._schema import conform, empty_batch, unify

__all__ = [
    "DELIMITERS",
    "FORMATS",
    "MIXED_TYPES_KEY",
    "NULL_VALUES",
    "OVERFLOW_KEY",
    "QUARANTINE_FORMATS",
    "QuarantineWriter",
    "ReaderOptions",
    "ValidWriter",
    "atomic_output",
    "conform",
    "empty_batch",
    "expand_files",
    "expand_paths",
    "file_schema",
    "format_of",
    "is_file_source",
    "is_remote",
    "quarantine_format",
    "read_batches",
    "read_bytes",
    "unify",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_quarantine",
]

#: bytes of small files whose type-checking pass is kept rather than parsed again, per call
_SMALL_FILES_BUDGET = 16 * 1024 * 1024

Source = Any


def _is_path(source: object) -> bool:
    return isinstance(source, str | os.PathLike)


def is_file_source(source: object) -> bool:
    """Whether ``source`` names files (a path, directory or glob, or a list of them).

    Only such a source is read with :class:`ReaderOptions`' format, delimiter and null markers;
    a profile of one records the options it was read with.
    """
    return _is_path(source) or (
        isinstance(source, list | tuple) and bool(source) and all(_is_path(s) for s in source)
    )


def _unknown(parameter: str, name: str, known: Iterable[str], where: str) -> OptionError:
    names = ", ".join(sorted(known)) or "(none)"
    return OptionError(
        f"no such column in {where.strip()}; the columns are: {names}",
        parameter=parameter,
        value=name,
    )


def expand_files(source: str | os.PathLike[str], fmt: str | None) -> list[str]:
    """The data files a local path or an object-storage URL names (a file, a directory or
    prefix, or a glob), sorted: local paths as strings, remote ones as URLs.

    Raises:
        InputNotFoundError: Nothing exists there, or the glob matches no file.
        InputError: A directory holds no file of a known format, or a file's format is unknown.
    """
    if is_remote(source):
        return expand_remote(source, fmt)
    return [str(path) for path in expand_paths(source, fmt)]


def _check_names(options: ReaderOptions, known: Sequence[str], where: str) -> None:
    """Every column an option names is in the data (``where``: the source, for the message)."""
    for parameter, names in (
        ("columns", options.columns or ()),
        ("exclude", options.exclude),
        ("keep_values", tuple(options.keep_values)),
    ):
        missing = [c for c in names if c not in known]
        if missing:
            raise _unknown(parameter, missing[0], known, where)


def _open_files(
    sources: Sequence[str | os.PathLike[str]], options: ReaderOptions, batch_size: int
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    paths: list[Path | str] = [
        path
        for source in sources
        for path in (
            expand_remote(source, options.format)
            if is_remote(source)
            else expand_paths(source, options.format)
        )
    ]
    budget = [_SMALL_FILES_BUDGET]
    plans = [
        plan_remote(path, options, batch_size, budget)
        if isinstance(path, str)
        else plan_file(path, options, batch_size, budget)
        for path in paths
    ]
    known = list(dict.fromkeys(name for plan in plans for name in plan.names))
    where = f"{paths[0] if len(paths) == 1 else sources[0]} "
    _check_names(options, known, where)
    columns = None if options.columns is None else list(options.columns)
    if options.exclude and options.columns is None and set(known) <= set(options.exclude):
        raise OptionError(
            "leaves no column to read", parameter="exclude", value=list(options.exclude)
        )
    schema = unify([plan.schema for plan in plans], columns)
    return schema, _chain(plans, schema)


def _chain(plans: list[FilePlan], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for plan in plans:
        row = 0  # each batch is tagged with its file and first row (see datacheck._source)
        name = plan.url or str(plan.path)
        for batch in plan.batches():
            yield tag_source(conform(batch, schema, name), name, row)
            row += batch.num_rows


def _select(
    schema: pa.Schema, batches: Iterator[pa.RecordBatch], options: ReaderOptions
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    if options.columns is None and not options.exclude:
        return schema, batches
    _check_names(replace(options, keep_values={}), schema.names, "the data ")
    names = (
        list(options.columns)
        if options.columns is not None
        else [n for n in schema.names if n not in options.exclude]
    )
    selected = pa.schema([schema.field(c) for c in names])
    return selected, (batch.select(names) for batch in batches)


def _sized(
    schema: pa.Schema, batches: Iterator[pa.RecordBatch], batch_size: int
) -> Iterator[pa.RecordBatch]:
    # Batches longer than batch_size are cut (zero-copy); an empty source yields one empty
    # batch, so consumers still see its columns.
    rows = 0
    for batch in batches:
        for start in range(0, batch.num_rows, batch_size):
            rows += 1
            yield slice_tagged(batch, start, batch_size)
    if rows == 0:
        yield empty_batch(schema)


def _options(options: ReaderOptions | None, **given: object) -> ReaderOptions:
    """``options`` (or the defaults) with every keyword argument that was given put in."""
    base = options if options is not None else ReaderOptions()
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    for name in ("columns", "exclude", "null_values"):
        value = changes.get(name)
        if isinstance(value, str):
            raise OptionError("give a list of strings, not one string", parameter=name, value=value)
        if value is not None:
            changes[name] = tuple(value)
    return replace(base, **changes) if changes else base


def file_schema(path: str | os.PathLike[str], options: ReaderOptions | None = None) -> pa.Schema:
    """The schema :func:`read_batches` gives one file, columns selected (for CSV and JSON
    Lines, after its checking pass).

    Raises:
        InputError: The file cannot be read.
    """
    return plan_file(Path(path), options or ReaderOptions(), 65_536, [0]).schema


def read_batches(
    source: Source,
    *,
    format: str | None = None,
    batch_size: int = 65_536,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    delimiter: str | None = None,
    null_values: Iterable[str] | None = None,
    keep_values: Mapping[str, Sequence[str]] | None = None,
    options: ReaderOptions | None = None,
) -> Iterator[pa.RecordBatch]:
    """Read ``source`` as Arrow record batches that all share one schema.

    Files are checked when this function is called (missing files, unreadable formats and
    columns whose values mix numbers and text are found before the first batch); the batches
    are then read lazily, in blocks, so memory stays flat however large the files are.

    Types come from the data. A CSV or JSON Lines column whose values mix numbers and text is
    read as text, and its field carries the metadata ``{b"datacheck.mixed_types": b"true"}``;
    the same holds for a pandas object column of mixed types and for a column whose type
    differs between the files of one source. A header-only CSV (or any source with zero rows)
    is a valid, empty dataset: it yields a single zero-row batch with the columns.

    CSV files are read as pandas reads them: the text of :data:`NULL_VALUES` (empty, ``NA``,
    ``NaN``, ``null``, ...) is missing in every column type, quoted or not; a column with an
    empty name is ``Unnamed: <i>``, a repeated name ``a.1`` (with an :class:`InputWarning`).
    The delimiter is sniffed from the first lines unless given (a ``.csv`` that is not split by
    commas warns); ``.gz``, ``.bz2``, ``.zst`` and ``.lz4`` files are decompressed. The index
    pandas writes into a Parquet file (``__index_level_0__``) is not read, as pandas does not
    read it back as a column either.

    Every keyword argument but ``batch_size`` is a field of :class:`ReaderOptions`; one that is
    given replaces that field of ``options``.

    Args:
        source: A path (file, directory, glob) or a list of paths; a pandas DataFrame; a
            pyarrow Table, RecordBatch or RecordBatchReader; or any object with
            ``__arrow_c_stream__``.
        format: ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"jsonl"``; by default taken from
            each file's extension (.csv/.txt, .tsv, .parquet/.pq, .jsonl/.ndjson, each but
            Parquet optionally compressed).
        batch_size: The most rows a batch holds.
        columns: Read only these columns, in this order.
        exclude: Leave these columns out.
        delimiter: The CSV field delimiter; by default sniffed among , tab ; | (tab for TSV).
        null_values: The text read as missing in CSV files (default :data:`NULL_VALUES`,
            pandas' set); ``[]`` reads every field as written.
        keep_values: Column -> values that are data there, not missing, e.g.
            ``{"country": ["NA"]}`` (Namibia); such a column is read as text.
        options: All of the above at once, e.g. as recorded in a profile or schema.

    Returns:
        An iterator of record batches with identical schemas.

    Raises:
        InputNotFoundError: A path or glob matches no file.
        InputError: A file is empty, truncated, corrupt, ragged or not UTF-8; the message
            names the file and, where known, the line.
        OptionError: A bad ``format``, ``batch_size``, delimiter or column name.
    """
    if batch_size < 1:
        raise OptionError("must be at least 1", parameter="batch_size", value=batch_size)
    reader = _options(
        options,
        format=format,
        columns=columns,
        exclude=exclude,
        delimiter=delimiter,
        null_values=null_values,
        keep_values=keep_values,
    )
    if is_file_source(source):
        sources = [source] if _is_path(source) else list(source)
        schema, batches = _open_files(sources, reader, batch_size)
    else:
        opened = open_memory(source)
        if opened is None:
            raise InputError(
                f"cannot read a {type(source).__name__}: pass a path, a pandas DataFrame, an "
                "Arrow table, batch or reader, or an object with __arrow_c_stream__"
            )
        schema, batches = _select(*opened, reader)
    return _sized(schema, batches, batch_size)
