"""Clipper's adaptive batching: one queue per model, batch size by AIMD against a latency SLO.

:class:`AIMD` is the controller, a pure state machine fed ``(batch size, latency)``; it is
tested on a virtual clock (any :class:`BatchPolicy` can take its place). :class:`AdaptiveBatcher`
is the queue: submissions (:meth:`~AdaptiveBatcher.submit_many`, a request's rows as one unit,
or :meth:`~AdaptiveBatcher.asubmit_many` from asyncio) wait in a deque; one worker *thread*
per model takes up to the controller's size of rows, splitting a submission only where a batch
ends inside it, joins them (one ``np.concatenate`` for arrays), calls the model once on the
whole batch, resolves each submission's future with its slice of the outputs and reports the
batch's latency to the controller. The event loop only enqueues and awaits; it never runs
the model.

The controller (Crankshaw et al., *Clipper*, NSDI 2017, section 4.3):

* **objective** ``T = slo * (1 - margin)``: a batch "misses" when its latency exceeds ``T``.
* **additive increase**: a *full* batch (as large as the size allowed) finishing within ``T``
  grows the size by ``step``; a partial batch says nothing about larger ones.
* **multiplicative cut**: a batch over ``T`` sets the size to ``max(1, floor(size * cut))``.
* **slow start** (as TCP's): until the first miss the size doubles instead, so that a model
  whose best size is in the hundreds reaches it in a few batches, not hundreds (a queue
  would build meanwhile); from the first miss on it is plain AIMD.

With latency ``a + b*n`` the largest size within the objective is
``N = floor((T - a) / b)``. Under a full queue the size climbs by ``step`` to the first size
over ``N``, ``s`` in ``[N + 1, N + step]``, misses once, is cut, and climbs again: it stays in
the band ``[floor((N + 1) * cut), N + step]``, one miss every ``ceil((N + 1 - floor(s * cut))
/ step) + 1`` batches (:meth:`AIMD.band`). The defaults, ``step = 1``, ``cut = 0.9``
(Clipper's 10% back-off) and ``margin = 0.1``, keep the mean size within ~5% of ``N`` (so
throughput near the model's ceiling) at one objective-miss in about ``0.1 N + 2`` batches
(for a miss goal of 5% of requests: at the SLO itself, none of them); the margin makes those misses
of ``T`` hits of the SLO itself as long as one more row costs less than ``margin * slo``
(``b < 0.1 * slo``), and absorbs latency noise of that size. For an *end-to-end* objective
under load a request can wait for the batch in front of it, so :class:`AdaptiveBatcher`
gives its batches half the end-to-end SLO (``batch_share = 0.5``).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import chain
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from datacheck.errors import OptionError

__all__ = ["AIMD", "AdaptiveBatcher", "BatchPolicy", "BatchRecord", "join_arrays", "join_rows"]

T = TypeVar("T")
R = TypeVar("R")
#: what a submission or a batch's outputs may be: a sequence, or an array (one row a row)
Rows = Sequence[T] | npt.NDArray[Any]


class AIMD:
    """The batch size, grown additively while batches meet the objective, cut on a miss.

    Args:
        slo: The latency objective of one batch, in seconds.
        step: Rows added after a full batch within the objective.
        cut: The factor the size is multiplied by after a miss (0 < cut < 1).
        margin: The share of ``slo`` kept in reserve: the objective is ``slo * (1 - margin)``.
        initial: The first size.
        max_size: The size never exceeds this.
    """

    def __init__(
        self,
        slo: float,
        *,
        step: int = 1,
        cut: float = 0.9,
        margin: float = 0.1,
        initial: int = 1,
        max_size: int = 4096,
    ) -> None:
        if not slo > 0:
            raise OptionError("a positive number of seconds", parameter="slo", value=slo)
        if step < 1:
            raise OptionError("at least 1", parameter="step", value=step)
        if not 0 < cut < 1:
            raise OptionError("between 0 and 1, exclusive", parameter="cut", value=cut)
        if not 0 <= margin < 1:
            raise OptionError("in [0, 1)", parameter="margin", value=margin)
        if max_size < 1:
            raise OptionError("at least 1", parameter="max_size", value=max_size)
        self.slo = slo
        self.step = step
        self.cut = cut
        self.margin = margin
        self.max_size = max_size
        self.size = max(1, min(initial, max_size))
        self.batches = 0
        self.misses = 0
        #: doubling until the first miss
        self.slow_start = True

    @property
    def objective(self) -> float:
        """The latency a batch must stay within: ``slo * (1 - margin)``."""
        return self.slo * (1.0 - self.margin)

    def observe(self, rows: int, latency: float) -> int:
        """Learn from a batch of ``rows`` that took ``latency`` seconds; the next size."""
        self.batches += 1
        if latency > self.objective:
            self.misses += 1
            self.slow_start = False
            self.size = max(1, math.floor(self.size * self.cut))
        elif rows >= self.size:
            grown = 2 * self.size if self.slow_start else self.size + self.step
            self.size = min(self.max_size, grown)
        return self.size

    def band(self, a: float, b: float) -> tuple[int, int, float, float]:
        """For latency ``a + b*n`` under a full queue: the sizes' band ``(low, high)`` and the
        least and most share of batches missing the objective.

        The size climbs past ``N = floor((objective - a) / b)`` to some ``s`` in
        ``[N + 1, N + step]``, misses, is cut to ``c = floor(s * cut)`` and climbs back past
        ``N`` in ``ceil((N + 1 - c) / step)`` batches: one miss per that many plus one.
        """
        best = max(0, math.floor((self.objective - a) / b))
        high = min(self.max_size, best + self.step)
        low = max(1, math.floor(min(high, best + 1) * self.cut))
        cycles = [
            math.ceil(max(0, best + 1 - max(1, math.floor(s * self.cut))) / self.step) + 1
            for s in range(min(high, best + 1), high + 1)
        ]
        return low, high, 1.0 / max(cycles), 1.0 / min(cycles)


@dataclass(slots=True)
class BatchRecord:
    """One batch the worker ran."""

    rows: int
    seconds: float
    size_allowed: int
    failed: bool


class BatchPolicy(Protocol):
    """What sizes the batches: :class:`AIMD`, or another controller (the benchmark drives
    Beam's ``BatchElements`` estimator through this)."""

    @property
    def size(self) -> int:
        """The most rows the next batch may take."""
        ...

    def observe(self, rows: int, latency: float) -> int:
        """Learn from a batch of ``rows`` that took ``latency`` seconds; the next size."""
        ...


def join_rows(parts: list[Sequence[Any]]) -> Sequence[Any]:
    """The default join: the parts' items in one list (one part: itself, not copied)."""
    if len(parts) == 1:
        return parts[0]
    return list(chain.from_iterable(parts))


def join_arrays(parts: list[Any]) -> Any:
    """The join for submissions that are 2-D arrays (one row per row): one
    ``np.concatenate`` for the batch (one part: itself, not copied)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _Group:
    """One submission: its rows may run in several batches; one future answers them all."""

    __slots__ = ("arrived", "future", "left", "parts", "single")

    def __init__(self, size: int, single: bool) -> None:
        self.future: Future[Any] = Future()
        self.parts: list[tuple[int, Rows[Any]]] = []
        self.left = size
        self.single = single
        self.arrived = time.perf_counter()

    def answer(self) -> Any:
        if self.single:
            return self.parts[0][1][0]
        if len(self.parts) == 1:
            return list(self.parts[0][1])
        self.parts.sort(key=lambda part: part[0])
        return [out for _, outputs in self.parts for out in outputs]


class AdaptiveBatcher(Generic[T, R]):
    """A model's request queue and its worker thread: batches sized by :class:`AIMD`.

    The queue holds *submissions*, not rows: a submission of ``n`` rows is one deque entry
    and one future, split only where a batch ends inside it. The worker joins the batch's
    slices with ``join`` (one ``np.concatenate`` for arrays: :func:`join_arrays`), makes one
    model call, and hands each submission its slice of the outputs: the cost outside the
    model is per submission and per batch, not per row.

    Args:
        run: The model on a batch: the joined inputs to a sequence of outputs, in order.
            Runs on the worker thread; an exception fails every request of the batch.
        slo: The end-to-end latency objective per request, in seconds.
        batch_share: The share of ``slo`` a batch may take (the rest is the wait for the
            batch ahead); the controller's ``slo``.
        max_wait: Seconds a partial batch waits for more requests before it is sent (0: send
            what waits at once).
        controller: Options of the :class:`AIMD` (``step``, ``cut``, ``margin``, ...).
        policy: Another :class:`BatchPolicy` instead of the AIMD (``controller`` then unused).
        join: The submissions' slices of a batch to the model's input (default
            :func:`join_rows`, a list; :func:`join_arrays` for 2-D arrays).
        name: The worker thread's name.
        history: Batches remembered in :attr:`records`.
    """

    def __init__(
        self,
        run: Callable[[Any], Rows[R]],
        *,
        slo: float,
        batch_share: float = 0.5,
        max_wait: float = 0.0,
        controller: dict[str, Any] | None = None,
        policy: BatchPolicy | None = None,
        join: Callable[[list[Any]], Any] = join_rows,
        name: str = "datacheck-batcher",
        history: int = 10_000,
    ) -> None:
        self._run = run
        self._join = join
        self.slo = slo
        self.policy: BatchPolicy = (
            policy if policy is not None else AIMD(slo * batch_share, **(controller or {}))
        )
        self.max_wait = max_wait
        #: submissions waiting: (group, offset of the first waiting row, the waiting rows)
        self._queue: deque[tuple[_Group, int, Rows[T]]] = deque()
        self._rows = 0
        self._cond = threading.Condition()
        self._closed = False
        self.records: deque[BatchRecord] = deque(maxlen=history)
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    @property
    def aimd(self) -> BatchPolicy:
        """The batch-size policy (an :class:`AIMD` unless another was given)."""
        return self.policy

    def submit(self, value: T) -> Future[R]:
        """Queue ``value``; the future resolves to its output (or the model's exception)."""
        return self._enqueue([value], single=True)

    def submit_many(self, values: Rows[T]) -> Future[list[R]]:
        """Queue ``values`` (a sequence, or a 2-D array with :func:`join_arrays`) as one
        submission: one future, resolved to their outputs in order (or to the exception of
        the first batch that failed)."""
        return self._enqueue(values, single=False)

    async def asubmit(self, value: T) -> R:
        """:meth:`submit` from asyncio: awaits the output without blocking the loop."""
        return await asyncio.wrap_future(self.submit(value))

    async def asubmit_many(self, values: Rows[T]) -> list[R]:
        """:meth:`submit_many` from asyncio."""
        return await asyncio.wrap_future(self.submit_many(values))

    def _enqueue(self, values: Rows[T], *, single: bool) -> Future[Any]:
        group = _Group(len(values), single)
        if not len(values):
            group.future.set_result([])
            return group.future
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.append((group, 0, values))
            self._rows += len(values)
            self._cond.notify()
        return group.future

    @property
    def queued(self) -> int:
        """Rows waiting (not yet in a batch)."""
        return self._rows

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking requests; the worker runs what waits, then ends."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _take(self) -> list[tuple[_Group, int, Rows[T]]] | None:
        with self._cond:
            while not self._rows:
                if self._closed:
                    return None
                self._cond.wait()
            size = self.policy.size
            if self.max_wait > 0 and self._rows < size:
                deadline = self._queue[0][0].arrived + self.max_wait
                while self._rows < size and not self._closed:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            need = min(size, self._rows)
            self._rows -= need
            taken = []
            while need:
                group, offset, values = self._queue[0]
                if len(values) <= need:
                    self._queue.popleft()
                    taken.append((group, offset, values))
                    need -= len(values)
                else:  # the batch ends inside this submission: split it
                    taken.append((group, offset, values[:need]))
                    self._queue[0] = (group, offset + need, values[need:])
                    need = 0
            return taken

    def _work(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            allowed = self.policy.size
            rows = sum(len(values) for _, _, values in batch)
            started = time.perf_counter()
            try:
                outputs = self._run(self._join([values for _, _, values in batch]))
                if len(outputs) != rows:
                    raise RuntimeError(
                        f"the model answered {len(outputs)} outputs for {rows} inputs"
                    )
            except BaseException as exc:  # the model's failure is the requests' answer
                seconds = time.perf_counter() - started
                for group in {id(g): g for g, _, _ in batch}.values():
                    _resolve(group.future, error=exc)
                self.records.append(BatchRecord(rows, seconds, allowed, True))
                self.policy.observe(rows, seconds)
                continue
            seconds = time.perf_counter() - started
            at = 0
            for group, offset, values in batch:
                n = len(values)
                group.parts.append((offset, outputs[at : at + n]))
                at += n
                group.left -= n
                if group.left == 0 and not group.future.done():
                    _resolve(group.future, group.answer())
            self.records.append(BatchRecord(rows, seconds, allowed, False))
            self.policy.observe(rows, seconds)


def _resolve(future: Future[Any], value: Any = None, error: BaseException | None = None) -> None:
    """Answer a submission, unless it was answered (a failed batch) or its caller gave up."""
    if future.done() or not future.set_running_or_notify_cancel():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
