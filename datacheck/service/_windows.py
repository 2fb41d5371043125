"""Serving statistics: the rows of validated requests, profiled per schema and time window.

Requests hand their rows to :meth:`ServingWindows.add`, which only puts them on a bounded
queue; one background thread profiles them (the core's :class:`ProfileGenerator`, a CombineFn
over record batches) into the accumulator of the window they arrived in, so profiling never
adds to a request's latency. Windows are tumbling: a window starts at a multiple of its length
since the epoch.

Persistence: every ``flush_seconds`` (at most one second) the worker writes each window that
changed as a profile document (``schemas/statistics.v1.json``), atomically, to
``<store>/.service/<name>/windows/<start>+<length>.profile.json``. A clean shutdown drains the
queue and writes everything; a crash loses at most the rows of the last flush interval. A
window found on disk when its first new rows arrive (after a restart) is the base the new rows
are merged into, so a restart within a window continues it.

When the queue is full (the worker cannot keep up), rows are dropped from the statistics, never
from validation, and counted (:attr:`ServingWindows.dropped_rows`).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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

#: the most queued requests joined into one profiling pass
_MAX_DRAIN = 256


class ServingWindows:
    """Per-schema tumbling windows of serving statistics, profiled off the request path.

    Args:
        root: the folder the windows go under (``<store>/.service``).
        window_seconds: the windows' length.
        flush_seconds: how often changed windows are written (clamped to at most 1).
        queue_batches: batches waiting for the worker before rows are dropped.
        clock: seconds since the epoch (tests pass a fake one).
    """

    def __init__(
        self,
        root: Path,
        *,
        window_seconds: int,
        flush_seconds: float = 0.5,
        queue_batches: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.window_seconds = max(1, int(window_seconds))
        self.flush_seconds = min(1.0, max(0.01, flush_seconds))
        self._clock = clock
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, queue_batches))
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

    # -- the request side -------------------------------------------------------------------

    def add(self, name: str, table: pa.Table) -> bool:
        """Queue ``table``'s rows for schema ``name``'s current window; False when dropped."""
        if table.num_rows == 0:
            return True
        try:
            self._queue.put_nowait((name, table, self._clock()))
        except queue.Full:
            with self._lock:
                self.dropped_rows += table.num_rows
            return False
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
        self._queue.put(marker)
        return marker.done.wait(timeout)

    @property
    def alive(self) -> bool:
        """Whether the worker is running."""
        return self._thread is not None and self._thread.is_alive()

    # -- the worker ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        if self.alive:
            return
        self._thread = threading.Thread(
            target=self._run, name="datacheck-serving-statistics", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 60.0) -> None:
        """Profile what is queued, write every changed window, stop the worker."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        next_flush = time.monotonic() + self.flush_seconds
        while True:
            wait = max(0.0, next_flush - time.monotonic())
            try:
                item: object | None = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if isinstance(item, tuple):
                item = self._profile_queued(item)
            if item is _STOP:
                self._flush()
                return
            if isinstance(item, _Sync):
                self._flush()
                item.done.set()
            if time.monotonic() >= next_flush:
                self._flush()
                next_flush = time.monotonic() + self.flush_seconds

    def _folder(self, name: str) -> Path:
        return self.root / name / "windows"

    def _profile_queued(self, first: tuple[str, pa.Table, float]) -> object | None:
        """Profile ``first`` and the requests queued behind it, one table per window.

        Each batch costs every feature a fixed overhead, so the requests that arrived since
        the worker last looked are joined per (schema, window) first. Returns a marker (a
        stop or a sync) met while draining, for the caller to handle next.
        """
        items = [first]
        marker: object | None = None
        while len(items) < _MAX_DRAIN:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, tuple):
                marker = item
                break
            items.append(item)
        groups: dict[tuple[str, int], list[pa.Table]] = {}
        for name, table, arrived in items:
            start = int(arrived // self.window_seconds) * self.window_seconds
            groups.setdefault((name, start), []).append(table)
        for (name, start), tables in groups.items():
            try:
                joined = [pa.concat_tables(tables, promote_options="permissive")]
            except (pa.ArrowException, ValueError, TypeError):
                joined = tables  # columns that cannot be unified: one at a time
            for table in joined:
                self._profile(name, table, start)
        return marker

    def _profile(self, name: str, table: pa.Table, start: int) -> None:
        try:
            state = self._open.get((name, start))
            if state is None:
                state = self._open_window(name, start)
            for batch in table.to_batches():
                self._generator.add_input(state.accumulator, batch)
            state.dirty = True
            self.profiled_rows += table.num_rows
        except (DatacheckError, pa.ArrowException, ValueError, TypeError, OSError) as exc:
            # Rows that validated but cannot join the window's profile (a column that changed
            # type against the window's); counted, never fatal to the worker.
            _LOG.warning("serving statistics of %r: %d rows left out: %s", name, len(table), exc)
            with self._lock:
                self.dropped_rows += table.num_rows

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
