"""Files on disk: path, glob and directory expansion, and one reader plan per file format.

A plan knows a file's final Arrow schema before any batch is handed out, so every batch of a
source has one schema. CSV and JSON Lines infer types from their first block only, so a plan
first reads the whole file once (streaming, memory stays flat) to find the columns whose later
values do not fit the inferred type; such a column is re-read as text and marked
``datacheck.mixed_types``. Files small enough keep the batches of that first pass, so they are
parsed once.
"""

from __future__ import annotations

import codecs
import glob
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson

from datacheck.errors import InputError, InputNotFoundError, OptionError
from datacheck.io._memory import table_from_pandas
from datacheck.io._schema import mark_mixed, unify

__all__ = ["FORMATS", "FilePlan", "expand_paths", "plan_file"]

#: the file formats read_batches understands, by name
FORMATS = ("csv", "jsonl", "parquet")

_EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

_GLOB_CHARS = re.compile(r"[*?\[]")
_CSV_CONVERSION = re.compile(
    r"In CSV column #(\d+): CSV conversion error to ([^:]+): invalid value '(.*)'", re.DOTALL
)


@dataclass(slots=True, kw_only=True)
class FilePlan:
    """How to read one file: its final schema and a function that yields its batches."""

    path: Path
    schema: pa.Schema
    open: Callable[[], Iterator[pa.RecordBatch]]
    #: batches kept from the checking pass; handed out instead of re-reading the file
    cached: list[pa.RecordBatch] | None = field(default=None)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's batches (types as read; the caller conforms them to the source schema)."""
        if self.cached is not None:
            cached, self.cached = self.cached, None
            return iter(cached)
        return self.open()


def format_of(path: Path, fmt: str | None) -> str | None:
    """The format named by ``fmt``, or guessed from the file's extension (None if unknown)."""
    if fmt is not None:
        return fmt
    return _EXTENSIONS.get(path.suffix.lower())


def _hidden(path: Path, root: Path) -> bool:
    # _SUCCESS, _metadata, .crc files and the like are written beside data by Spark and Hadoop.
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def expand_paths(source: str | os.PathLike[str], fmt: str | None) -> list[Path]:
    """The data files a path, directory or glob names, in sorted order.

    Raises:
        InputNotFoundError: Nothing exists at the path, or the glob matches no file.
        InputError: A directory holds no file of a known format, or a file's format is unknown.
    """
    text = os.fspath(source)
    path = Path(text)
    if path.is_file():
        if format_of(path, fmt) is None:
            raise InputError(
                f"{path}: unknown file extension {path.suffix or '(none)'!r}; use .csv, "
                ".parquet or .jsonl, or name the format (format='csv')",
                path=path,
            )
        return [path]
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not _hidden(p, path) and format_of(p, fmt) is not None
        )
        if not files:
            raise InputError(
                f"{path}: directory holds no .csv, .parquet or .jsonl file; "
                "point at the data files or name the format"
            )
        return files
    if _GLOB_CHARS.search(text):
        matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise InputNotFoundError(f"{text}: the pattern matches no file; check the path")
        unknown = [p for p in files if format_of(p, fmt) is None]
        if unknown:
            raise InputError(
                f"{unknown[0]}: unknown file extension {unknown[0].suffix or '(none)'!r}; "
                "narrow the pattern or name the format"
            )
        return files
    raise InputNotFoundError(f"{path}: no such file or directory")


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputError(
            f"{path}: file is empty (0 bytes); a CSV needs at least a header line, "
            "a Parquet or JSON Lines file at least its structure"
        )


def _line_where(path: Path, test: Callable[[int, bytes], bool]) -> int | None:
    # Error path only: find the 1-based line that made the reader fail, to name it.
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if test(number, line):
                return number
    return None


def _invalid_utf8_error(path: Path) -> InputError:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    line_number = 1
    with open(path, "rb") as handle:
        for line in handle:
            try:
                decoder.decode(line)
            except UnicodeDecodeError as error:
                return InputError(
                    f"{path}: invalid UTF-8 at line {line_number} (byte offset "
                    f"{offset + error.start}); re-encode the file as UTF-8"
                )
            offset += len(line)
            line_number += 1
    return InputError(f"{path}: invalid UTF-8; re-encode the file as UTF-8")


def _ragged_row_error(path: Path, text: str | None, expected: int, actual: int) -> InputError:
    row = None
    if text is not None:
        wanted = text.encode("utf-8", "surrogateescape")
        row = _line_where(path, lambda _n, line: line.rstrip(b"\r\n") == wanted)
    where = f"line {row}" if row is not None else "a row"
    return InputError(
        f"{path}: {where} has {actual} fields but the header has {expected}; "
        "fix the row or quote fields that contain the delimiter"
    )


