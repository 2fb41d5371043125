"""Files as people write them: compression, the CSV delimiter, header names, long fields.

What a reader must settle before pyarrow parses a CSV or JSON Lines file, each rule once:

- **Compression** from the extension under which the data extension sits (``.csv.gz``,
  ``.jsonl.zst``), else from the file's first bytes, so a gzip file named ``.csv`` reads too.
- **The delimiter**, sniffed from the first lines: the one among ``,`` tab ``;`` ``|`` that
  splits the header and every sampled row into the same number (more than one) of fields, the
  comma first for a ``.csv``, else the one giving the most fields. A count that agrees on every
  line is a stricter test than ``csv.Sniffer``'s character statistics, which pick letters and
  spaces on short samples.
- **Header names** as pandas gives them: an empty name is ``Unnamed: <i>`` (R's ``write.csv``
  and pandas' ``to_csv`` leave the row-index column unnamed), a repeated name ``a``, ``a.1``.
- **Block size**: pyarrow parses a CSV in blocks and a row must fit in one (``straddling
  object straddles two block boundaries``); a file holding a longer row is read again with
  blocks four times as large, so ordinary files keep small blocks and flat memory.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from datacheck.errors import InputError, InputWarning
from datacheck.io._options import DELIMITERS, ReaderOptions

__all__ = [
    "COMPRESSIONS",
    "MAX_BLOCK_SIZE",
    "compression_of",
    "csv_delimiter",
    "data_suffix",
    "grown_block_size",
    "is_straddle",
    "iter_lines",
    "mask_nulls",
    "open_binary",
    "pandas_names",
    "sniff_delimiter",
]

#: file extension -> pyarrow codec of the compressions read
COMPRESSIONS = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".zst": "zstd",
    ".zstd": "zstd",
    ".lz4": "lz4",
}

#: the first bytes of each compressed format
_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"),
)

#: the largest block tried for a file with long rows (pyarrow's block size is a 32-bit int)
MAX_BLOCK_SIZE = 1 << 30

#: how much of a file the delimiter is sniffed from, and the most rows looked at
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_ROWS = 50

_STRADDLE = "straddling object straddles two block boundaries"


def data_suffix(path: Path) -> str:
    """The extension naming the data format: ``.csv`` for ``x.csv`` and for ``x.csv.gz``."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS:
        return Path(path.stem).suffix.lower()
    return suffix


def compression_of(path: Path) -> str | None:
    """The pyarrow codec ``path`` is compressed with, from its extension or first bytes."""
    codec = COMPRESSIONS.get(path.suffix.lower())
    if codec is not None:
        return codec
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def open_binary(path: Path, codec: str | None) -> IO[bytes]:
    """The file's bytes, decompressed (a file object; close it)."""
    if codec is None:
        return open(path, "rb")
    stream: IO[bytes] = pa.input_stream(os.fspath(path), compression=codec)
    return stream


def iter_lines(path: Path, codec: str | None) -> Iterator[bytes]:
    """The file's lines (each with its line break), decompressed; for error messages."""
    # pyarrow's decompressing streams cannot read lines, so lines are cut from 1 MiB chunks.
    with open_binary(path, codec) as handle:
        pending = b""
        while chunk := handle.read(1 << 20):
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                yield line + b"\n"
        if pending:
            yield pending


