"""Reading any supported source as Arrow record batches, and writing files atomically.

``read_batches`` is the one door into datacheck for data: CSV, Parquet and JSON Lines files (one
file, a directory, a glob, or a list of them), pandas DataFrames, Arrow tables, batches and
readers, and any object with ``__arrow_c_stream__`` (polars, DuckDB). Files are read in blocks,
so memory stays flat as files grow.

For readers that split a source themselves (Beam reads each file on its own worker),
:func:`expand_paths`, :func:`format_of`, :func:`unify` and :func:`conform` are the steps
``read_batches`` takes. :class:`QuarantineWriter` writes the rows that failed a check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from datacheck._types import MIXED_TYPES_KEY
from datacheck.errors import InputError, OptionError
from datacheck.io._atomic import atomic_output, write_bytes_atomic, write_json_atomic
from datacheck.io._files import FORMATS, FilePlan, expand_paths, format_of, plan_file
from datacheck.io._memory import open_memory
from datacheck.io._quarantine import (
    QUARANTINE_FORMATS,
    QuarantineWriter,
    quarantine_format,
    write_quarantine,
)
from datacheck.io._schema import conform, empty_batch, unify

__all__ = [
    "FORMATS",
    "MIXED_TYPES_KEY",
    "QUARANTINE_FORMATS",
    "QuarantineWriter",
    "atomic_output",
    "conform",
    "empty_batch",
    "expand_paths",
    "format_of",
    "quarantine_format",
    "read_batches",
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


def _open_files(
    sources: Sequence[str | os.PathLike[str]],
    fmt: str | None,
    batch_size: int,
    columns: list[str] | None,
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    paths = [path for source in sources for path in expand_paths(source, fmt)]
    budget = [_SMALL_FILES_BUDGET]
    plans = [plan_file(path, fmt, columns, batch_size, budget) for path in paths]
    if columns is not None:
        known = {name for plan in plans for name in plan.schema.names}
        missing = [c for c in columns if c not in known]
        if missing:
            names = ", ".join(sorted(known)) or "(none)"
            raise OptionError(
                f"{paths[0] if len(paths) == 1 else sources[0]}: no column "
                f"{missing[0]!r}; the columns are: {names}"
            )
    schema = unify([plan.schema for plan in plans], columns)
    return schema, _chain(plans, schema)


def _chain(plans: list[FilePlan], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for plan in plans:
        for batch in plan.batches():
            yield conform(batch, schema, str(plan.path))


def _select(
    schema: pa.Schema, batches: Iterator[pa.RecordBatch], columns: list[str] | None
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    if columns is None:
        return schema, batches
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise OptionError(
            f"no column {missing[0]!r} in the data; the columns are: {', '.join(schema.names)}"
        )
    selected = pa.schema([schema.field(c) for c in columns])
    return selected, (batch.select(columns) for batch in batches)


def _sized(
    schema: pa.Schema, batches: Iterator[pa.RecordBatch], batch_size: int
) -> Iterator[pa.RecordBatch]:
    # Batches longer than batch_size are cut (zero-copy); an empty source yields one empty
    # batch, so consumers still see its columns.
    rows = 0
    for batch in batches:
        for start in range(0, batch.num_rows, batch_size):
            rows += 1
            yield batch.slice(start, batch_size)
    if rows == 0:
        yield empty_batch(schema)


def read_batches(
    source: Source,
    *,
    format: str | None = None,
    batch_size: int = 65_536,
    columns: Sequence[str] | None = None,
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

    Args:
        source: A path (file, directory, glob) or a list of paths; a pandas DataFrame; a
            pyarrow Table, RecordBatch or RecordBatchReader; or any object with
            ``__arrow_c_stream__``.
        format: ``"csv"``, ``"parquet"`` or ``"jsonl"``; by default taken from each file's
            extension (.csv, .parquet/.pq, .jsonl/.ndjson).
        batch_size: The most rows a batch holds.
        columns: Read only these columns, in this order.

    Returns:
        An iterator of record batches with identical schemas.

    Raises:
        InputNotFoundError: A path or glob matches no file.
        InputError: A file is empty, truncated, corrupt, ragged or not UTF-8; the message
            names the file and, where known, the line.
        OptionError: A bad ``format``, ``batch_size`` or column name.
    """
    if format is not None and format not in FORMATS:
        raise OptionError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    if batch_size < 1:
        raise OptionError(f"batch_size must be at least 1, not {batch_size}")
    wanted = None if columns is None else list(columns)
    if isinstance(columns, str):
        raise OptionError(f"columns must be a list of names, not the string {columns!r}")
    if _is_path(source):
        schema, batches = _open_files([source], format, batch_size, wanted)
    elif isinstance(source, list | tuple) and source and all(_is_path(item) for item in source):
        schema, batches = _open_files(source, format, batch_size, wanted)
    else:
        opened = open_memory(source)
        if opened is None:
            raise InputError(
                f"cannot read a {type(source).__name__}: pass a path, a pandas DataFrame, an "
                "Arrow table, batch or reader, or an object with __arrow_c_stream__"
            )
        schema, batches = _select(*opened, wanted)
    return _sized(schema, batches, batch_size)
