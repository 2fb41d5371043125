"""How many threads datacheck's column work uses, and the pools that run it.

Arrow's kernels and most numpy loops release the GIL, so the statistics (one task per feature)
and the row checks (one task per range of rows) run on a thread pool. One policy for both:

- :func:`thread_count`: as many threads as there are idle cores (or what the caller asks for);
- :func:`thread_pool`: a pool for one call, as a context manager; leaving the block shuts it
  down and joins its threads, so no datacheck thread outlives the call that started it;
- :func:`start_pool`: the same pool for an owner that shuts it down itself (a Beam DoFn's
  ``setup`` and ``teardown``);
- :func:`pool_map`: work handed out after the call (a checked batch's valid rows, copied on
  access) runs on the call's pool while it is open, and on the caller's thread after.

Pool threads are named ``datacheck_<n>``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["THREAD_NAME_PREFIX", "pool_map", "start_pool", "thread_count", "thread_pool"]

T = TypeVar("T")

#: the name prefix of every datacheck pool thread
THREAD_NAME_PREFIX = "datacheck"

#: seconds one measurement of the idle cores is reused for
_MEASURE_EVERY = 1.0
#: (time.monotonic() of the measurement, idle cores then)
_last: tuple[float, int] = (-math.inf, 1)


def thread_count(requested: int | None = None) -> int:
    """The threads to use: ``requested`` when given (a positive number), else the cores not
    busy with other processes right now (at least 1).

    Threads only pay off on free cores: on a machine whose cores are all taken, two threads of
    this process queue for the GIL behind each other's long holds and run slower than one
    (measured on 2 shared cores at load 4.7: 1.8-2.3 s with one thread, 2.0-3.5 s with two).
    Linux's ``/proc/loadavg`` gives the runnable threads this instant;
    elsewhere every core counts as free. A measurement takes about 5 ms, more than checking a
    small batch, so it is reused for a second: load moves over seconds, and a caller that
    checks one small batch per call (a Beam bundle, a request) would pay it on every call.
    """
    if requested:
        return requested
    global _last
    now = time.monotonic()
    measured_at, cores = _last
    if now - measured_at >= _MEASURE_EVERY:
        cores = _idle_cores()
        _last = (now, cores)
    return cores


def _idle_cores() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    try:
        samples = []
        for i in range(3):
            if i:
                time.sleep(0.002)
            with open("/proc/loadavg", encoding="ascii") as fh:
                samples.append(int(fh.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return cores
    others = min(samples) - 1  # this thread is one of the runnable ones
    return max(1, min(cores, cores - others))


def start_pool(threads: int) -> ThreadPoolExecutor:
    """A pool of ``threads`` named datacheck threads; its owner must call ``shutdown()``.

    Prefer :func:`thread_pool`, which does that on leaving its block.
    """
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix=THREAD_NAME_PREFIX)


@contextmanager
def thread_pool(threads: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``threads`` threads for the block; leaving it waits for the tasks and joins
    the threads (on an error, the tasks not yet started are cancelled first).

    Threads start as tasks arrive, so a pool that gets one task starts one thread.
    """
    pool = start_pool(threads)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def pool_map(pool: Executor | None, fn: Callable[..., T], *iterables: Iterable[Any]) -> list[T]:
    """``list(map(fn, *iterables))``, run on ``pool`` while it is open, else on this thread
    (no pool, or its block has been left)."""
    items = list(zip(*iterables, strict=False))
    futures = None
    if pool is not None:
        # A pool whose block has been left refuses work ("cannot schedule new futures after
        # shutdown"): then this thread does it.
        with contextlib.suppress(RuntimeError):
            futures = [pool.submit(fn, *args) for args in items]
    if futures is None:
        return [fn(*args) for args in items]
    return [future.result() for future in futures]
