"""The quarantine file: rows that failed a check, with their reasons, written atomically.

One writer for every caller (the command, the Beam path, the service): the format comes from the
file's extension (``.parquet``/``.pq``, or ``.jsonl``/``.ndjson``), rows are appended batch by
batch as they are checked, and the file appears under its name only when the writer closes
without an error, so a reader never sees half a quarantine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa

from datacheck._json import float_to_json
from datacheck.errors import OptionError
from datacheck.io._atomic import atomic_output

__all__ = ["QUARANTINE_FORMATS", "QuarantineWriter", "quarantine_format", "write_quarantine"]

#: file extension -> quarantine format
QUARANTINE_FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def quarantine_format(path: str | os.PathLike[str]) -> str:
    """``"parquet"`` or ``"jsonl"``, from ``path``'s extension.

    Raises:
        OptionError: The extension is neither (``parameter="path"``).
    """
    fmt = QUARANTINE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise OptionError(
            "unknown quarantine file extension; use .parquet or .jsonl",
            parameter="path",
            value=os.fspath(path),
            path=path,
        )
    return fmt


def _json_value(value: Any) -> Any:
    # A row's floats come from float columns, so they are written as float fields are.
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


class QuarantineWriter:
    """Append quarantined batches to one file; it appears atomically on a clean close.

    Use as a context manager::

        with QuarantineWriter("bad.parquet") as out:
            for checked in validate_batches(batches, schema):
                out.write(checked.quarantined)

    Every batch should be written, empty ones too: the first one gives a Parquet file its
    columns, so a dataset with no failed row still gets a readable, empty quarantine.
    Leaving the block with an exception removes the temporary file and keeps any old one.

    Args:
        path: Where the quarantine goes; its extension chooses the format.

    Raises:
        OptionError: An unknown extension.
        InputError: The directory does not exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.format = quarantine_format(path)
        #: rows written so far
        self.rows = 0
        self._stack = ExitStack()
        self._tmp: Path | None = None
        self._parquet: Any = None
        self._text: IO[str] | None = None

    def __enter__(self) -> QuarantineWriter:
        self._tmp = self._stack.enter_context(atomic_output(self.path))
        if self.format == "jsonl":
            self._text = self._stack.enter_context(open(self._tmp, "w", encoding="utf-8"))
        return self

    def write(self, batch: pa.RecordBatch) -> None:
        """Append the rows of ``batch`` (its columns plus the reasons column)."""
        if self._tmp is None:
            raise RuntimeError("QuarantineWriter.write outside its with-block")
        self.rows += batch.num_rows
        if self._text is not None:
            for row in batch.to_pylist():
                self._text.write(json.dumps(_json_value(row), allow_nan=False) + "\n")
            return
        if self._parquet is None:
            import pyarrow.parquet as pq  # only Parquet quarantines pay for the import

            self._parquet = pq.ParquetWriter(str(self._tmp), batch.schema)
            self._stack.callback(self._parquet.close)
        self._parquet.write_batch(batch)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None and self.format == "parquet" and self._parquet is None:
            error = OptionError(
                "no batch was written, so the Parquet quarantine has no columns; write every "
                "checked batch, empty ones too",
                parameter="path",
                value=str(self.path),
                path=self.path,
            )
            self._stack.__exit__(type(error), error, None)
            raise error
        self._stack.__exit__(kind, error, traceback)


def write_quarantine(batches: Iterable[pa.RecordBatch], path: str | os.PathLike[str]) -> int:
    """Write quarantined batches to ``path`` atomically; return how many rows it holds.

    Args:
        batches: Quarantined rows with their reasons (``CheckedBatch.quarantined``), one
            batch per checked batch, empty ones included.
        path: ``.parquet``/``.pq`` or ``.jsonl``/``.ndjson``.
    """
    with QuarantineWriter(path) as out:
        for batch in batches:
            out.write(batch)
    return out.rows
