"""Serving statistics: the rows of validated requests, profiled per schema and time window.

Requests hand their rows to :meth:`ServingWindows.add`, which only puts a reference to them
(no copy) on a bounded queue; one background thread profiles them (the core's
:class:`ProfileGenerator`, a CombineFn over record batches) into the accumulator of the window
they arrived in, so profiling never adds to a request's latency. Profiling a batch costs every
feature a fixed overhead (its sketches, histograms and quantiles), so the worker does not
profile each request on its own: it lets rows gather until a flush is due, or until
:data:`CHUNK_ROWS` rows wait and no validation is running (the profiler holds the GIL between
its Arrow calls, which would slow a running request), then joins each schema's and window's
rows into batches of up to that many rows and profiles those. It is woken only for that, not
per request. In the service the profiling itself runs in a process of its own: the worker
sends it each batch as an Arrow IPC stream and merges the accumulator it sends back, so the
profiler's Python work does not hold the service's GIL; the process exits when the service's
does (even on SIGKILL). Until it has started, and if it fails, the worker profiles in its own
thread. Windows are tumbling: a window starts at a multiple of its length since the epoch.

Persistence: every ``flush_seconds`` (at most one second) the worker writes each window that
changed as a profile document (``schemas/statistics.v1.json``), atomically, to
``<store>/.service/<name>/windows/<start>+<length>.profile.json``. A clean shutdown drains the
queue and writes everything; a crash loses at most the rows of the last flush interval. A
window found on disk when its first new rows arrive (after a restart) is the base the new rows
are merged into, so a restart within a window continues it.

When the queue is full (:data:`MAX_QUEUED_ROWS` rows, or ``queue_batches`` requests, wait: the
worker cannot keep up), rows are dropped from the statistics, never from validation, and
counted (:attr:`ServingWindows.dropped_rows`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from datacheck.errors import DatacheckError
from datacheck.stats import DatasetProfile, ProfileGenerator, load_profile, merge_profiles
from datacheck.stats import save_profile as _save_profile

__all__ = ["ServingWindows", "WindowInfo"]

_LOG = logging.getLogger("datacheck.service")
_WINDOW_FILE = re.compile(r"^([0-9]+)\+([1-9][0-9]*)\.profile\.json$")


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowInfo:
    """One persisted serving-statistics window of a schema."""

    #: the window's start, seconds since the epoch
    start: int
    #: its length in seconds
    seconds: int
    #: rows profiled in it (as of the last flush)
    num_rows: int
    #: where its profile document is
    path: Path

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (no file path: the service does not show its file system)."""
        return {
            "start": _iso(self.start),
            "end": _iso(self.start + self.seconds),
            "start_epoch": self.start,
            "seconds": self.seconds,
            "num_rows": self.num_rows,
        }


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class _Open:
    """The mutable state of a window still receiving rows (the worker's only)."""

    __slots__ = ("accumulator", "base", "dirty", "path")

    def __init__(
        self, path: Path, base: DatasetProfile | None, generator: ProfileGenerator
    ) -> None:
        self.path = path
        self.base = base
        self.accumulator = generator.create_accumulator()
        self.dirty = False