def _widths(text: str, delimiter: str, whole: bool) -> set[int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [row for _, row in zip(range(_SAMPLE_ROWS + 1), reader, strict=False) if row]
    except csv.Error:
        return set()
    if not whole and len(rows) > 1:
        rows.pop()  # it may end inside a quoted field that goes on past the sample
    return {len(row) for row in rows[:_SAMPLE_ROWS]}


def sniff_delimiter(text: str, prefer: str | None, *, whole: bool = True) -> str | None:
    """The delimiter that splits every row of ``text`` into the same number (> 1) of fields.

    Args:
        text: The file's first lines.
        prefer: Chosen whenever it fits (the comma for a ``.csv``), else the fitting delimiter
            with the most fields wins (ties in the order , tab ; |).
        whole: Whether ``text`` is the whole file; if not, its last row is not counted.

    Returns:
        None when no delimiter fits: one column, or rows of different lengths.
    """
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        widths = _widths(text, delimiter, whole)
        if len(widths) != 1:
            continue
        width = widths.pop()
        if width < 2:
            continue
        if delimiter == prefer:
            return delimiter
        if best is None or width > best[0]:
            best = (width, delimiter)
    return None if best is None else best[1]


def _sample_text(path: Path, codec: str | None) -> tuple[str, bool]:
    """The file's first 64 KiB as text, and whether that is the whole file."""
    with open_binary(path, codec) as handle:
        sample = handle.read(_SAMPLE_BYTES)
        whole = len(sample) < _SAMPLE_BYTES or not handle.read(1)
    return sample.decode("utf-8", "replace"), whole


def csv_delimiter(path: Path, codec: str | None, kind: str, options: ReaderOptions) -> str:
    """The delimiter a CSV is read with: the one asked for, a tab for TSV, else sniffed.

    A ``.csv`` file sniffed as something other than a comma warns (:class:`InputWarning`),
    since the name promised commas.
    """
    if options.delimiter is not None:
        return options.delimiter
    if kind == "tsv":
        return "\t"
    try:
        text, whole = _sample_text(path, codec)
    except (OSError, pa.ArrowInvalid):
        return ","  # unreadable: the reader itself reports why, naming the file
    named_csv = data_suffix(path) == ".csv"
    sniffed = sniff_delimiter(text, "," if named_csv else None, whole=whole)
    if sniffed is None:
        return ","
    if named_csv and sniffed != ",":
        warnings.warn(
            f"{path}: read with delimiter {sniffed!r}: its first lines do not split on commas "
            f"but do on {sniffed!r}; pass delimiter={sniffed!r} to say so",
            InputWarning,
            stacklevel=2,
        )
    return sniffed


def pandas_names(path: Path, header: list[str]) -> list[str]:
    """The header as pandas names it: ``Unnamed: <i>`` for an empty name, ``a.1`` for a repeat.

    Warns (:class:`InputWarning`) when a name repeats, naming the positions (1-based).
    """
    names = [name if name else f"Unnamed: {i}" for i, name in enumerate(header)]
    # pandas' read_csv header mangling (pandas.io.common.mangle_dupe_names): a new name that is
    # already in the header is passed over, and unnamed columns are renamed last.
    unnamed = [i for i, name in enumerate(header) if not name]
    order = [i for i, name in enumerate(header) if name] + unnamed
    counts: dict[str, int] = {}
    deduped = list(names)
    for i in order:
        name = original = names[i]
        count = counts.get(name, 0)
        while count > 0:
            counts[original] = count + 1
            name = f"{original}.{count}"
            count = count + 1 if name in names else counts.get(name, 0)
        deduped[i] = name
        counts[name] = count + 1
    repeated: dict[str, list[int]] = {}
    for position, name in enumerate(header, start=1):
        repeated.setdefault(name, []).append(position)
    for name, positions in repeated.items():
        if len(positions) > 1 and name:
            renamed = ", ".join(repr(deduped[p - 1]) for p in positions)
            warnings.warn(
                f"{path}: column name {name!r} repeats (columns "
                f"{', '.join(map(str, positions))}); read as {renamed}, as pandas names them",
                InputWarning,
                stacklevel=2,
            )
    return deduped


def is_straddle(error: Exception) -> bool:
    """Whether pyarrow failed because a row is longer than its block."""
    return _STRADDLE in str(error)


def grown_block_size(block_size: int, path: Path) -> int:
    """The next block size to try for a file whose rows did not fit in ``block_size``.

    Raises:
        InputError: The blocks are already as large as pyarrow takes.
    """
    if block_size >= MAX_BLOCK_SIZE:
        raise InputError(
            f"{path}: a row is longer than {MAX_BLOCK_SIZE >> 20} MiB, the most the reader "
            "holds at once; check the quoting (an unclosed quote runs to the end of the file)",
            path=path,
        )
    return min(block_size * 4, MAX_BLOCK_SIZE)


def mask_nulls(batch: pa.RecordBatch, options: ReaderOptions) -> pa.RecordBatch:
    """Text columns with each column's null markers made null (see ``keep_values``).

    pyarrow has one set of null markers for every text column; with ``keep_values`` the text
    is read as written and the markers each column does not keep are made null here.
    """
    arrays = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            markers = options.nulls_of(field.name)
            if markers:
                found = pc.is_in(column, value_set=pa.array(markers, field.type))
                column = pc.if_else(found, pa.scalar(None, field.type), column)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
