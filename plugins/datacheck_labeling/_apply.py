"""Applying labeling functions to any source: vectorized LFs in threads, row-wise ones in processes.

:func:`apply_lfs` reads the source with :func:`datacheck.read_batches` and returns one vote
batch per input batch. Vectorized LFs run on whole batches in a thread pool (Arrow and numpy
release the GIL). Row-wise LFs are Python per row, so they run in a process pool: each input
batch is cut into chunks, the chunks go to the workers, and the votes come back in order. Only
a bounded number of chunks is in flight, so memory stays flat however large the source.

Failures follow the issue's rules: an LF that raises on a row abstains there and its error
count and first failure are kept (``strict=True`` raises instead, naming the LF and row); an
LF that returns something that is not a vote is a bug in the LF and always an error.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datacheck import read_batches
from datacheck.errors import InputError, OptionError
from datacheck_labeling._lf import ABSTAIN, LabelingFunction
from datacheck_labeling._matrix import LabelMatrix, LFErrors, check_votes, vote_type

__all__ = ["apply_lfs", "check_lfs", "vote_batch"]

#: row-wise LF calls below which a one-batch source is voted in this process: starting worker
#: processes takes about a second, what 100,000 calls of a small LF take
_IN_PROCESS_CALLS = 100_000
#: rows of one task sent to a row-wise worker: big enough to amortise the round trip, small
#: enough that two workers share even a single batch
_CHUNK_ROWS = 4096


@dataclass(slots=True)
class _Failures:
    """Per LF: how many rows raised, and the first (row, message)."""

    count: npt.NDArray[np.int64]
    first: list[tuple[int, str] | None]

    @classmethod
    def empty(cls, m: int) -> _Failures:
        return cls(count=np.zeros(m, dtype=np.int64), first=[None] * m)

    def add(self, other: _Failures) -> None:
        self.count += other.count
        for j, seen in enumerate(other.first):
            mine = self.first[j]
            if seen is not None and (mine is None or seen[0] < mine[0]):
                self.first[j] = seen


def check_lfs(lfs: object) -> tuple[LabelingFunction, ...]:
    """``lfs`` as a tuple of labeling functions with distinct names.

    Raises:
        OptionError: ``lfs`` is empty, holds something that is not a
            :class:`LabelingFunction`, or two LFs share a name.
    """
    if isinstance(lfs, LabelingFunction):
        lfs = [lfs]
    if not isinstance(lfs, Iterable) or isinstance(lfs, str | bytes):
        raise OptionError(
            "needs a list of labeling functions", parameter="lfs", value=type(lfs).__name__
        )
    found = tuple(lfs)
    if not found:
        raise OptionError("needs at least one labeling function", parameter="lfs", value=[])
    names: set[str] = set()
    for lf in found:
        if not isinstance(lf, LabelingFunction):
            what = getattr(lf, "__name__", type(lf).__name__)
            raise OptionError(
                "not a labeling function; decorate it with @labeling_function()",
                parameter="lfs",
                value=what,
            )
        if lf.name in names:
            raise OptionError(
                "two labeling functions share this name", parameter="lfs", value=lf.name
            )
        names.add(lf.name)
    return found


def _as_votes(result: Any, lf: LabelingFunction, rows: int, offset: int) -> npt.NDArray[np.int64]:
    """A vectorized LF's result as an int64 array of ``rows`` votes (null: abstain)."""
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if isinstance(result, pa.Array):
        if not (pa.types.is_integer(result.type) or pa.types.is_null(result.type)):
            raise InputError(
                f"returned {result.type} values on rows {offset}..{offset + rows - 1}; "
                "return integer votes (-1 abstain)",
                parameter="lfs",
                value=lf.name,
                row=offset,
            )
        result = result.cast(pa.int64()).fill_null(ABSTAIN).to_numpy(zero_copy_only=False)
    array = np.asarray(result)
    if array.shape != (rows,):
        raise InputError(
            f"returned {array.shape} votes for a batch of {rows} rows (from row {offset}); "
            "return one vote per row",
            parameter="lfs",
            value=lf.name,
            row=offset,
        )
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(
            f"returned {array.dtype} values on rows {offset}..{offset + rows - 1}; "
            "return integer votes (-1 abstain)",
            parameter="lfs",
            value=lf.name,
            row=offset,
        )
    return array.astype(np.int64, copy=False)


