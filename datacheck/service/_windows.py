"""Serving statistics: the rows of validated requests, profiled per schema and time window.

Requests hand their rows to :meth:`ServingWindows.add`, which only puts a reference to them
(no copy) on a bounded queue: the request path's work is O(1) in rows. A background worker
profiles them (the core's :class:`ProfileGenerator`, a CombineFn over record batches) into the
accumulator of the window they arrived in, so profiling never adds to a request's latency.
Windows are tumbling: a window starts at a multiple of its length since the epoch.

In the service the profiling runs in a process of its own, which holds the windows'
accumulators and writes their files; the service's side is one feeder thread that writes each
request's rows to the process's pipe as an Arrow IPC stream: the very bytes an Arrow request
arrived as (no re-encoding; ``add(..., stream=body)``), or, for JSON requests, their table
encoded once for many requests (pyarrow writes without the GIL). Writing to a pipe releases
the GIL, so the service's event loop does no profiling work at all: no encoding of Arrow
requests, no merging of accumulators. The feeder is woken per :data:`CHUNK_ROWS` rows (or
half the queue), not per request, and at least every half flush interval. The process reads
what the pipe holds, lets rows of many requests gather, and profiles them in batches of up to
:data:`CHUNK_ROWS` rows (profiling a batch costs every feature a fixed overhead: its sketches,
histograms, quantiles), every row of every request: full fidelity, the profile
``datacheck stats`` gives on the same rows. It runs at the lowest CPU priority (Linux's
``SCHED_IDLE``, else nice :data:`PROCESS_NICENESS`): it takes only the CPU time that the service
and everything else on the machine leave idle, so the requests get the cores first (at nice 10
alone it still took a share of a core from them: 10,000-row requests were ~25% slower); it exits
when the service's process is gone (its pipe closes). Until it has started, rows wait on the
pipe; if it cannot start or dies, the feeder profiles in its own thread instead (the windows
it had written are the base the new rows are merged into).

Without a process (``process=False``: tests, or a fallback) the worker thread profiles itself:
it lets rows gather until a flush is due, or until :data:`CHUNK_ROWS` rows wait and no
validation is running (the profiler holds the GIL between its Arrow calls, which would slow a
running request).

Persistence: every ``flush_seconds`` (at most one second) each window that changed is written
as a profile document (``schemas/statistics.v1.json``), atomically, to
``<store>/.service/<name>/windows/<start>+<length>.profile.json`` (with the process: the
feeder sends at least every half interval and the process writes at least every half interval,
so rows reach the disk within ``flush_seconds``). A clean shutdown drains the queue and writes
everything; a crash loses at most the rows of the last flush interval. A window found on disk
when its first new rows arrive (after a restart) is the base the new rows are merged into, so
a restart within a window continues it.

When the queue is full (:data:`MAX_QUEUED_ROWS` rows, or ``queue_batches`` requests, wait: the
worker cannot keep up), rows are dropped from the statistics, never from validation, and
counted (:attr:`ServingWindows.dropped_rows`).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pyarrow as pa

from datacheck.errors import DatacheckError
from datacheck.stats import DatasetProfile, ProfileGenerator, load_profile, merge_profiles
from datacheck.stats import save_profile as _save_profile

__all__ = ["ServingWindows", "WindowInfo"]

_LOG = logging.getLogger("datacheck.service")
_WINDOW_FILE = re.compile(r"^([0-9]+)\+([1-9][0-9]*)\.profile\.json$")

#: rows joined into one batch for the profiler; as many waiting start a pass before a flush
CHUNK_ROWS = 65_536
#: rows waiting for the worker, at most (more are dropped from the statistics and counted)
MAX_QUEUED_ROWS = 2_000_000
#: the profiling process's niceness where ``SCHED_IDLE`` is missing
PROCESS_NICENESS = 10
#: the pipe's buffer asked for (Linux), so that a request's stream is one write
_PIPE_BYTES = 1 << 20
#: seconds the service waits for the profiling process to write everything and stop
_STOP_SECONDS = 60.0


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
    """The mutable state of a window still receiving rows (the profiler's only)."""

    __slots__ = ("accumulator", "base", "dirty", "path")

    def __init__(
        self, path: Path, base: DatasetProfile | None, generator: ProfileGenerator
    ) -> None:
        self.path = path
        self.base = base
        self.accumulator = generator.create_accumulator()
        self.dirty = False


class _Profiler:
    """The windows' accumulators: rows gathered per (schema, window), profiled in batches,
    written as profile documents. Run by the worker thread, or in the profiling process."""

    def __init__(self, root: Path, window_seconds: int) -> None:
        self.root = root
        self.window_seconds = window_seconds
        self.generator = ProfileGenerator()
        self.open: dict[tuple[str, int], _Open] = {}
        self.pending: dict[tuple[str, int], list[pa.Table]] = {}
        self.pending_rows = 0
        self.profiled_rows = 0
        self.dropped_rows = 0

    def folder(self, name: str) -> Path:
        return self.root / name / "windows"

    def add(self, name: str, start: int, table: pa.Table) -> None:
        """Gather ``table``'s rows for the window of ``name`` starting at ``start``."""
        self.pending.setdefault((name, start), []).append(table)
        self.pending_rows += table.num_rows

    def profile_pending(self) -> int:
        """Profile the gathered rows, joined per (schema, window) into large batches; the
        number of rows taken."""
        taken, groups = self.pending_rows, self.pending
        self.pending, self.pending_rows = {}, 0
        for (name, start), tables in groups.items():
            try:
                joined = [pa.concat_tables(tables, promote_options="permissive")]
            except (pa.ArrowException, ValueError, TypeError):
                joined = tables  # columns that cannot be unified: one request at a time
            for table in joined:
                self._profile(name, table, start)
        return taken

    def _profile(self, name: str, table: pa.Table, start: int) -> None:
        try:
            state = self.open.get((name, start))
            if state is None:
                state = self._open_window(name, start)
            for batch in _chunks(table):
                self.generator.add_input(state.accumulator, batch)
            state.dirty = True
            self.profiled_rows += table.num_rows
        except (DatacheckError, pa.ArrowException, ValueError, TypeError, OSError) as exc:
            # Rows that validated but cannot join the window's profile (a column that changed
            # type against the window's); counted, never fatal to the worker.
            _LOG.warning("serving statistics of %r: %d rows left out: %s", name, len(table), exc)
            self.dropped_rows += table.num_rows

    def _open_window(self, name: str, start: int) -> _Open:
        path = self.folder(name) / f"{start}+{self.window_seconds}.profile.json"
        base = None
        if path.is_file():
            try:
                base = load_profile(path)
            except DatacheckError as exc:
                _LOG.warning("%s: unreadable window, started afresh: %s", path, exc)
        state = self.open[(name, start)] = _Open(path, base, self.generator)
        return state

    def flush(self, now: float) -> list[tuple[str, int, int]]:
        """Write every changed window; (name, start, rows) of each written."""
        written: list[tuple[str, int, int]] = []
        for key, state in list(self.open.items()):
            if state.dirty:
                try:
                    written.append((*key, self._write(state)))
                except (DatacheckError, OSError, ValueError) as exc:
                    _LOG.error("%s: cannot write the window: %s", state.path, exc)
                    continue
            # A window whose end has passed gets no more rows: keep only its file.
            if key[1] + self.window_seconds <= now and not state.dirty:
                del self.open[key]
        return written

    def _write(self, state: _Open) -> int:
        profile = self.generator.extract_output(state.accumulator)
        if state.base is not None:
            profile = merge_profiles(state.base, profile)
        state.path.parent.mkdir(parents=True, exist_ok=True)
        _save_profile(profile, state.path)
        state.dirty = False
        return profile.num_rows


class _Rows:
    """One request's rows on the queue: its table, and the Arrow IPC stream it arrived as."""

    __slots__ = ("name", "rows", "start", "stream", "table")

    def __init__(self, name: str, start: int, table: pa.Table, stream: bytes | None) -> None:
        self.name = name
        self.start = start
        self.table = table
        self.stream = stream
        self.rows = table.num_rows


class _Sync:
    """A marker on the queue: the worker flushes, then sets the event."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class _Channel:
    """The service's end of the profiling process: the pipe rows go down, the one its
    answers (what it wrote, the flushes asked for) come back on, read by a thread."""

    def __init__(self, owner: ServingWindows) -> None:
        context = multiprocessing.get_context("spawn")
        reader, self.data = context.Pipe(duplex=False)
        self.replies, writer = context.Pipe(duplex=False)
        with contextlib.suppress(OSError, AttributeError, ValueError):  # Linux only; a hint
            fcntl.fcntl(self.data.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        self.process: BaseProcess = context.Process(
            target=_process_main,
            args=(reader, writer, str(owner.root), owner.window_seconds, owner.flush_seconds),
            name="datacheck-serving-profiler",
            daemon=True,
        )
        self.process.start()
        reader.close()  # the process's ends: closed here, so a dead process is a closed pipe
        writer.close()
        self.owner = owner
        self.ids = itertools.count()
        self.syncs: dict[int, _Sync] = {}
        self.profiled_rows = 0
        self.dropped_rows = 0
        self.broken = False
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._reader = threading.Thread(
            target=self._read, name="datacheck-serving-replies", daemon=True
        )
        self._reader.start()

    def send(self, items: list[object], now: float) -> None:
        """Send ``items`` (rows and markers) in order; consecutive JSON requests' tables are
        joined per window and encoded once. Raises OSError when the process is gone."""
        tables: dict[tuple[str, int], list[pa.Table]] = {}

        def send_tables() -> None:
            for (name, start), group in tables.items():
                try:
                    joined = pa.concat_tables(group, promote_options="permissive")
                except (pa.ArrowException, ValueError, TypeError):
                    for table in group:
                        self._rows(name, start, table.num_rows, _stream(table), now)
                    continue
                self._rows(name, start, joined.num_rows, _stream(joined), now)
            tables.clear()

        for item in items:
            if isinstance(item, _Rows):
                if item.stream is None:
                    tables.setdefault((item.name, item.start), []).append(item.table)
                else:  # after the tables before it: the rows reach the profiler in order
                    send_tables()
                    self._rows(item.name, item.start, item.rows, item.stream, now)
                continue
            send_tables()
            if isinstance(item, _Sync):
                number = next(self.ids)
                with self._lock:
                    self.syncs[number] = item
                self._header({"kind": "sync", "id": number, "now": now})
            elif item is _STOP:
                self._header({"kind": "stop", "now": now})
        send_tables()

    def _rows(self, name: str, start: int, rows: int, stream: bytes, now: float) -> None:
        self._header({"kind": "rows", "name": name, "start": start, "rows": rows, "now": now})
        self.data.send_bytes(stream)

    def _header(self, header: dict[str, Any]) -> None:
        self.data.send_bytes(json.dumps(header).encode())

    def _read(self) -> None:
        """The replies: counts, windows written, flushes done; ends when the process does."""
        try:
            while True:
                reply = json.loads(self.replies.recv_bytes())
                self.profiled_rows = int(reply["profiled"])
                self.dropped_rows = int(reply["dropped"])
                self.owner._written(reply["written"])
                with self._lock:
                    done = [self.syncs.pop(n) for n in reply["synced"] if n in self.syncs]
                for sync in done:
                    sync.done.set()
                if reply["stopped"]:
                    self.stopped.set()
                    return
        except (EOFError, OSError, ValueError, KeyError, TypeError) as exc:
            if not self.stopped.is_set():
                _LOG.warning("the profiling process ended: %s", exc)
            self.broken = True
        finally:
            self.stopped.set()

    def pending_syncs(self) -> list[_Sync]:
        """The flushes asked for and not answered (the process died): taken."""
        with self._lock:
            found = list(self.syncs.values())
            self.syncs.clear()
        return found

    def close(self, timeout: float) -> None:
        """Wait for the process to end (after a stop), then close the pipes."""
        self.stopped.wait(timeout)
        self.process.join(max(1.0, timeout / 10))
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(OSError):
            self.data.close()
        self._reader.join(5)
        with contextlib.suppress(OSError):
            self.replies.close()


class ServingWindows:
    """Per-schema tumbling windows of serving statistics, profiled off the request path.

    Args:
        root: the folder the windows go under (``<store>/.service``).
        window_seconds: the windows' length.
        flush_seconds: how often changed windows are written (clamped to at most 1).
        queue_batches: batches waiting for the worker before rows are dropped.
        clock: seconds since the epoch (tests pass a fake one).
        busy: whether validations are running now: the worker thread (without a process)
            then leaves the rows waiting until the next flush rather than profile them at once.
        process: profile in a process of its own (started in the background), which holds
            the accumulators and writes the windows, so that profiling takes none of the
            service's CPU time or GIL.
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
        self._channel: _Channel | None = None
        # Requests' rows and markers, oldest first; the worker is woken only when a chunk's
        # worth of rows (or half the requests allowed) waits or a marker is queued, not for
        # each request: a thread woken per request costs a request a context switch.
        self._queue: deque[object] = deque()
        self._queue_batches = max(1, queue_batches)
        self._wake = threading.Event()
        self._profiler = _Profiler(root, self.window_seconds)
        self._lock = threading.Lock()
        #: rows known per persisted window, (name, start) -> (seconds, rows)
        self._rows: dict[tuple[str, int], tuple[int, int]] = {}
        self._thread: threading.Thread | None = None
        #: rows left out because the queue was full
        self._refused_rows = 0
        #: rows on the queue or taken by the worker, not yet handed on (held to the limit)
        self._queued_rows = 0
        #: rows on the queue, not yet taken by the worker (a chunk's worth wakes it)
        self._fresh_rows = 0
        #: what a profiling process that died had counted (its counts live on in these)
        self._lost_rows = 0
        self._lost_profiled = 0

    @property
    def dropped_rows(self) -> int:
        """Rows left out of the statistics: the queue was full, or profiling failed."""
        channel = self._channel
        process = 0 if channel is None else channel.dropped_rows
        return self._refused_rows + self._profiler.dropped_rows + process + self._lost_rows

    @property
    def profiled_rows(self) -> int:
        """Rows profiled so far (written, for those profiled in the process)."""
        channel = self._channel
        process = 0 if channel is None else channel.profiled_rows
        return self._profiler.profiled_rows + process + self._lost_profiled

    # -- the request side -------------------------------------------------------------------

    def add(self, name: str, table: pa.Table, *, stream: bytes | None = None) -> bool:
        """Queue ``table``'s rows for schema ``name``'s current window; False when dropped.

        ``stream``: the same rows as the Arrow IPC stream they arrived in, if they did; sent to
        the profiling process as they are.
        """
        rows = table.num_rows
        if rows == 0:
            return True
        arrived = self._clock()
        start = int(arrived // self.window_seconds) * self.window_seconds
        with self._lock:
            room = (
                len(self._queue) < self._queue_batches
                and self._queued_rows + rows <= MAX_QUEUED_ROWS
            )
            if not room:
                self._refused_rows += rows
                return False
            self._queue.append(_Rows(name, start, table, stream))
            self._queued_rows += rows
            self._fresh_rows += rows
            full = self._fresh_rows >= CHUNK_ROWS or 2 * len(self._queue) >= self._queue_batches
        if full:
            self._wake.set()
        return True

    def windows(self, name: str) -> list[WindowInfo]:
        """The persisted windows of ``name``, oldest first."""
        folder = self._profiler.folder(name)
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

    @property
    def in_process(self) -> bool:
        """Whether the rows go to a profiling process (not profiled in the worker thread)."""
        return self._channel is not None and not self._channel.broken

    # -- the worker ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (and, with ``process``, the profiling process)."""
        if self.alive:
            return
        if self._use_process and self._channel is None:
            try:
                self._channel = _Channel(self)
            except (OSError, RuntimeError, ValueError) as exc:
                _LOG.warning("no profiling process, profiling in the service: %s", exc)
        self._thread = threading.Thread(
            target=self._run, name="datacheck-serving-statistics", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = _STOP_SECONDS) -> None:
        """Profile what is queued, write every changed window, stop the worker (and the
        profiling process)."""
        if self._thread is not None:
            self._signal(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def _signal(self, marker: object) -> None:
        """Queue a marker (a sync or a stop) and wake the worker."""
        with self._lock:
            self._queue.append(marker)
        self._wake.set()

    def _take(self) -> list[object]:
        """Everything queued, oldest first (its rows still count against the limit until
        they are handed on)."""
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
            self._fresh_rows = 0
        return items

    def _written(self, written: list[Any]) -> None:
        """Windows just written: (name, start, rows) each."""
        with self._lock:
            for name, start, rows in written:
                self._rows[(str(name), int(start))] = (self.window_seconds, int(rows))

    def _run(self) -> None:
        # With the process, rows are sent at least every half flush interval and the process
        # writes at least every half interval: on disk within one interval.
        period = self.flush_seconds / 2 if self._channel is not None else self.flush_seconds
        next_flush = time.monotonic() + period
        while True:
            self._wake.wait(max(0.0, next_flush - time.monotonic()))
            self._wake.clear()
            items = self._take()
            due = time.monotonic() >= next_flush
            if due:
                next_flush = time.monotonic() + period
            if self._channel is not None and self._send(items):
                if _STOP in items:
                    self._channel.close(_STOP_SECONDS)
                    if not self._channel.broken:
                        return
                    # It died before it had written everything: what it owed, written here.
                    self._flush(self._fallback())
                    return
                continue
            if self._step(items, due):
                return

    def _send(self, items: list[object]) -> bool:
        """Hand ``items`` to the profiling process; False (profile here) when it is gone."""
        channel = self._channel
        assert channel is not None
        rows = sum(item.rows for item in items if isinstance(item, _Rows))
        if not channel.broken:
            try:
                channel.send(items, self._clock())
            except (OSError, ValueError) as exc:
                _LOG.warning("the profiling process is gone, profiling in the service: %s", exc)
                channel.broken = True
            else:
                with self._lock:
                    self._queued_rows -= rows
                return True
        syncs = self._fallback()
        with self._lock:
            self._queue.extendleft(reversed(syncs))  # answered by the thread's next flush
        self._wake.set()
        return False

    def _fallback(self) -> list[object]:
        """The process is gone: what it counted stays counted; the flushes it owed are
        returned, for the thread to answer."""
        channel = self._channel
        if channel is None:
            return []
        self._channel = None
        self._lost_rows += channel.dropped_rows
        self._lost_profiled += channel.profiled_rows
        syncs = channel.pending_syncs()
        with contextlib.suppress(OSError, ValueError):
            channel.data.close()
        return list(syncs)

    def _step(self, items: list[object], due: bool) -> bool:
        """The worker thread profiling itself: True when it should stop."""
        markers: list[object] = []
        profiler = self._profiler
        for item in items:
            if isinstance(item, _Rows):
                profiler.add(item.name, item.start, item.table)
            else:
                markers.append(item)
        # A chunk's worth waits: profiled now unless validations are running, which the
        # profiler would slow down (it holds the GIL between its Arrow calls); then at the
        # flush, which comes whatever the load.
        chunk = profiler.pending_rows >= CHUNK_ROWS and not self._busy()
        if profiler.pending_rows and (due or markers or chunk):
            taken = profiler.profile_pending()
            with self._lock:
                self._queued_rows -= taken
        if markers or due:
            self._flush(markers)
        return _STOP in markers

    def _flush(self, markers: list[object]) -> None:
        self._written(self._profiler.flush(self._clock()))
        for marker in markers:
            if isinstance(marker, _Sync):
                marker.done.set()

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


def _stream(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC stream (pyarrow writes it without holding the GIL)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


# -- the profiling process ------------------------------------------------------------------


def _warm_up() -> None:
    """Profile a few made-up rows and serialize the profile, and forget them: the first rows
    of a request do not then wait for first calls (lazy imports, sketches, the writer)."""
    generator = ProfileGenerator()
    accumulator = generator.create_accumulator()
    table = pa.table(
        {"i": [1, 2], "f": [0.5, None], "s": ["a", "b"], "b": [True, False], "l": [[1], []]}
    )
    for batch in table.to_batches():
        generator.add_input(accumulator, batch)
    generator.extract_output(accumulator).to_dict()


def _yield_cpu() -> None:
    """Give this process the lowest CPU priority there is: Linux's ``SCHED_IDLE`` policy, under
    which it runs only on a core no other process wants, and a request's thread that wakes takes
    the core back at once; nice :data:`PROCESS_NICENESS` where the policy is missing."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(PROCESS_NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _process_main(
    data: Connection, replies: Connection, root: str, window_seconds: int, flush_seconds: float
) -> None:
    """The profiling process: read rows off ``data``, profile them into the windows, write the
    windows at least every half ``flush_seconds``, answer on ``replies`` after each write.

    It ignores SIGINT (a Ctrl-C reaches the whole process group; the service then drains and
    sends a stop) and ends on a stop, when the pipe closes (the service's process is gone), or
    on SIGTERM (after writing what it has; rows sent after that are profiled by the service).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.set())
    _yield_cpu()
    _warm_up()
    profiler = _Profiler(Path(root), window_seconds)
    period = max(0.005, flush_seconds / 2)
    next_flush = time.monotonic() + period
    now = time.time()
    stopping = False
    while not stopping:
        synced: list[int] = []
        try:
            ready = data.poll(max(0.0, min(next_flush - time.monotonic(), 0.5)))
            while ready:
                header = json.loads(data.recv_bytes())
                now = float(header.get("now", now))
                kind = header.get("kind")
                if kind == "rows":
                    payload = data.recv_bytes()
                    try:
                        table = pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
                    except (pa.ArrowException, OSError, ValueError) as exc:
                        _LOG.warning("serving statistics: an unreadable stream: %s", exc)
                        profiler.dropped_rows += int(header.get("rows", 0))
                    else:
                        profiler.add(str(header["name"]), int(header["start"]), table)
                    if profiler.pending_rows >= CHUNK_ROWS:
                        profiler.profile_pending()
                elif kind == "sync":
                    synced.append(int(header["id"]))
                elif kind == "stop":
                    stopping = True
                    break
                # Drain what the pipe holds, but write the windows on time whatever comes.
                ready = time.monotonic() < next_flush and data.poll(0)
        except (EOFError, OSError):
            stopping = True  # the service's process is gone
        if terminated.is_set():
            stopping = True
        if synced or stopping or time.monotonic() >= next_flush:
            profiler.profile_pending()
            written = profiler.flush(now)
            next_flush = time.monotonic() + period
            reply = {
                "profiled": profiler.profiled_rows,
                "dropped": profiler.dropped_rows,
                "written": written,
                "synced": synced,
                "stopped": stopping,
            }
            with contextlib.suppress(OSError, ValueError):
                replies.send_bytes(json.dumps(reply).encode())
