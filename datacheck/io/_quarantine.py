"""The row files of a validation: quarantined rows with their reasons, and the valid rows.

One writer for every caller (the command, the Beam path, the service): the format comes from the
file's extension (``.parquet``/``.pq``, ``.jsonl``/``.ndjson`` or ``.csv``), rows are appended
batch by batch as they are checked, and the file appears under its name only when the writer
closes without an error, so a reader never sees half a file.

Parquet keeps every type exactly. JSON Lines writes each value by the rules of
``datacheck.io._rowtext`` (numbers as numbers, NaN as ``"NaN"``, dates and timestamps as ISO
8601, bytes as base64). CSV is for people and spreadsheets: nested values (the quarantine's
reasons among them) are JSON text in their cell, bytes base64, and types are not kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import pyarrow as pa

from datacheck._source import untagged
from datacheck.errors import OptionError
from datacheck.io._atomic import atomic_output
from datacheck.io._rowtext import csv_ready, json_lines

__all__ = [
    "QUARANTINE_FORMATS",
    "QuarantineWriter",
    "ValidWriter",
    "quarantine_format",
    "write_quarantine",
]

#: file extension -> format, for the quarantine and the valid rows alike
QUARANTINE_FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}


def quarantine_format(path: str | os.PathLike[str]) -> str:
    """``"parquet"``, ``"jsonl"`` or ``"csv"``, from ``path``'s extension.

    Raises:
        OptionError: The extension is none of those (``parameter="path"``).
    """
    fmt = QUARANTINE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise OptionError(
            "unknown file extension for rows; use .parquet, .jsonl or .csv",
            parameter="path",
            value=os.fspath(path),
            path=path,
        )
    return fmt


class _RowFile:
    """Append batches to one file of the format its extension names; it appears atomically
    on a clean close. A context manager; see :class:`QuarantineWriter`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._target = path  # as given: a URL (s3://) does not survive Path
        self.format = quarantine_format(path)
        #: rows written so far
        self.rows = 0
        self._stack = ExitStack()
        self._tmp: Path | None = None
        self._writer: Any = None  # the Parquet or CSV writer, made for the first batch
        self._text: IO[str] | None = None

    def __enter__(self) -> Self:
        self._tmp = self._stack.enter_context(atomic_output(self._target))
        if self.format == "jsonl":
            self._text = self._stack.enter_context(open(self._tmp, "w", encoding="utf-8"))
        return self

    def write(self, batch: pa.RecordBatch) -> None:
        """Append the rows of ``batch``."""
        if self._tmp is None:
            raise RuntimeError(f"{type(self).__name__}.write outside its with-block")
        batch = untagged(batch)  # the reader's tag of where the batch came from
        self.rows += batch.num_rows
        if self._text is not None:
            if batch.num_rows:
                self._text.write("\n".join(json_lines(batch)) + "\n")
            return
        if self.format == "csv":
            batch = csv_ready(batch)
        if self._writer is None:
            self._writer = self._open(self._tmp, batch.schema)
            self._stack.callback(self._writer.close)
        self._writer.write_batch(batch)

    def _open(self, path: Path, schema: pa.Schema) -> Any:
        if self.format == "csv":
            import pyarrow.csv as pcsv

            return pcsv.CSVWriter(str(path), schema)
        import pyarrow.parquet as pq  # only Parquet files pay for the import

        return pq.ParquetWriter(str(path), schema)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None and self.format != "jsonl" and self._writer is None:
            error = OptionError(
                f"no batch was written, so the {self.format} file has no columns; write every "
                "checked batch, empty ones too",
                parameter="path",
                value=str(self.path),
                path=self.path,
            )
            self._stack.__exit__(type(error), error, None)
            raise error
        self._stack.__exit__(kind, error, traceback)


class QuarantineWriter(_RowFile):
    """Append quarantined batches to one file; it appears atomically on a clean close.

    Use as a context manager::

        with QuarantineWriter("bad.parquet") as out:
            for checked in validate_batches(batches, schema):
                out.write(checked.quarantined)

    Each row keeps its columns and has its reasons (``datacheck_reasons``) and its source
    (``datacheck_source_file``, ``datacheck_source_row``). Every batch should be written,
    empty ones too: the first one gives a Parquet or CSV file its columns, so a dataset with no
    failed row still gets a readable, empty quarantine. Leaving the block with an exception
    removes the temporary file and keeps any old one.

    Args:
        path: Where the quarantine goes; its extension chooses the format (``.parquet``,
            ``.jsonl`` or ``.csv``).

    Raises:
        OptionError: An unknown extension.
        InputError: The directory does not exist.
    """


class ValidWriter(_RowFile):
    """Append the valid rows to one file; it appears atomically on a clean close.

    The counterpart of :class:`QuarantineWriter`, with the same formats, for the rows that
    passed every check (the input's columns only)::

        with ValidWriter("good.parquet") as good, QuarantineWriter("bad.parquet") as bad:
            check_dataset(source, schema, on_valid=good.write,
                          on_quarantine=lambda checked: bad.write(checked.quarantined))

    Args:
        path: Where the rows go; its extension chooses the format.

    Raises:
        OptionError: An unknown extension.
        InputError: The directory does not exist.
    """


def write_quarantine(batches: Iterable[pa.RecordBatch], path: str | os.PathLike[str]) -> int:
    """Write quarantined batches to ``path`` atomically; return how many rows it holds.

    Args:
        batches: Quarantined rows with their reasons (``CheckedBatch.quarantined``), one
            batch per checked batch, empty ones included.
        path: ``.parquet``/``.pq``, ``.jsonl``/``.ndjson`` or ``.csv``.
    """
    with QuarantineWriter(path) as out:
        for batch in batches:
            out.write(batch)
    return out.rows