def _run_vectorized(
    lf: LabelingFunction, batch: pa.RecordBatch, offset: int, strict: bool
) -> tuple[npt.NDArray[np.int64], tuple[int, str] | None]:
    try:
        result = lf(batch)
    except InputError:
        raise
    except Exception as error:  # a broken LF must not take the run down (unless strict)
        message = f"{type(error).__name__}: {error}"
        if strict:
            raise InputError(
                f"raised on the batch of rows {offset}..{offset + batch.num_rows - 1}: {message}",
                parameter="lfs",
                value=lf.name,
                row=offset,
            ) from error
        return np.full(batch.num_rows, ABSTAIN, dtype=np.int64), (offset, message)
    return _as_votes(result, lf, batch.num_rows, offset), None


def _vote_of(value: Any, lf: LabelingFunction, row: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(
            f"returned {value!r} on row {row}; return an int vote (-1 abstain)",
            parameter="lfs",
            value=lf.name,
            row=row,
        )
    return int(value)


def _run_rows(
    lfs: Sequence[LabelingFunction], batch: pa.RecordBatch, offset: int, strict: bool
) -> tuple[npt.NDArray[np.int64], _Failures]:
    """The votes of row-wise LFs on one chunk: an ``(rows, len(lfs))`` array, and failures."""
    rows = batch.to_pylist()
    votes = np.full((len(rows), len(lfs)), ABSTAIN, dtype=np.int64)
    failures = _Failures.empty(len(lfs))
    for j, lf in enumerate(lfs):
        for i, row in enumerate(rows):
            try:
                value = lf(row)
            except Exception as error:  # a broken LF must not take the run down
                message = f"{type(error).__name__}: {error}"
                if strict:
                    raise InputError(
                        f"raised on row {offset + i}: {message}",
                        parameter="lfs",
                        value=lf.name,
                        row=offset + i,
                    ) from None
                failures.count[j] += 1
                if failures.first[j] is None:
                    failures.first[j] = (offset + i, message)
                continue
            votes[i, j] = _vote_of(value, lf, offset + i)
    return votes, failures


def _picklable(lfs: Sequence[LabelingFunction]) -> bool:
    try:
        pickle.dumps(tuple(lfs))
    except (TypeError, pickle.PicklingError, AttributeError):
        return False
    return True


#: worker pools by size, started on first use and kept for the life of the process
_POOLS: dict[int, ProcessPoolExecutor] = {}


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, reused by later calls.

    Spawn, not fork: this process runs Arrow's and our own thread pools, and forking a process
    with threads can deadlock (Python 3.12 warns). Spawned workers get this process's
    ``sys.path`` and import each LF by reference. Starting them costs one to three seconds
    (each imports pyarrow and datacheck), so the pool is kept for later calls and shut down
    when the interpreter exits.
    """
    pool = _POOLS.get(workers)
    if pool is None:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        _POOLS[workers] = pool
        if len(_POOLS) == 1:
            atexit.register(_shutdown_pools)
    return pool


def _shutdown_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


@dataclass(slots=True)
class _Plan:
    lfs: tuple[LabelingFunction, ...]
    vectorized: list[int]
    rowwise: list[int]
    cardinality: int | None
    strict: bool


def vote_batch(
    batch: pa.RecordBatch,
    lfs: Sequence[LabelingFunction],
    *,
    cardinality: int | None = None,
    strict: bool = False,
    offset: int = 0,
) -> tuple[pa.RecordBatch, dict[str, LFErrors]]:
    """The votes of every LF on one batch, in this process (Beam's workers call this).

    Returns:
        The vote batch (one column per LF) and, per LF that raised, its failures.
    """
    plan = _plan(lfs, cardinality, strict)
    failures = _Failures.empty(len(plan.lfs))
    votes = np.full((batch.num_rows, len(plan.lfs)), ABSTAIN, dtype=np.int64)
    _vectorized_into(plan, batch, offset, votes, failures, None)
    if plan.rowwise:
        rowwise, found = _run_rows([plan.lfs[j] for j in plan.rowwise], batch, offset, strict)
        _scatter(plan, rowwise, found, votes, failures, offset)
    return _to_batch(plan, votes, offset), _errors(plan, failures)


def _plan(lfs: Sequence[LabelingFunction], cardinality: int | None, strict: bool) -> _Plan:
    checked = check_lfs(lfs)
    if cardinality is not None and (not isinstance(cardinality, int) or cardinality < 2):
        raise OptionError("needs at least 2 classes", parameter="cardinality", value=cardinality)
    return _Plan(
        lfs=checked,
        vectorized=[j for j, lf in enumerate(checked) if lf.vectorized],
        rowwise=[j for j, lf in enumerate(checked) if not lf.vectorized],
        cardinality=cardinality,
        strict=strict,
    )


def _vectorized_into(
    plan: _Plan,
    batch: pa.RecordBatch,
    offset: int,
    votes: npt.NDArray[np.int64],
    failures: _Failures,
    threads: Executor | None,
) -> None:
    def one(j: int) -> tuple[int, npt.NDArray[np.int64], tuple[int, str] | None]:
        return (j, *_run_vectorized(plan.lfs[j], batch, offset, plan.strict))

    done = map(one, plan.vectorized) if threads is None else threads.map(one, plan.vectorized)
    for j, column, failed in done:
        votes[:, j] = column
        if failed is not None:
            failures.count[j] += batch.num_rows
            failures.first[j] = failures.first[j] or failed


def _scatter(
    plan: _Plan,
    rowwise: npt.NDArray[np.int64],
    found: _Failures,
    votes: npt.NDArray[np.int64],
    failures: _Failures,
    start: int,
) -> None:
    """Row-wise votes of a chunk into the batch's vote array (chunk starting at ``start``)."""
    rows = len(rowwise)
    votes[start : start + rows, plan.rowwise] = rowwise
    mapped = _Failures.empty(len(plan.lfs))
    for i, j in enumerate(plan.rowwise):
        mapped.count[j] = found.count[i]
        mapped.first[j] = found.first[i]
    failures.add(mapped)


def _to_batch(plan: _Plan, votes: npt.NDArray[np.int64], offset: int) -> pa.RecordBatch:
    names = [lf.name for lf in plan.lfs]
    check_votes_at(votes, names, plan.cardinality, offset)
    kind = vote_type(plan.cardinality)
    dtype = np.int8 if kind == pa.int8() else np.int16
    return pa.RecordBatch.from_arrays(
        [pa.array(votes[:, j].astype(dtype)) for j in range(len(names))], names=names
    )


def check_votes_at(
    votes: npt.NDArray[np.int64], names: Sequence[str], cardinality: int | None, offset: int
) -> None:
    """:func:`check_votes` on a batch whose first row is row ``offset`` of the source."""
    limit = cardinality if cardinality is not None else int(np.iinfo(np.int8).max) + 1
    try:
        check_votes(votes, names, limit)
    except InputError as error:
        row = (error.row or 0) + offset
        reason = error.reason.replace(f"row {error.row};", f"row {row};", 1)
        if cardinality is None:
            reason += "; pass cardinality= for more than 127 classes"
        raise InputError(reason, parameter="lfs", value=error.value, row=row) from None


def _errors(plan: _Plan, failures: _Failures) -> dict[str, LFErrors]:
    out: dict[str, LFErrors] = {}
    for j, lf in enumerate(plan.lfs):
        first = failures.first[j]
        if failures.count[j] and first is not None:
            out[lf.name] = LFErrors(
                name=lf.name,
                count=int(failures.count[j]),
                first_row=first[0],
                first_message=first[1],
            )
    return out


def _chunks(batch: pa.RecordBatch) -> Iterator[tuple[int, pa.RecordBatch]]:
    for start in range(0, batch.num_rows, _CHUNK_ROWS):
        yield start, batch.slice(start, _CHUNK_ROWS)


def apply_lfs(
    source: object,
    lfs: Sequence[LabelingFunction],
    *,
    cardinality: int | None = None,
    workers: int | None = None,
    strict: bool = False,
    batch_size: int = 65_536,
) -> LabelMatrix:
    """Apply labeling functions to every row of ``source``; the votes, batch-aligned.

    Args:
        source: Anything :func:`datacheck.read_batches` reads (files, a DataFrame, Arrow).
        lfs: The labeling functions; their names name the vote columns.
        cardinality: The number of classes; votes are then checked against ``0..k-1``.
        workers: Processes for row-wise LFs and threads for vectorized ones; by default one
            per core. With 1, everything runs in this process. Row-wise LFs run in this
            process too when they cannot be imported by reference (lambdas, closures; a
            worker imports each LF from its module) or when the source is one small batch
            (under 100,000 LF calls, less than starting the workers costs).
        strict: An LF that raises is an error naming it and the row, instead of an abstain.
        batch_size: Rows per batch read (and per vote batch).

    Returns:
        A :class:`LabelMatrix` with one vote batch per input batch, and the failures of LFs
        that raised.

    Raises:
        OptionError: ``lfs`` holds something that is not a labeling function, or names clash.
        InputError: An LF returned a value that is not a vote (naming the LF, row and value);
            with ``strict``, an LF raised.
    """
    plan = _plan(lfs, cardinality, strict)
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 1:
        raise OptionError("needs at least 1 worker", parameter="workers", value=workers)
    rowwise = [plan.lfs[j] for j in plan.rowwise]
    batches = read_batches(source, batch_size=batch_size)
    head = list(itertools.islice(batches, 2))
    small = len(head) < 2 and sum(b.num_rows for b in head) * len(rowwise) < _IN_PROCESS_CALLS
    use_processes = bool(rowwise) and count > 1 and not small and _picklable(rowwise)
    batches = itertools.chain(head, batches)
    failures = _Failures.empty(len(plan.lfs))
    out: list[pa.RecordBatch] = []
    processes = _process_pool(count) if use_processes else None
    with ThreadPoolExecutor(count) if count > 1 and plan.vectorized else _NoPool() as threads:
        window = 2 * count
        for batch, offset, votes in _pipelined(batches, plan, rowwise, processes, window, failures):
            _vectorized_into(
                plan, batch, offset, votes, failures, threads if plan.vectorized else None
            )
            out.append(_to_batch(plan, votes, offset))
    return LabelMatrix(
        batches=tuple(out),
        names=tuple(lf.name for lf in plan.lfs),
        cardinality=cardinality,
        errors=MappingProxyType(_errors(plan, failures)),
    )


class _NoPool:
    """Stands in for an executor that is not needed (a context manager that is None)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _pipelined(
    batches: Iterator[pa.RecordBatch],
    plan: _Plan,
    rowwise: list[LabelingFunction],
    processes: ProcessPoolExecutor | None,
    window: int,
    failures: _Failures,
) -> Iterator[tuple[pa.RecordBatch, int, npt.NDArray[np.int64]]]:
    """Each batch with its offset and its row-wise votes filled in (vectorized columns left).

    With a process pool, batches stay in flight until more than ``window`` chunks are.
    """
    offset = 0
    if processes is None:
        for batch in batches:
            votes = np.full((batch.num_rows, len(plan.lfs)), ABSTAIN, dtype=np.int64)
            if rowwise:
                found_votes, found = _run_rows(rowwise, batch, offset, plan.strict)
                _scatter(plan, found_votes, found, votes, failures, 0)
            yield batch, offset, votes
            offset += batch.num_rows
        return
    pending: deque[tuple[pa.RecordBatch, int, list[tuple[int, Future[Any]]]]] = deque()
    in_flight = 0
    for batch in batches:
        futures = [
            (start, processes.submit(_run_rows, rowwise, chunk, offset + start, plan.strict))
            for start, chunk in _chunks(batch)
        ]
        pending.append((batch, offset, futures))
        in_flight += len(futures)
        offset += batch.num_rows
        while in_flight > window and pending:
            in_flight -= len(pending[0][2])
            yield _collect(pending.popleft(), plan, failures)
    while pending:
        yield _collect(pending.popleft(), plan, failures)


def _collect(
    item: tuple[pa.RecordBatch, int, list[tuple[int, Future[Any]]]],
    plan: _Plan,
    failures: _Failures,
) -> tuple[pa.RecordBatch, int, npt.NDArray[np.int64]]:
    batch, offset, futures = item
    votes = np.full((batch.num_rows, len(plan.lfs)), ABSTAIN, dtype=np.int64)
    for start, future in futures:
        try:
            found_votes, found = future.result()
        except BrokenProcessPool:
            _shutdown_pools()
            raise InputError(
                "a worker process running the row-wise LFs died (out of memory, or a script "
                "that starts workers without an `if __name__ == '__main__':` guard)",
                parameter="lfs",
                value=[lf.name for lf in plan.lfs if not lf.vectorized],
            ) from None
        _scatter(plan, found_votes, found, votes, failures, start)
    return batch, offset, votes
