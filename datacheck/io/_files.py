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
from datacheck.io._dialect import (
    compression_of,
    csv_delimiter,
    data_suffix,
    grown_block_size,
    is_straddle,
    iter_lines,
    mask_nulls,
    open_binary,
    pandas_names,
)
from datacheck.io._memory import table_from_pandas
from datacheck.io._options import FORMATS, ReaderOptions
from datacheck.io._schema import mark_mixed, mark_overflow, unify

__all__ = ["FORMATS", "FilePlan", "expand_paths", "plan_file"]

#: data extension -> format; CSV, TSV and JSON Lines may also be compressed (``.csv.gz``)
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
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
    #: every column of the file (as named after renaming), before any is left out
    names: tuple[str, ...] = ()
    #: the URL of a file on object storage (``path`` is then its local copy or its key)
    url: str | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's batches (types as read; the caller conforms them to the source schema)."""
        if self.cached is not None:
            cached, self.cached = self.cached, None
            return iter(cached)
        return self.open()


def format_of(path: Path, fmt: str | None) -> str | None:
    """The format named by ``fmt``, or guessed from the file's extension (None if unknown).

    A compression extension is looked through (``x.csv.gz`` is CSV); Parquet compresses inside
    the file, so ``x.parquet.gz`` is unknown.
    """
    if fmt is not None:
        return fmt
    kind = _EXTENSIONS.get(data_suffix(path))
    if kind == "parquet" and data_suffix(path) != path.suffix.lower():
        return None
    return kind


