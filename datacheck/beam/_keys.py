"""Unique keys on Beam: a keyed combine finds every later occurrence of a key, across workers.

In memory, a key's first row is the first one read and later ones are quarantined
(``datacheck.validate._keys``). On Beam the batches arrive in no order, so each row is placed
by its source, ``(file, row number)``, which :class:`~datacheck.beam.ReadBatches` tags every
batch with; a key's first row is its smallest position (a file's path, then its row), which is
the in-memory reading order for the files of a directory or a glob (read in path order).

The pipeline::

    batches ─► KeyRows: ((key index, 128-bit hash), position) per row with every key part
            ─► CombinePerKey(_Occurrences): a key's positions, sorted
            ─► LaterOccurrences: (file, row, key index) for all but the first
                     │ (a side input: only the duplicates travel, not the keys)
    batches ─► CheckRowsAndKeys: validate_batches on the schema without its keys, then each
               duplicate row quarantined as DUPLICATE_KEY (with_duplicates), after its other
               reasons, as in memory

No key limit applies: the combine's state is spread over the workers by key. The duplicates'
positions reach every worker as a side input, so their number (not the keys') must fit in a
worker's memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa

from datacheck._source import segments_of
from datacheck.errors import OptionError
from datacheck.schema import Schema
from datacheck.validate import key_hashes, validate_batches, with_duplicates

__all__ = ["CheckRowsAndKeys", "active_keys"]

#: a row's place in the input: its file ("" for none) and its row number there
_Position = tuple[str, int]


def active_keys(schema: Schema, environment: str | None) -> tuple[tuple[str, ...], ...]:
    """The unique keys whose features are all checked in ``environment``."""
    active = {f.name for f in schema.features_in(environment)}
    return tuple(k for k in schema.unique_keys if all(name in active for name in k))


def _positions(batch: pa.RecordBatch) -> list[_Position]:
    segments = segments_of(batch)
    if segments is None:
        raise OptionError(
            "unique keys are checked on Beam across batches that ReadBatches read (each row "
            "carries its file and row number); this batch has no such source, so its rows "
            "cannot be ordered: read the data with ReadBatches"
        )
    return [(file or "", first + i) for file, first, rows in segments for i in range(rows)]


def _key_rows(
    batch: pa.RecordBatch, keys: tuple[tuple[str, ...], ...]
) -> Iterator[tuple[tuple[int, int, int], _Position]]:
    """((key index, hash words), position) for each row with every part of a key."""
    if not batch.num_rows:
        return
    positions = _positions(batch)
    for k, key in enumerate(keys):
        h1, h2, complete = key_hashes(batch, key)
        for i in np.flatnonzero(complete).tolist():
            yield (k, int(h1[i]), int(h2[i])), positions[i]


class _Occurrences(beam.CombineFn):  # type: ignore[misc]  # Beam ships no type hints
    """A key's positions (a list; a unique key has one)."""

    def create_accumulator(self) -> list[_Position]:
        return []

    def add_input(self, accumulator: list[_Position], element: _Position) -> list[_Position]:
        accumulator.append(element)
        return accumulator

    def merge_accumulators(self, accumulators: Iterable[list[_Position]]) -> list[_Position]:
        first, *rest = accumulators
        for other in rest:
            first.extend(other)
        return first

    def extract_output(self, accumulator: list[_Position]) -> list[_Position]:
        return sorted(accumulator)


def _later(
    element: tuple[tuple[int, int, int], list[_Position]],
) -> Iterator[tuple[str, int, int]]:
    (k, _, _), positions = element
    for file, row in positions[1:]:
        yield file, row, k


class _CheckRowsAndKeys(beam.DoFn):  # type: ignore[misc]  # Beam ships no type hints
    """Each batch's rows checked, its duplicate keys quarantined; valid rows to the main
    output, the others to ``quarantine``."""

    def __init__(
        self,
        schema: Schema,
        keys: tuple[tuple[str, ...], ...],
        environment: str | None,
        strict_columns: bool,
        quarantine: str,
    ) -> None:
        super().__init__()
        # The keys are found by the combine: the rows pass the schema without them.
        self._schema = dataclasses.replace(schema, unique_keys=())
        self._keys = keys
        self._environment = environment
        self._strict_columns = strict_columns
        self._quarantine = quarantine
        self._index: tuple[int, dict[_Position, list[int]]] | None = None

    def _duplicates(self, found: Sequence[tuple[str, int, int]]) -> dict[_Position, list[int]]:
        # The side input is the same list for every batch of a bundle: indexed once.
        if self._index is None or self._index[0] != id(found):
            index: dict[_Position, list[int]] = {}
            for file, row, k in found:
                index.setdefault((file, row), []).append(k)
            self._index = (id(found), index)
        return self._index[1]

    def process(
        self, batch: pa.RecordBatch, found: Sequence[tuple[str, int, int]]
    ) -> Iterator[Any]:
        index = self._duplicates(found)
        rows: list[list[int]] = [[] for _ in self._keys]
        if index and batch.num_rows:
            for i, position in enumerate(_positions(batch)):
                for k in index.get(position, ()):
                    rows[k].append(i)
        duplicates = [
            (key, np.array(r, dtype=np.int64)) for key, r in zip(self._keys, rows, strict=True)
        ]
        for checked in validate_batches(
            [batch],
            self._schema,
            environment=self._environment,
            strict_columns=self._strict_columns,
        ):
            checked = with_duplicates(checked, duplicates)
            if checked.valid.num_rows:
                yield checked.valid
            if checked.quarantined.num_rows:
                yield beam.pvalue.TaggedOutput(self._quarantine, checked.quarantined)


class CheckRowsAndKeys(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """``ValidateBatches`` for a schema with unique keys (see the module docstring); its two
    outputs are ``ValidateBatches``' (``valid`` as the main one, and ``quarantine``)."""

    def __init__(
        self,
        schema: Schema,
        environment: str | None,
        strict_columns: bool,
        quarantine: str,
        valid: str,
    ) -> None:
        super().__init__()
        self._schema = schema
        self._environment = environment
        self._strict_columns = strict_columns
        self._quarantine = quarantine
        self._valid = valid
        self._keys = active_keys(schema, environment)

    def expand(self, batches: Any) -> Any:
        later = (
            batches
            | "KeyRows" >> beam.FlatMap(_key_rows, self._keys)
            | "Occurrences" >> beam.CombinePerKey(_Occurrences())
            | "LaterOccurrences" >> beam.FlatMap(_later)
        )
        check = _CheckRowsAndKeys(
            self._schema, self._keys, self._environment, self._strict_columns, self._quarantine
        )
        return batches | "CheckRowsAndKeys" >> beam.ParDo(
            check, beam.pvalue.AsList(later)
        ).with_outputs(self._quarantine, main=self._valid)
