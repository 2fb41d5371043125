"""ReadBatches: files into a ``PCollection`` of Arrow record batches, split so workers share them.

The work is cut into parts when the pipeline is built: one part per Parquet row group, one per
CSV or JSON Lines file. A source of several files is read with one schema, as
:func:`datacheck.io.read_batches` reads it: a first stage reads each file's schema (in
parallel), the schemas are unified once, and every part is conformed to the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from datacheck._source import tag_source, tagged_as
from datacheck.errors import InputError, OptionError

# The reader's own path expansion and one-schema-per-source rules (conform, unify): the Beam
# reader must apply exactly the same ones, so it uses them rather than a copy.
from datacheck.io import (
    ReaderOptions,
    conform,
    expand_paths,
    file_schema,
    format_of,
    is_remote,
    read_batches,
    unify,
)

__all__ = ["ReadBatches"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Part:
    """One unit of reading work: a whole file, or one row group of a Parquet file."""

    #: the file
    path: str
    #: csv, tsv, parquet or jsonl
    format: str
    #: the Parquet row group; None: the whole file
    row_group: int | None = None


def _parquet_error(path: str, error: Exception) -> InputError:
    return InputError(
        f"{path}: not a readable Parquet file (truncated or corrupt: "
        f"{str(error).splitlines()[0]}); re-export it"
    )


def _row_groups(path: Path) -> int:
    try:
        with pq.ParquetFile(path) as handle:
            groups: int = handle.metadata.num_row_groups
    except (pa.ArrowInvalid, OSError) as error:
        raise _parquet_error(str(path), error) from None
    return groups


def _parts(paths: list[Path], fmt: str | None) -> list[_Part]:
    # fmt: the format asked for (None: from each extension); a part carries the file's own.
    parts: list[_Part] = []
    for path in paths:
        kind = format_of(path, fmt)
        if kind == "parquet":
            groups = _row_groups(path)
            # A Parquet file without row groups still has a schema: read it as a whole file.
            parts += [_Part(path=str(path), format=kind, row_group=g) for g in range(groups)]
            if groups == 0:
                parts.append(_Part(path=str(path), format=kind))
        elif kind is not None:
            parts.append(_Part(path=str(path), format=kind))
    return parts


def _file_schema(
    index: int, path: str, fmt: str, options: ReaderOptions | None = None
) -> tuple[int, pa.Schema]:
    """The schema read_batches gives one file (for CSV, after its type-checking pass)."""
    # options has a default only because Beam's MapTuple wants one for an extra argument.
    return index, unify([file_schema(path, replace(options or ReaderOptions(), format=fmt))])


class _UnifySchemasFn(beam.CombineFn):  # type: ignore[misc]  # Beam ships no type hints
    """(file index, schema) pairs into the source's one schema, unified in the reader's order."""

    def __init__(self, columns: tuple[str, ...] | None) -> None:
        super().__init__()
        #: the columns asked for, in their order (None: every column, in first-seen order)
        self.columns = None if columns is None else list(columns)

    def create_accumulator(self) -> dict[int, pa.Schema]:
        return {}

    def add_input(
        self, accumulator: dict[int, pa.Schema], element: tuple[int, pa.Schema]
    ) -> dict[int, pa.Schema]:
        index, schema = element
        accumulator[index] = schema
        return accumulator

    def merge_accumulators(
        self, accumulators: Sequence[dict[int, pa.Schema]]
    ) -> dict[int, pa.Schema]:
        first, *rest = accumulators
        for other in rest:
            first.update(other)
        return first

    def extract_output(self, accumulator: dict[int, pa.Schema]) -> pa.Schema:
        return unify([accumulator[index] for index in sorted(accumulator)], self.columns)


def _read_part(
    part: _Part, batch_size: int, options: ReaderOptions, target: pa.Schema | None
) -> Iterator[pa.RecordBatch]:
    """The part's batches, conformed to ``target`` (the source's schema; None: one file)."""
    options = replace(options, format=part.format)
    if part.row_group is None:
        batches = read_batches(part.path, batch_size=batch_size, options=options)
    else:
        # The file's own columns, selected as read_batches selects them (pandas' index left
        # out, columns and exclude applied).
        own = file_schema(part.path, options)
        batches = _read_row_group(part.path, part.row_group, batch_size, own.names)
        if target is None:
            target = unify([own])
    for batch in batches:
        # conform builds a new batch; the rows keep their origin (file, row numbers).
        yield batch if target is None else tagged_as(conform(batch, target, part.path), batch)


def _read_row_group(
    path: str, group: int, batch_size: int, columns: list[str]
) -> Iterator[pa.RecordBatch]:
    try:
        with pq.ParquetFile(path) as handle:
            # Rows are numbered within the file, as read_batches numbers them.
            row = sum(handle.metadata.row_group(g).num_rows for g in range(group))
            for batch in handle.iter_batches(
                batch_size=batch_size, row_groups=[group], columns=columns
            ):
                yield tag_source(batch, path, row)
                row += batch.num_rows
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            f"{path}: corrupt Parquet data in row group {group} "
            f"({str(error).splitlines()[0]}); re-export it"
        ) from None


class ReadBatches(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Read CSV, Parquet or JSON Lines files as a ``PCollection`` of ``pyarrow.RecordBatch``.

    The batches are those :func:`datacheck.io.read_batches` gives for the same files (same
    schema, same values, the same ``datacheck.mixed_types`` marks), though not in order.
    Work is split so that workers share it: a Parquet file by row group, several files by
    file. A CSV file is read whole by one worker: a CSV cannot be split safely at arbitrary
    byte offsets, since a quoted field may hold a newline, and a reader that starts mid-file
    cannot tell a line break inside quotes from the end of a record. Split large CSV data into
    several files (or convert it to Parquet) to spread it over workers.

    Paths are expanded when the pipeline is built, so a pattern that matches nothing fails at
    once; workers then open the files by path, so they must see the same file system (on a
    cluster: a shared mount).

    Example::

        with beam.Pipeline() as p:
            batches = p | "Read" >> ReadBatches("data/part-*.csv")
            rows = batches | "Rows" >> beam.Map(lambda b: b.num_rows)

    Args:
        pattern: A file, a directory, a glob, or a list of them.
        format: ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"jsonl"``; by default from each
            file's extension (replaces ``options.format`` when given).
        batch_size: The most rows a batch holds.
        options: How to read the files (delimiter, null markers, columns), as
            :func:`datacheck.io.read_batches` takes them.

    Raises:
        InputNotFoundError: A path or glob matches no file (when the pipeline is built).
        InputError: A file is unreadable; the message names it and, where known, the line. In
            a running pipeline this fails the pipeline; no row is dropped silently.
        OptionError: A bad ``format`` or ``batch_size``.
    """

    def __init__(
        self,
        pattern: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        format: str | None = None,
        batch_size: int = 65_536,
        options: ReaderOptions | None = None,
    ) -> None:
        super().__init__()
        options = options if options is not None else ReaderOptions()
        if format is not None:
            options = replace(options, format=format)
        if batch_size < 1:
            raise OptionError("must be at least 1", parameter="batch_size", value=batch_size)
        sources = [pattern] if isinstance(pattern, str | os.PathLike) else list(pattern)
        if not sources:
            raise OptionError("ReadBatches needs at least one path, directory or glob")
        remote = next((s for s in sources if is_remote(s)), None)
        if remote is not None:
            raise OptionError(
                "Beam reads local files here: read object storage with Beam's own file "
                "systems (beam.io.ReadFromParquet) and pass the batches, or profile it with "
                "the local, Dask or Spark engine",
                parameter="pattern",
                value=remote,
            )
        self._paths = [path for source in sources for path in expand_paths(source, options.format)]
        self._options = options
        self._batch_size = batch_size
        self._parts = _parts(self._paths, options.format)

    def expand(self, pbegin: Any) -> Any:
        parts = pbegin | "ListParts" >> beam.Create(self._parts)
        if len(self._paths) == 1:
            return parts | "ReadParts" >> beam.FlatMap(
                _read_part, self._batch_size, self._options, None
            )
        files = [(i, str(p), format_of(p, self._options.format)) for i, p in enumerate(self._paths)]
        schema = (
            pbegin
            | "ListFiles" >> beam.Create(files)
            | "ReadFileSchemas" >> beam.MapTuple(_file_schema, self._options)
            | "UnifySchemas" >> beam.CombineGlobally(_UnifySchemasFn(self._options.columns))
        )
        return parts | "ReadParts" >> beam.FlatMap(
            _read_part, self._batch_size, self._options, beam.pvalue.AsSingleton(schema)
        )