#: what an unknown extension's message suggests
_KNOWN = ".csv, .tsv, .txt, .parquet or .jsonl (the text formats also as .gz, .bz2, .zst, .lz4)"


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
                f"{path}: unknown file extension {path.suffix or '(none)'!r}; use {_KNOWN}, "
                "or name the format (format='csv')",
                path=path,
            )
        return [path]
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not _hidden(p, path)
            and format_of(p, fmt) is not None
            # Folders hold notes and READMEs: a .txt is data when named, globbed or formatted.
            and (fmt is not None or data_suffix(p) != ".txt")
        )
        if not files:
            raise InputError(
                f"{path}: directory holds no .csv, .tsv, .parquet or .jsonl file (compressed or "
                "not); point at the data files or name the format (format='csv')",
                path=path,
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
                "narrow the pattern or name the format (format='csv')",
                path=unknown[0],
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
    for number, line in enumerate(iter_lines(path, compression_of(path)), start=1):
        if test(number, line):
            return number
    return None


def _invalid_utf8_error(path: Path) -> InputError:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    line_number = 1
    for line in iter_lines(path, compression_of(path)):
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


@dataclass(slots=True, kw_only=True)
class _CsvLayout:
    """What pyarrow is told to read one CSV file with; the block size grows for long rows."""

    path: Path
    #: pyarrow's codec for a compressed file
    codec: str | None
    delimiter: str
    block_size: int
    options: ReaderOptions
    #: the header as pandas names it, where that differs from the file's (then the header row
    #: is skipped and these names given: pyarrow cannot select one of two columns named alike)
    column_names: list[str] | None = None
    skip_rows: int = 0

    def open(
        self,
        include: list[str],
        column_types: dict[str, pa.DataType],
        on_invalid_row: Callable[[pcsv.InvalidRow], str],
    ) -> pcsv.CSVStreamingReader:
        """A reader converting the ``include`` columns (empty: every column)."""
        # pyarrow's null markers apply to every text column alike; where some column keeps a
        # marker as data, text is read as written and mask_nulls applies each column's markers.
        kept = dict.fromkeys(self.options.keep_values, pa.string())
        while True:
            source = (
                self.path
                if self.codec is None
                else pa.input_stream(os.fspath(self.path), compression=self.codec)
            )
            try:
                return pcsv.open_csv(
                    source,
                    read_options=pcsv.ReadOptions(
                        block_size=self.block_size,
                        column_names=self.column_names,
                        skip_rows=self.skip_rows,
                    ),
                    parse_options=pcsv.ParseOptions(
                        delimiter=self.delimiter, invalid_row_handler=on_invalid_row
                    ),
                    convert_options=pcsv.ConvertOptions(
                        column_types=kept | column_types,
                        include_columns=include,
                        null_values=list(self.options.null_values),
                        strings_can_be_null=not kept,
                        quoted_strings_can_be_null=True,  # pandas reads "NA" as NA too
                    ),
                )
            except pa.ArrowInvalid as error:
                if not is_straddle(error):
                    raise
                self.block_size = grown_block_size(self.block_size, self.path)

    def finish(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """A batch as read, with each column's null markers applied where pyarrow could not."""
        return mask_nulls(batch, self.options) if self.options.keep_values else batch


def _plan_csv(
    path: Path, kind: str, options: ReaderOptions, batch_size: int, budget: list[int]
) -> FilePlan:
    _check_not_empty(path)
    codec = compression_of(path)
    layout = _CsvLayout(
        path=path,
        codec=codec,
        delimiter=csv_delimiter(path, codec, kind, options),
        # Blocks are bytes. pyarrow converts several blocks ahead on its threads, so memory
        # grows with the block size; 1 MiB keeps the reader near 40 MiB of Arrow memory.
        block_size=min(max(batch_size * 16, 1 << 20), 16 << 20),
        options=options,
    )
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
            return layout.open(include, forced, on_invalid_row)
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
            yield layout.finish(batch)

    # pyarrow's conversion errors number columns in file order, whatever include_columns says.
    header = reader([]).schema.names
    named = pandas_names(path, header)
    if named != header:
        layout.column_names = named
        layout.skip_rows = 1 + sum(name.count("\n") for name in header)
        header = named
    # Columns the file lacks are left out here; the source fills them with nulls if another
    # file has them, and read_batches reports a column no file has.
    present = _selected(header, options) or []
    # A compressed file's batches take about ten times its size.
    size = os.path.getsize(path) * (1 if codec is None else 10)
    keep = size <= budget[0]
    kept: list[pa.RecordBatch] = []
    while True:
        watch = _OverflowWatch()
        schema = reader(present).schema
        if any(pa.types.is_binary(f.type) for f in schema):
            # A CSV holds no bytes: pyarrow infers binary only for text that is not UTF-8.
            raise _invalid_utf8_error(path)
        # A large file is checked without converting its text columns (they cannot fail to
        # convert, and converting them is most of the cost); its batches are read again later.
        # A file of text columns alone is still parsed once, converting one column, so a row
        # too long for the block size is found (and the blocks grown) before the first batch.
        typed = [f.name for f in schema if not pa.types.is_string(f.type)]
        try:
            if keep:
                kept = [layout.finish(batch) for batch in _read_raw(reader(present))]
            else:
                for _batch in _read_raw(reader(typed or header[:1])):
                    watch.see(_batch)
            break
        except pa.ArrowInvalid as error:
            if is_straddle(error):
                layout.block_size = grown_block_size(layout.block_size, path)
                continue
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
        budget[0] -= size
    first = kept[0] if kept else next(read(reader(present)), None)
    if first is not None:
        mixed.update(_text_mixing_numbers(first))
    final = pa.schema([mark_mixed(f) if f.name in mixed else f for f in schema])
    for batch in kept:
        watch.see(batch)
    final = _marked_overflow(final, watch, reader, forced)
    return FilePlan(
        path=path,
        schema=final,
        open=lambda: read(reader(present)),
        cached=kept if keep else None,
        names=tuple(header),
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


class _OverflowWatch:
    """Float columns of a CSV where some value may not have fit where it was read.

    Integers beyond int64 make pyarrow read an integer column as float64, and a number beyond
    the doubles (``1e309``) reads as infinity; both show as a value at or beyond 2**63 in size.
    The checking pass hands every batch here: one min_max per float column, so a file with no
    such value is never read again (see :func:`_overflow_kinds`).
    """

    __slots__ = ("suspects",)

    def __init__(self) -> None:
        self.suspects: set[str] = set()

    def see(self, batch: pa.RecordBatch) -> None:
        """Note the float columns of ``batch`` that hold a value of 2**63 or more in size."""
        for column_field, column in zip(batch.schema, batch.columns, strict=True):
            if not pa.types.is_float64(column_field.type) or column_field.name in self.suspects:
                continue
            low, high = pc.min_max(column).values()
            edge = _INT64_EDGE
            # NaN compares false (min_max gives NaN only when every value is NaN).
            if (high.as_py() or 0.0) >= edge or (low.as_py() or 0.0) <= -edge:
                self.suspects.add(column_field.name)


#: a float of this size or more may be an integer that int64 could not hold
_INT64_EDGE = 2.0**63
_INTEGER_TEXT = r"^\s*[+-]?\d+\s*$"


def _overflow_kinds(names: list[str], batches: Iterator[pa.RecordBatch]) -> dict[str, list[str]]:
    """Column -> overflow kinds (``datacheck._types.OVERFLOW_KINDS``), from the text of the
    columns ``names`` (the batches' columns, in order): ``int64`` when every number is written
    as an integer and some lie beyond int64, ``float64`` when a finite-looking number reads as
    infinity."""
    numbers: dict[str, int] = {}
    integers: dict[str, int] = {}
    big: set[str] = set()
    infinite: set[str] = set()
    for batch in batches:
        for name, text in zip(names, batch.columns, strict=True):
            is_number = pc.match_substring_regex(text, _NUMBER)
            is_integer = pc.match_substring_regex(text, _INTEGER_TEXT)
            numbers[name] = numbers.get(name, 0) + (pc.sum(is_number).as_py() or 0)
            integers[name] = integers.get(name, 0) + (pc.sum(is_integer).as_py() or 0)
            kept = pc.if_else(is_number, pc.utf8_trim_whitespace(text), None)
            values = pc.cast(kept, pa.float64())
            if pc.any(pc.is_inf(values)).as_py():
                infinite.add(name)
            if pc.any(pc.and_(is_integer, pc.greater_equal(pc.abs(values), _INT64_EDGE))).as_py():
                big.add(name)
    kinds: dict[str, list[str]] = {}
    for name, count in numbers.items():
        found = []
        if name in big and integers[name] == count:
            found.append("int64")
        if name in infinite:
            found.append("float64")
        if found:
            kinds[name] = found
    return kinds


def _marked_overflow(
    schema: pa.Schema,
    watch: _OverflowWatch,
    reader: Callable[[list[str]], pcsv.CSVStreamingReader],
    forced: dict[str, pa.DataType],
) -> pa.Schema:
    """``schema`` with the overflow mark on the columns whose text did not fit their type.

    Only the suspect columns are read again, as text, through the plan's own ``reader`` (so
    with its delimiter and null markers): ``forced`` is the dict of column types it reads.
    """
    suspects = [name for name in schema.names if name in watch.suspects]
    if not suspects:
        return schema
    saved = dict(forced)
    forced.update(dict.fromkeys(suspects, pa.string()))
    try:
        kinds = _overflow_kinds(suspects, _read_raw(reader(suspects)))
    finally:
        forced.clear()
        forced.update(saved)
    return pa.schema([mark_overflow(f, kinds[f.name]) if f.name in kinds else f for f in schema])


def _read_raw(stream: pcsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield stream.read_next_batch()
        except StopIteration:
            return


def _selected(
    names: list[str], options: ReaderOptions, hidden: frozenset[str] = frozenset()
) -> list[str] | None:
    """The columns of a file with these ``names`` to read, in order; None: every column.

    ``hidden`` columns are left out unless ``options.columns`` names them. A column the file
    lacks is left out here (the source fills it with nulls if another file has it, and
    read_batches reports a column no file has).
    """
    if options.columns is not None:
        return [c for c in options.columns if c in names]
    if not options.exclude and not hidden.intersection(names):
        return None
    return [n for n in names if n not in options.exclude and n not in hidden]


def _pandas_index_columns(schema: pa.Schema) -> frozenset[str]:
    """The columns pandas wrote for a DataFrame's index (``__index_level_0__`` or a named one).

    ``pandas.read_parquet`` makes them the index again, not columns; read_batches leaves them
    out too, as it leaves out the index of a DataFrame it is given.
    """
    try:
        metadata = schema.pandas_metadata
    except (ValueError, TypeError):  # not JSON: not pandas' metadata
        return frozenset()
    if not isinstance(metadata, dict):
        return frozenset()
    index = metadata.get("index_columns", [])
    # A RangeIndex is stored as a description (a dict), not as a column.
    return (
        frozenset(c for c in index if isinstance(c, str))
        if isinstance(index, list)
        else frozenset()
    )


def _plan_parquet(path: Path, options: ReaderOptions, batch_size: int) -> FilePlan:
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
    names = tuple(schema.names)
    present = _selected(list(names), options, _pandas_index_columns(schema))
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

    return FilePlan(path=path, schema=schema, open=batches, names=names)


def _json_line_error(path: Path) -> InputError:
    row = _line_where(path, lambda _n, line: _bad_json_line(line))
    where = f"line {row} is not a JSON object" if row else "not valid JSON Lines"
    return InputError(f"{path}: {where}; write one JSON object per line")


def _select_batch(batch: pa.RecordBatch, options: ReaderOptions) -> pa.RecordBatch:
    present = _selected(batch.schema.names, options)
    return batch if present is None else batch.select(present)


def _plan_jsonl_pandas(path: Path, options: ReaderOptions, batch_size: int) -> FilePlan:
    # pyarrow's JSON reader refuses a column whose JSON type changes between rows; pandas reads
    # it as objects, which become text marked mixed (two streaming passes, like CSV).
    import pandas as pd  # ~0.3 s to import: only this rare fallback needs it

    names: list[str] = []

    def chunks() -> Iterator[pa.RecordBatch]:
        with (
            open_binary(path, compression_of(path)) as handle,
            pd.read_json(handle, lines=True, chunksize=batch_size, dtype=False) as reader,
        ):
            for frame in reader:
                table = table_from_pandas(frame)
                names.extend(n for n in table.column_names if n not in names)
                for batch in table.to_batches():
                    yield _select_batch(batch, options)

    schema = unify([b.schema for b in chunks()])
    return FilePlan(path=path, schema=schema, open=chunks, names=tuple(names))


def _plan_jsonl(path: Path, options: ReaderOptions, batch_size: int, budget: list[int]) -> FilePlan:
    _check_not_empty(path)
    codec = compression_of(path)
    block_size = [min(max(batch_size * 16, 1 << 20), 16 << 20)]  # as for CSV: readahead
    names: list[str] = []

    def stream() -> pjson.JSONStreamingReader:
        source = path if codec is None else pa.input_stream(os.fspath(path), compression=codec)
        return pjson.open_json(source, read_options=pjson.ReadOptions(block_size=block_size[0]))

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in _read_raw(stream()):
                names.extend(n for n in batch.schema.names if n not in names)
                yield _select_batch(batch, options)
        except pa.ArrowInvalid as error:
            if "UTF8" in str(error) or "UTF-8" in str(error):
                raise _invalid_utf8_error(path) from None
            if is_straddle(error):
                raise  # the checking pass below grows the blocks
            raise _json_line_error(path) from None

    size = os.path.getsize(path) * (1 if codec is None else 10)
    keep = size <= budget[0]
    kept: list[pa.RecordBatch] = []
    while True:
        try:
            kept = [batch for batch in batches() if keep]
            break
        except pa.ArrowInvalid:  # a line longer than the block: read with larger blocks
            block_size[0] = grown_block_size(block_size[0], path)
        except InputError:
            # A column whose JSON type changes after the first block, or a new key, reads the
            # same way pyarrow reports a broken line; tell them apart by parsing the lines.
            if _line_where(path, lambda _n, line: _bad_json_line(line)) is not None:
                raise
            return _plan_jsonl_pandas(path, options, batch_size)
    if keep:
        budget[0] -= size
        schema = unify([b.schema for b in kept]) if kept else pa.schema([])
        return FilePlan(path=path, schema=schema, open=batches, cached=kept, names=tuple(names))
    first = next(batches(), None)
    schema = pa.schema([]) if first is None else first.schema
    return FilePlan(path=path, schema=schema, open=batches, names=tuple(names))


def _bad_json_line(line: bytes) -> bool:
    if not line.strip():
        return False
    try:
        return not isinstance(json.loads(line), dict)
    except ValueError:
        return True


def plan_file(path: Path, options: ReaderOptions, batch_size: int, budget: list[int]) -> FilePlan:
    """Check one file and return how to read it.

    Args:
        path: An existing file.
        options: How to read it (its format None: from the extension; only the columns
            selected, those the file lacks left out here).
        batch_size: Rows per batch wanted.
        budget: Bytes of small files whose checking-pass batches may still be kept; a
            one-element list, decreased by what this plan keeps.

    Raises:
        InputError: The file cannot be read; the message names it (and the line where known).
    """
    kind = format_of(path, options.format)
    if kind in ("csv", "tsv"):
        plan = _plan_csv(path, kind, options, batch_size, budget)
    elif kind == "parquet":
        plan = _plan_parquet(path, options, batch_size)
    elif kind == "jsonl":
        plan = _plan_jsonl(path, options, batch_size, budget)
    else:
        raise OptionError(
            f"unknown format; use one of: {', '.join(FORMATS)}", parameter="format", value=kind
        )
    return plan
