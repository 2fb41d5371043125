"""The label matrix: one vote column per labeling function, batch-aligned with the data.

A :class:`LabelMatrix` holds Arrow record batches, one per input batch and with as many rows,
so ``data_batch.append_column`` or a zip over both joins votes back to their rows. Each
column is named by its LF and holds int8 votes (int16 for more than 127 classes), -1 for
abstain. :func:`vote_matrix` is the one door every consumer (summary, models) goes through,
so a numpy array, an Arrow table and a :class:`LabelMatrix` are read by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datacheck.errors import InputError, OptionError

__all__ = ["LFErrors", "LabelMatrix", "check_votes", "vote_matrix", "vote_type"]

#: the largest cardinality whose votes fit int8 (votes are -1..k-1)
_INT8_CLASSES = 127


def vote_type(cardinality: int | None) -> pa.DataType:
    """The Arrow type of a vote column: int8, or int16 past 127 classes."""
    return pa.int8() if cardinality is None or cardinality <= _INT8_CLASSES else pa.int16()


@dataclass(frozen=True, slots=True, kw_only=True)
class LFErrors:
    """How often one labeling function raised, and its first failure."""

    #: the LF's name
    name: str
    #: rows on which it raised (each became an abstain)
    count: int
    #: the first row it raised on, counted from 0 over the whole source
    first_row: int
    #: ``ExceptionType: message`` of that first failure
    first_message: str


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LabelMatrix:
    """Votes of labeling functions, as Arrow batches aligned with the input's batches."""

    #: one batch per input batch (same rows, same order), one column per LF
    batches: tuple[pa.RecordBatch, ...]
    #: the LF names, in column order
    names: tuple[str, ...]
    #: the classes votes may take (0..cardinality-1); None when not given
    cardinality: int | None = None
    #: per LF that raised on some rows: how often, and where first (only those LFs)
    errors: Mapping[str, LFErrors] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def num_rows(self) -> int:
        """Rows over all batches."""
        return sum(b.num_rows for b in self.batches)

    def to_table(self) -> pa.Table:
        """The votes as one Arrow table."""
        schema = pa.schema([pa.field(n, vote_type(self.cardinality)) for n in self.names])
        return pa.Table.from_batches(list(self.batches), schema=schema)

    def to_numpy(self) -> npt.NDArray[np.int16]:
        """The votes as an ``(n, m)`` int16 array, -1 for abstain."""
        return vote_matrix(self)[0]

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter(self.batches)

    @classmethod
    def from_numpy(
        cls,
        votes: npt.ArrayLike,
        names: Sequence[str] | None = None,
        *,
        cardinality: int | None = None,
        batch_size: int = 65_536,
    ) -> LabelMatrix:
        """A label matrix from an ``(n, m)`` integer array (-1 abstain).

        Raises:
            OptionError: ``votes`` is not two-dimensional, or ``names`` does not name every
                column once.
            InputError: A vote outside ``-1..cardinality-1`` (the message names the column,
                row and value).
        """
        array, labels = _checked_array(votes, names, cardinality)
        kind = vote_type(cardinality)
        dtype = np.int8 if kind == pa.int8() else np.int16
        typed = array.astype(dtype)
        batches = tuple(
            pa.RecordBatch.from_arrays(
                [pa.array(typed[start : start + batch_size, j]) for j in range(len(labels))],
                names=list(labels),
            )
            for start in range(0, max(len(typed), 1), batch_size)
        )
        return cls(batches=batches, names=labels, cardinality=cardinality)


def _check_names(names: Sequence[str], columns: int) -> None:
    if len(names) != columns:
        raise OptionError(
            f"{len(names)} names for {columns} columns", parameter="names", value=list(names)
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise OptionError(
                "two labeling functions share this name", parameter="names", value=name
            )
        seen.add(name)


def check_votes(votes: npt.NDArray[Any], names: Sequence[str], cardinality: int | None) -> None:
    """Raise unless every vote is -1 (abstain) or a class ``0..cardinality-1``.

    Raises:
        InputError: The first bad vote: its LF (``parameter='lfs'``), row and value.
    """
    if votes.size == 0:
        return
    if not np.issubdtype(votes.dtype, np.integer):
        raise InputError(
            f"votes must be integers, not {votes.dtype}", parameter="votes", value=str(votes.dtype)
        )
    high = np.iinfo(np.int16).max if cardinality is None else cardinality - 1
    if votes.min() >= -1 and votes.max() <= high:  # two reductions, no temporary arrays
        return
    bad = (votes < -1) | (votes > high)
    row, column = (int(i) for i in np.argwhere(bad)[0])
    value = int(votes[row, column])
    raise InputError(
        f"voted {value} on row {row}; a vote is -1 (abstain) or a class 0..{high}"
        + ("" if cardinality is None else f" (cardinality {cardinality})"),
        parameter="lfs",
        value=names[column],
        row=row,
    )


def _column_votes(column: pa.Array | pa.ChunkedArray, name: str) -> npt.NDArray[np.int16]:
    if not pa.types.is_integer(column.type):
        raise InputError(
            f"a vote column holds integers (-1 abstain), not {column.type}",
            parameter="lfs",
            value=name,
        )
    filled = column.fill_null(-1)
    return np.asarray(filled.to_numpy(), dtype=np.int16)


def vote_matrix(
    votes: object, names: Sequence[str] | None = None, cardinality: int | None = None
) -> tuple[npt.NDArray[np.int16], tuple[str, ...]]:
    """Votes as an ``(n, m)`` int16 array and the LF names, from any label-matrix form.

    Args:
        votes: A :class:`LabelMatrix`, an Arrow table or record batch of vote columns
            (null reads as abstain), or an ``(n, m)`` integer array.
        names: The columns to take from a table (all by default), or the names of an
            array's columns (``lf_0``, ``lf_1``, ... by default).
        cardinality: Check every vote lies in ``-1..cardinality-1``.

    Raises:
        OptionError: A named column is missing, or the names do not fit.
        InputError: A vote outside the classes (naming the LF, row and value).
    """
    if isinstance(votes, LabelMatrix):
        table: pa.Table | pa.RecordBatch = votes.to_table()
    elif isinstance(votes, pa.Table | pa.RecordBatch):
        table = votes
    else:
        array, labels = _checked_array(votes, names, cardinality)
        return array.astype(np.int16, copy=False), labels
    wanted = tuple(names) if names is not None else tuple(table.schema.names)
    missing = [n for n in wanted if n not in table.schema.names]
    if missing:
        raise OptionError(
            f"no such vote column; the columns are: {', '.join(table.schema.names)}",
            parameter="names",
            value=missing[0],
        )
    if not wanted:
        return np.zeros((table.num_rows, 0), dtype=np.int16), ()
    array = np.column_stack([_column_votes(table.column(n), n) for n in wanted])
    check_votes(array, wanted, cardinality)
    return array, wanted


def _checked_array(
    votes: Any, names: Sequence[str] | None, cardinality: int | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """``votes`` as a 2-D array with its LF names (``lf_0``, ... by default), every vote checked.

    Raises:
        OptionError: Not two-dimensional, or ``names`` does not name every column once.
        InputError: A vote outside ``-1..cardinality-1``.
    """
    array = np.asarray(votes)
    if array.ndim != 2:
        raise OptionError(
            "needs a two-dimensional array (rows x LFs)",
            parameter="votes",
            value=f"shape {array.shape}",
        )
    labels = tuple(names) if names is not None else tuple(f"lf_{j}" for j in range(array.shape[1]))
    _check_names(labels, array.shape[1])
    check_votes(array, labels, cardinality)
    return array, labels
