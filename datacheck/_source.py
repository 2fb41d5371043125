"""Where each row of a batch came from: its file and its row number within that file.

The reader tags every batch it reads from files with its origin, as schema metadata under
:data:`SOURCE_KEY`: a JSON list of ``[file, first_row, rows]`` segments that cover the batch's
rows in order (one segment, unless batches of several files were joined). Row numbers count
a file's data rows from 0, the header not counted: row ``r`` of a CSV file with a header is on
line ``r + 2`` when no quoted value spans lines, and is ``pandas.read_csv(file).iloc[r]``; in
Parquet and JSON Lines it is the ``r``-th record. This is how the service's ``row`` counts too.

The tag travels with the batch through the profile and the row checks (and through Beam, which
pickles batches with their metadata); row validation turns it into the quarantine's
:data:`SOURCE_FILE_COLUMN` and :data:`SOURCE_ROW_COLUMN`. A tag whose rows do not add up to
the batch's (a batch sliced by code that does not know of it) is ignored, never trusted: the
rows are then numbered by their position in the input, with no file. Writers drop the tag
(:func:`untagged`) so that no file datacheck writes carries a stale one.

This module is the one owner of that rule; the reader, the statistics' batch joiner, the row
checks and the writers use it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "SOURCE_FILE_COLUMN",
    "SOURCE_KEY",
    "SOURCE_ROW_COLUMN",
    "Segment",
    "concat_tagged",
    "segments_of",
    "slice_tagged",
    "source_columns",
    "tag_source",
    "tagged_as",
    "untagged",
]

#: the schema-metadata key of a batch's origin
SOURCE_KEY = b"datacheck.source"
#: the quarantine's column of each row's file (null for data that was not read from a file)
SOURCE_FILE_COLUMN = "datacheck_source_file"
#: the quarantine's column of each row's number within its file (from 0, header not counted)
SOURCE_ROW_COLUMN = "datacheck_source_row"

#: (file or None, the row number of the segment's first row, rows in the segment)
Segment = tuple[str | None, int, int]


def _with(batch: pa.RecordBatch, segments: Sequence[Segment] | None) -> pa.RecordBatch:
    metadata = dict(batch.schema.metadata or {})
    metadata.pop(SOURCE_KEY, None)
    if segments:
        metadata[SOURCE_KEY] = json.dumps([list(s) for s in segments]).encode()
    return batch.replace_schema_metadata(metadata or None)


def tag_source(batch: pa.RecordBatch, file: str | None, first_row: int) -> pa.RecordBatch:
    """``batch`` tagged as rows ``first_row ..`` of ``file`` (zero-copy)."""
    return _with(batch, [(file, first_row, batch.num_rows)])


def tagged_as(batch: pa.RecordBatch, origin: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` (the same rows as ``origin``, converted) with ``origin``'s tag."""
    return _with(batch, segments_of(origin))


def untagged(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` without its origin tag (zero-copy; the batch itself when it has none)."""
    if SOURCE_KEY not in (batch.schema.metadata or {}):
        return batch
    return _with(batch, None)


def segments_of(batch: pa.RecordBatch) -> list[Segment] | None:
    """The batch's origin segments, or None when it has no tag or a stale one."""
    raw = (batch.schema.metadata or {}).get(SOURCE_KEY)
    if raw is None:
        return None
    segments = [(f, int(first), int(rows)) for f, first, rows in json.loads(raw)]
    if sum(rows for _, _, rows in segments) != batch.num_rows:
        return None
    return segments


def slice_tagged(batch: pa.RecordBatch, start: int, length: int) -> pa.RecordBatch:
    """``batch.slice(start, length)`` with its tag cut to the slice (zero-copy)."""
    piece = batch.slice(start, length)
    segments = segments_of(batch)
    if segments is None:
        return piece
    out: list[Segment] = []
    at = 0  # the first row of the current segment, in the batch
    stop = start + piece.num_rows
    for file, first, rows in segments:
        lo, hi = max(start, at), min(stop, at + rows)
        if lo < hi:
            out.append((file, first + lo - at, hi - lo))
        at += rows
    return _with(piece, out)


def concat_tagged(batches: Sequence[pa.RecordBatch]) -> pa.RecordBatch:
    """``pa.concat_batches`` with the tags joined (untagged if any batch has no valid tag)."""
    joined = pa.concat_batches([untagged(b) for b in batches])
    out: list[Segment] = []
    for batch in batches:
        segments = segments_of(batch)
        if segments is None:
            return joined
        for file, first, rows in segments:
            if out and out[-1][0] == file and out[-1][1] + out[-1][2] == first:
                out[-1] = (file, out[-1][1], out[-1][2] + rows)
            elif rows:
                out.append((file, first, rows))
    return _with(joined, out)


def source_columns(
    batch: pa.RecordBatch, positions: npt.NDArray[np.int64], offset: int
) -> tuple[pa.Array, pa.Array]:
    """The file and the row number within it of the rows at ``positions`` of ``batch``.

    Args:
        batch: A batch, tagged or not.
        positions: Row positions in ``batch``, ascending.
        offset: The position of the batch's first row in its input, for an untagged batch
            (whose rows are then numbered by that position, with a null file).
    """
    segments = segments_of(batch)
    if segments is None:
        files = pa.nulls(positions.size, pa.string())
        return files, pa.array(positions + offset, pa.int64())
    starts = np.cumsum([0, *(rows for _, _, rows in segments)])[:-1]
    which = np.searchsorted(starts, positions, side="right") - 1
    firsts = np.array([first for _, first, _ in segments], dtype=np.int64)
    rows = firsts[which] + (positions - starts[which])
    files = pa.array([f for f, _, _ in segments], pa.string()).take(pa.array(which))
    return files, pa.array(rows, pa.int64())