class _Sync:
    """A marker on the queue: the worker flushes, then sets the event."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()

#: rows joined into one batch for the profiler; as many waiting start a pass before a flush
CHUNK_ROWS = 65_536
#: rows waiting for the worker, at most (more are dropped from the statistics and counted)
MAX_QUEUED_ROWS = 2_000_000

_Item = tuple[str, pa.Table, float]


class ServingWindows:
    """Per-schema tumbling windows of serving statistics, profiled off the request path.

    Args:
        root: the folder the windows go under (``<store>/.service``).
        window_seconds: the windows' length.
        flush_seconds: how often changed windows are written (clamped to at most 1).
        queue_batches: batches waiting for the worker before rows are dropped.
        clock: seconds since the epoch (tests pass a fake one).
        busy: whether validations are running now: the worker then leaves the rows waiting
            until the next flush rather than profile them at once.
        process: profile in a process of its own (started in the background; the worker
            thread sends it batches and merges what comes back), so that profiling does not
            hold the service's GIL.
    """

    def __init__(
        self,
        root: Path,
        *,
        window_seconds: int,
        flush_seconds: float = 0.5,
        queue_batches: int = 1024,
        clock: Callable[[], float] = time.time,
        busy: Callable[[], bool] = lambda: False,
        process: bool = False,
    ) -> None:
        self.root = root
        self.window_seconds = max(1, int(window_seconds))
        self.flush_seconds = min(1.0, max(0.01, flush_seconds))
        self._clock = clock
        self._busy = busy
        self._use_process = process
        self._pool: ProcessPoolExecutor | None = None
        self._pool_ready: Future[None] | None = None
        # Requests' rows and markers, oldest first; the worker is woken only when a chunk's
        # worth of rows (or half the requests allowed) waits or a marker is queued, not for
        # each request: a thread woken per request costs a request a context switch.
        self._queue: deque[object] = deque()
        self._queue_batches = max(1, queue_batches)
        self._wake = threading.Event()
        self._generator = ProfileGenerator()
        self._open: dict[tuple[str, int], _Open] = {}
        self._lock = threading.Lock()
        #: rows known per persisted window, (name, start) -> (seconds, rows)
        self._rows: dict[tuple[str, int], tuple[int, int]] = {}
        self._thread: threading.Thread | None = None
        #: rows left out of the statistics because the queue was full or profiling failed
        self.dropped_rows = 0
        #: rows profiled so far
        self.profiled_rows = 0
        #: rows on the queue or taken by the worker, not yet profiled (held to the limit)
        self._queued_rows = 0
        #: rows on the queue, not yet taken by the worker (a chunk's worth wakes it)
        self._fresh_rows = 0

    # -- the request side -------------------------------------------------------------------

    def add(self, name: str, table: pa.Table) -> bool:
        """Queue ``table``'s rows for schema ``name``'s current window; False when dropped."""
        rows = table.num_rows
        if rows == 0:
            return True
        with self._lock:
            room = (
                len(self._queue) < self._queue_batches
                and self._queued_rows + rows <= MAX_QUEUED_ROWS
            )
            if not room:
                self.dropped_rows += rows
                return False
            self._queue.append((name, table, self._clock()))
            self._queued_rows += rows
            self._fresh_rows += rows
            full = self._fresh_rows >= CHUNK_ROWS or 2 * len(self._queue) >= self._queue_batches
        if full:
            self._wake.set()
        return True

    def windows(self, name: str) -> list[WindowInfo]:
        """The persisted windows of ``name``, oldest first."""
        folder = self._folder(name)
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            return []
        found: list[WindowInfo] = []
        for entry in entries:
            m = _WINDOW_FILE.match(entry)
            if m is None:
                continue
            start, seconds = int(m.group(1)), int(m.group(2))
            path = folder / entry
            with self._lock:
                known = self._rows.get((name, start))
            if known is None or known[0] != seconds:
                rows = self._read_rows(path)
                if rows is None:
                    continue
                with self._lock:
                    self._rows[(name, start)] = (seconds, rows)
            else:
                rows = known[1]
            found.append(WindowInfo(start=start, seconds=seconds, num_rows=rows, path=path))
        return sorted(found, key=lambda w: w.start)

    def profile(self, name: str, start: int | None = None) -> tuple[WindowInfo, DatasetProfile]:
        """The persisted window starting at ``start`` (None: the latest with rows) and its
        profile.

        Raises:
            KeyError: there is no such window.
        """
        windows = [w for w in self.windows(name) if w.num_rows > 0]
        if start is not None:
            windows = [w for w in windows if w.start == start]
        if not windows:
            raise KeyError(start)
        window = windows[-1]
        return window, load_profile(window.path)

    def flush_now(self, timeout: float = 30.0) -> bool:
        """Wait until every row queued so far is profiled and written; False on timeout."""
        if self._thread is None or not self._thread.is_alive():
            return False
        marker = _Sync()
        self._signal(marker)
        return marker.done.wait(timeout)

    @property
    def alive(self) -> bool:
        """Whether the worker is running."""
        return self._thread is not None and self._thread.is_alive()

    # -- the worker ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (and, with ``process``, the profiling process)."""
        if self.alive:
            return
        if self._use_process and self._pool is None:
            # Started in the background: until it answers, the worker profiles in its thread.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
            self._pool_ready = self._pool.submit(_ready)
        self._thread = threading.Thread(
            target=self._run, name="datacheck-serving-statistics", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 60.0) -> None:
        """Profile what is queued, write every changed window, stop the worker."""
        if self._thread is not None:
            self._signal(_STOP)
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._pool_ready = None

    def _signal(self, marker: object) -> None:
        """Queue a marker (a sync or a stop) and wake the worker."""
        with self._lock:
            self._queue.append(marker)
        self._wake.set()

    def _take(self) -> list[object]:
        """Everything queued, oldest first (its rows still count against the limit until
        they are profiled)."""
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
            self._fresh_rows = 0
        return items

    def _run(self) -> None:
        next_flush = time.monotonic() + self.flush_seconds
        pending: list[_Item] = []
        pending_rows = 0
        while True:
            self._wake.wait(max(0.0, next_flush - time.monotonic()))
            self._wake.clear()
            markers: list[object] = []
            for item in self._take():
                if isinstance(item, tuple):
                    pending.append(item)
                    pending_rows += item[1].num_rows
                else:
                    markers.append(item)
            due = time.monotonic() >= next_flush
            # A chunk's worth waits: profiled now unless validations are running, which the
            # profiler would slow down (it holds the GIL between its Arrow calls); then at
            # the flush, which comes whatever the load.
            chunk = pending_rows >= CHUNK_ROWS and not self._busy()
            if pending and (due or markers or chunk):
                self._profile_pending(pending)
                with self._lock:
                    self._queued_rows -= pending_rows
                pending, pending_rows = [], 0
            if markers or due:
                self._flush()
                next_flush = time.monotonic() + self.flush_seconds
            for marker in markers:
                if isinstance(marker, _Sync):
                    marker.done.set()
            if _STOP in markers:
                return

    def _folder(self, name: str) -> Path:
        return self.root / name / "windows"

    def _profile_pending(self, items: list[_Item]) -> None:
        """Profile the rows of ``items``, joined per (schema, window) into large batches."""
        groups: dict[tuple[str, int], list[pa.Table]] = {}
        for name, table, arrived in items:
            start = int(arrived // self.window_seconds) * self.window_seconds
            groups.setdefault((name, start), []).append(table)
        for (name, start), tables in groups.items():
            try:
                joined = [pa.concat_tables(tables, promote_options="permissive")]
            except (pa.ArrowException, ValueError, TypeError):
                joined = tables  # columns that cannot be unified: one request at a time
            for table in joined:
                self._profile(name, table, start)

    def _profile(self, name: str, table: pa.Table, start: int) -> None:
        try:
            state = self._open.get((name, start))
            if state is None:
                state = self._open_window(name, start)
            for batch in _chunks(table):
                self._add(state, batch)
            state.dirty = True
            self.profiled_rows += table.num_rows
        except (DatacheckError, pa.ArrowException, ValueError, TypeError, OSError) as exc:
            # Rows that validated but cannot join the window's profile (a column that changed
            # type against the window's); counted, never fatal to the worker.
            _LOG.warning("serving statistics of %r: %d rows left out: %s", name, len(table), exc)
            with self._lock:
                self.dropped_rows += table.num_rows

    def _add(self, state: _Open, batch: pa.RecordBatch) -> None:
        """Profile ``batch`` into the window's accumulator: in the profiling process when it
        runs (this thread only merges the batch's accumulator, a small part of the work, so
        the GIL stays free for the requests), else here."""
        ready = self._pool_ready
        if self._pool is not None and ready is not None and ready.done():
            try:
                part = self._pool.submit(_profile_stream, _stream(batch)).result()
            except (BrokenProcessPool, OSError, RuntimeError) as exc:
                _LOG.warning("the profiling process failed, profiling in the service: %s", exc)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._pool_ready = None
            else:
                self._generator.merge_accumulators([state.accumulator, part])
                return
        self._generator.add_input(state.accumulator, batch)

    def _open_window(self, name: str, start: int) -> _Open:
        path = self._folder(name) / f"{start}+{self.window_seconds}.profile.json"
        base = None
        if path.is_file():
            try:
                base = load_profile(path)
            except DatacheckError as exc:
                _LOG.warning("%s: unreadable window, started afresh: %s", path, exc)
        state = self._open[(name, start)] = _Open(path, base, self._generator)
        return state

    def _flush(self) -> None:
        now = self._clock()
        for key, state in list(self._open.items()):
            if state.dirty:
                try:
                    self._write(key, state)
                except (DatacheckError, OSError, ValueError) as exc:
                    _LOG.error("%s: cannot write the window: %s", state.path, exc)
                    continue
            # A window whose end has passed gets no more rows: keep only its file.
            if key[1] + self.window_seconds <= now and not state.dirty:
                del self._open[key]

    def _write(self, key: tuple[str, int], state: _Open) -> None:
        profile = self._generator.extract_output(state.accumulator)
        if state.base is not None:
            profile = merge_profiles(state.base, profile)
        state.path.parent.mkdir(parents=True, exist_ok=True)
        _save_profile(profile, state.path)
        state.dirty = False
        with self._lock:
            self._rows[key] = (self.window_seconds, profile.num_rows)

    @staticmethod
    def _read_rows(path: Path) -> int | None:
        try:
            return load_profile(path).num_rows
        except DatacheckError as exc:
            _LOG.warning("%s: unreadable window, not listed: %s", path, exc)
            return None


def _chunks(table: pa.Table) -> list[pa.RecordBatch]:
    """The table's rows as batches of about :data:`CHUNK_ROWS` rows: its small batches (one
    per request) joined, a copy of at most that many rows at a time."""
    out: list[pa.RecordBatch] = []
    group: list[pa.RecordBatch] = []
    rows = 0
    for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
        group.append(batch)
        rows += batch.num_rows
        if rows >= CHUNK_ROWS:
            out.append(group[0] if len(group) == 1 else pa.concat_batches(group))
            group, rows = [], 0
    if group:
        out.append(group[0] if len(group) == 1 else pa.concat_batches(group))
    return out


def _watch_parent(parent: int) -> None:
    """In the profiling process: end as soon as the service's process is gone (killed, even
    with SIGKILL, its children are not). On Linux the kernel sends the signal (no thread,
    which would keep the interpreter from finishing cleanly); elsewhere a thread checks every
    half second."""
    with contextlib.suppress(OSError, AttributeError):  # no libc or no prctl: watch instead
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # gone before the signal was asked for
                os._exit(0)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="datacheck-parent-watch", daemon=True).start()


#: Linux's prctl option: the signal a process gets when its parent ends
_PR_SET_PDEATHSIG = 1


def _ready() -> None:
    """Nothing: answered once the profiling process has started and imported this module."""


def _stream(batch: pa.RecordBatch) -> bytes:
    """``batch`` as an Arrow IPC stream: a copy at memory speed, where pickling a batch costs
    eight times as much."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def _profile_stream(stream: bytes) -> Any:
    """The profile accumulator of the batch in an Arrow IPC stream (run in the profiling
    process; accumulators pickle, as Beam needs them to)."""
    batch = pa.ipc.open_stream(pa.py_buffer(stream)).read_next_batch()
    generator = ProfileGenerator()
    accumulator = generator.create_accumulator()
    generator.add_input(accumulator, batch)
    return accumulator
