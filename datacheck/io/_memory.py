"""In-memory sources: pandas DataFrames, Arrow tables, batches, readers and Arrow C streams."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from datacheck.errors import InputError
from datacheck.io._schema import mark_mixed

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["open_memory", "table_from_pandas"]


def table_from_pandas(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table; object columns mixing numbers and text become marked text.

    Raises:
        InputError: A column holds Python objects Arrow cannot represent even as text.
    """
    # When the whole frame fails, some column mixes types: find which, column by column.
    with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for name in frame.columns:
        series = frame[name]
        try:
            array = pa.array(series, from_pandas=True)
            field = pa.field(str(name), array.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            try:
                array = pa.array(series.astype("string"), type=pa.string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
                raise InputError(
                    f"DataFrame column {name!r}: values cannot be read as Arrow data ({error}); "
                    "convert the column to one type"
                ) from None
            field = mark_mixed(pa.field(str(name), pa.string()))
        arrays.append(array)
        fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _is_pandas_frame(source: object) -> bool:
    # Importing pandas costs ~0.3 s, more than the rest of ``import datacheck``; a DataFrame
    # can only exist once pandas has been imported, so look for it rather than import it.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(source, pandas.DataFrame)


def _reader_batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    with reader:
        yield from reader


def open_memory(source: Any) -> tuple[pa.Schema, Iterator[pa.RecordBatch]] | None:
    """The schema and batches of an in-memory source, or None if ``source`` is not one."""
    if _is_pandas_frame(source):
        table = table_from_pandas(source)
        return table.schema, iter(table.to_batches())
    if isinstance(source, pa.Table):
        return source.schema, iter(source.to_batches())
    if isinstance(source, pa.RecordBatch):
        return source.schema, iter([source])
    if isinstance(source, pa.RecordBatchReader):
        return source.schema, _reader_batches(source)
    if hasattr(source, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(source)
        return reader.schema, _reader_batches(reader)
    return None