def _widen(current: pa.DataType, value: str) -> pa.DataType:
    """The next type to try for a CSV column whose ``value`` did not convert to ``current``."""
    if pa.types.is_null(current) or pa.types.is_integer(current):
        if re.fullmatch(r"\s*[+-]?\d+\s*", value) and pa.types.is_null(current):
            return pa.int64()
        try:
            float(value)
        except ValueError:
            return pa.string()
        return pa.float64()
    return pa.string()


def _plan_csv(
    path: Path, columns: list[str] | None, batch_size: int, budget: list[int]
) -> FilePlan:
    _check_not_empty(path)
    # Blocks are bytes. pyarrow converts several blocks ahead on its threads, so memory grows
    # with the block size; 1 MiB keeps the reader near 40 MiB of Arrow memory.
    block_size = min(max(batch_size * 16, 1 << 20), 16 << 20)
    forced: dict[str, pa.DataType] = {}
    mixed: set[str] = set()
    first_invalid: list[pcsv.InvalidRow] = []

    def on_invalid_row(row: pcsv.InvalidRow) -> str:
        if not first_invalid:
            first_invalid.append(row)
        return "error"

    def reader(include: list[str]) -> pcsv.CSVStreamingReader:
        # include: the columns to convert, in output order; empty means every column.
        try:
            return pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=block_size),
                parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid_row),
                convert_options=pcsv.ConvertOptions(column_types=forced, include_columns=include),
            )
        except pa.ArrowInvalid as error:
            raise translate(error) from None

    def translate(error: pa.ArrowInvalid) -> InputError:
        message = str(error)
        if "invalid UTF8" in message:
            return _invalid_utf8_error(path)
        if first_invalid:
            bad = first_invalid[0]
            return _ragged_row_error(path, bad.text, bad.expected_columns, bad.actual_columns)
        return InputError(f"{path}: cannot read as CSV: {message.splitlines()[0]}")

    def read(stream: pcsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
        while True:
            try:
                batch = stream.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as error:
                raise translate(error) from None
            yield batch

    # pyarrow's conversion errors number columns in file order, whatever include_columns says.
    header = reader([]).schema.names
    # Columns the file lacks are left out here; the source fills them with nulls if another
    # file has them, and read_batches reports a column no file has.
    present = [] if columns is None else [c for c in columns if c in header]
    keep = os.path.getsize(path) <= budget[0]
    kept: list[pa.RecordBatch] = []
    while True:
        schema = reader(present).schema
        if any(pa.types.is_binary(f.type) for f in schema):
            # A CSV holds no bytes: pyarrow infers binary only for text that is not UTF-8.
            raise _invalid_utf8_error(path)
        # A large file is checked without converting its text columns (they cannot fail to
        # convert, and converting them is most of the cost); its batches are read again later.
        typed = [f.name for f in schema if not pa.types.is_string(f.type)]
        try:
            if keep:
                kept = list(_read_raw(reader(present)))
            elif typed:
                for _batch in _read_raw(reader(typed)):
                    continue
            break
        except pa.ArrowInvalid as error:
            match = _CSV_CONVERSION.search(str(error))
            if match is None:
                raise translate(error) from None
            if match.group(2).strip() == "string":
                raise _invalid_utf8_error(path) from None
            name = header[int(match.group(1))]
            current = schema.field(name).type
            widened = _widen(current, match.group(3))
            if pa.types.is_string(widened) and not pa.types.is_null(current):
                mixed.add(name)
            forced[name] = widened

    if keep:
        budget[0] -= os.path.getsize(path)
    first = kept[0] if kept else next(read(reader(present)), None)
    if first is not None:
        mixed.update(_text_mixing_numbers(first))
    final = pa.schema([mark_mixed(f) if f.name in mixed else f for f in schema])
    return FilePlan(
        path=path,
        schema=final,
        open=lambda: read(reader(present)),
        cached=kept if keep else None,
    )


_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


def _text_mixing_numbers(batch: pa.RecordBatch) -> list[str]:
    """Text columns of a CSV block where some values are numbers and some are not.

    pyarrow infers text for such a column when both kinds fall in the first block; a later
    conversion failure is caught separately (see _plan_csv).
    """
    names = []
    for column_field, column in zip(batch.schema, batch.columns, strict=True):
        if not pa.types.is_string(column_field.type):
            continue
        present = len(column) - column.null_count
        numbers = pc.sum(pc.match_substring_regex(column, _NUMBER)).as_py() or 0
        if 0 < numbers < present:
            names.append(column_field.name)
    return names


def _read_raw(stream: pcsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield stream.read_next_batch()
        except StopIteration:
            return


def _plan_parquet(path: Path, columns: list[str] | None, batch_size: int) -> FilePlan:
    import pyarrow.parquet as pq  # ~15 ms with pyarrow.fs: only Parquet sources pay for it

    _check_not_empty(path)
    try:
        with pq.ParquetFile(path) as parquet:
            schema = parquet.schema_arrow
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            f"{path}: not a readable Parquet file (truncated or corrupt: "
            f"{str(error).splitlines()[0]}); re-export it"
        ) from None
    present = None if columns is None else [c for c in columns if c in schema.names]
    if present is not None:
        schema = pa.schema([schema.field(c) for c in present])

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            with pq.ParquetFile(path) as handle:
                # One reader per row group: a single reader over the whole file keeps
                # allocating as it goes (pyarrow 25), so memory would grow with the file.
                for group in range(handle.metadata.num_row_groups):
                    yield from handle.iter_batches(
                        batch_size=batch_size, columns=present, row_groups=[group]
                    )
        except (pa.ArrowInvalid, OSError) as error:
            raise InputError(
                f"{path}: corrupt Parquet data ({str(error).splitlines()[0]}); re-export it"
            ) from None

    return FilePlan(path=path, schema=schema, open=batches)


def _json_line_error(path: Path) -> InputError:
    row = _line_where(path, lambda _n, line: _bad_json_line(line))
    where = f"line {row} is not a JSON object" if row else "not valid JSON Lines"
    return InputError(f"{path}: {where}; write one JSON object per line")


def _plan_jsonl_pandas(path: Path, columns: list[str] | None, batch_size: int) -> FilePlan:
    # pyarrow's JSON reader refuses a column whose JSON type changes between rows; pandas reads
    # it as objects, which become text marked mixed (two streaming passes, like CSV).
    import pandas as pd  # ~0.3 s to import: only this rare fallback needs it

    def chunks() -> Iterator[pa.RecordBatch]:
        with pd.read_json(path, lines=True, chunksize=batch_size, dtype=False) as reader:
            for frame in reader:
                table = table_from_pandas(frame)
                if columns is not None:
                    table = table.select([c for c in columns if c in table.column_names])
                yield from table.to_batches()

    schema = unify([b.schema for b in chunks()])
    return FilePlan(path=path, schema=schema, open=chunks)


def _plan_jsonl(
    path: Path, columns: list[str] | None, batch_size: int, budget: list[int]
) -> FilePlan:
    _check_not_empty(path)
    block_size = min(max(batch_size * 16, 1 << 20), 16 << 20)  # as for CSV: readahead

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            stream = pjson.open_json(path, read_options=pjson.ReadOptions(block_size=block_size))
            for batch in _read_raw(stream):
                yield (
                    batch
                    if columns is None
                    else batch.select([c for c in columns if c in batch.schema.names])
                )
        except pa.ArrowInvalid as error:
            if "UTF8" in str(error) or "UTF-8" in str(error):
                raise _invalid_utf8_error(path) from None
            raise _json_line_error(path) from None

    keep = os.path.getsize(path) <= budget[0]
    kept: list[pa.RecordBatch] = []
    try:
        for batch in batches():
            if keep:
                kept.append(batch)
    except InputError:
        # A column whose JSON type changes after the first block, or a new key, reads the same
        # way pyarrow reports a broken line; tell them apart by parsing the lines ourselves.
        if _line_where(path, lambda _n, line: _bad_json_line(line)) is not None:
            raise
        return _plan_jsonl_pandas(path, columns, batch_size)
    if keep:
        budget[0] -= os.path.getsize(path)
        schema = unify([b.schema for b in kept]) if kept else pa.schema([])
        return FilePlan(path=path, schema=schema, open=batches, cached=kept)
    stream = pjson.open_json(path, read_options=pjson.ReadOptions(block_size=block_size))
    schema = stream.schema
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns if c in schema.names])
    return FilePlan(path=path, schema=schema, open=batches)


def _bad_json_line(line: bytes) -> bool:
    if not line.strip():
        return False
    try:
        return not isinstance(json.loads(line), dict)
    except ValueError:
        return True


def plan_file(
    path: Path, fmt: str | None, columns: list[str] | None, batch_size: int, budget: list[int]
) -> FilePlan:
    """Check one file and return how to read it.

    Args:
        path: An existing file.
        fmt: Its format, or None to take it from the extension.
        columns: Only these columns (those the file lacks are left out here).
        batch_size: Rows per batch wanted.
        budget: Bytes of small files whose checking-pass batches may still be kept; a
            one-element list, decreased by what this plan keeps.

    Raises:
        InputError: The file cannot be read; the message names it (and the line where known).
    """
    kind = format_of(path, fmt)
    if kind == "csv":
        plan = _plan_csv(path, columns, batch_size, budget)
    elif kind == "parquet":
        plan = _plan_parquet(path, columns, batch_size)
    elif kind == "jsonl":
        plan = _plan_jsonl(path, columns, batch_size, budget)
    else:
        raise OptionError(f"{path}: unknown format {kind!r}; use one of {', '.join(FORMATS)}")
    return plan
