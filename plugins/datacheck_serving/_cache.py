"""Clipper's prediction cache: CLOCK eviction, full-key comparison, and request coalescing.

An entry is keyed by ``(model, version, input)``, where ``input`` is the encoded row's bytes.
The table is indexed by a short digest of the input (``hasher``, BLAKE2b by default), but a
hit compares the *whole* key, bytes included, so a digest collision is a miss, never another
input's or another version's prediction. A slot holds one entry per digest: a colliding put
replaces it.

Eviction is CLOCK (second chance): every slot has a reference bit set on a hit; the hand
sweeps the slots, clearing set bits, and evicts the first slot whose bit is clear. At most
``capacity`` entries are held.

Coalescing: concurrent requests for the same full key while its prediction is being computed
wait for that one computation (a :class:`concurrent.futures.Future`, awaited from asyncio with
:func:`asyncio.wrap_future`); the model is called once. A computation that raises is not
cached, and every waiter gets its exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from datacheck.errors import OptionError

__all__ = ["CacheStats", "PredictionCache", "digest"]

V = TypeVar("V")

#: a cache key: model name, model version, encoded input bytes
Key = tuple[str, str, bytes]


def digest(data: bytes) -> bytes:
    """The 16-byte BLAKE2b digest the cache indexes inputs by."""
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(slots=True)
class CacheStats:
    """Counts since the cache was made."""

    hits: int = 0
    misses: int = 0
    #: requests that waited for an identical computation already running
    coalesced: int = 0
    evictions: int = 0
    #: lookups whose digest matched an entry with another full key
    collisions: int = 0

    @property
    def hit_ratio(self) -> float:
        """Hits (coalesced ones included) over lookups; 0 before any."""
        total = self.hits + self.misses + self.coalesced
        return (self.hits + self.coalesced) / total if total else 0.0


class _Slot(Generic[V]):
    __slots__ = ("index", "key", "referenced", "value")

    def __init__(self, key: Key, index: tuple[str, str, bytes], value: V) -> None:
        self.key = key
        self.index = index
        self.value = value
        self.referenced = False


class PredictionCache(Generic[V]):
    """A bounded, thread-safe map from ``(model, version, input bytes)`` to a prediction.

    Args:
        capacity: The most entries held (CLOCK eviction beyond).
        hasher: The digest the table is indexed by (tests force collisions with a poor one);
            a hit always compares the full key.
    """

    def __init__(self, capacity: int, *, hasher: Callable[[bytes], bytes] = digest) -> None:
        if capacity < 1:
            raise OptionError("at least 1", parameter="capacity", value=capacity)
        self.capacity = capacity
        self._hasher = hasher
        self._slots: list[_Slot[V] | None] = [None] * capacity
        self._where: dict[tuple[str, str, bytes], int] = {}
        self._free = list(range(capacity - 1, -1, -1))
        self._hand = 0
        self._lock = threading.Lock()
        self._running: dict[Key, Future[V]] = {}
        self.stats = CacheStats()

    def __len__(self) -> int:
        with self._lock:
            return len(self._where)

    def get(self, model: str, version: str, data: bytes) -> V | None:
        """The cached prediction for exactly this key, or None."""
        key = (model, version, bytes(data))
        with self._lock:
            found, value = self._lookup(key)
            if found:
                self.stats.hits += 1
                return value
            self.stats.misses += 1
            return None

    def put(self, model: str, version: str, data: bytes, value: V) -> None:
        """Hold ``value`` for this key, evicting by CLOCK when full."""
        key = (model, version, bytes(data))
        with self._lock:
            self._store(key, value)

    def claim(self, model: str, version: str, data: bytes) -> tuple[Future[V], bool]:
        """A future of this key's prediction, and whether the caller must compute it.

        ``(future, True)``: nobody computes it yet; the caller computes, then calls
        :meth:`finish` (which resolves the future). ``(future, False)``: it is cached (the
        future is done) or being computed (the future resolves when it is).
        """
        key = (model, version, bytes(data))
        with self._lock:
            found, value = self._lookup(key)
            if found:
                self.stats.hits += 1
                done: Future[V] = Future()
                done.set_result(value)  # type: ignore[arg-type]
                return done, False
            running = self._running.get(key)
            if running is not None:
                self.stats.coalesced += 1
                return running, False
            self.stats.misses += 1
            future: Future[V] = Future()
            self._running[key] = future
            return future, True

    def finish(
        self,
        model: str,
        version: str,
        data: bytes,
        value: V | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Resolve a claimed computation: cache ``value`` (or not, on ``error``) and wake
        everyone waiting for it."""
        key = (model, version, bytes(data))
        with self._lock:
            future = self._running.pop(key, None)
            if error is None:
                self._store(key, value)  # type: ignore[arg-type]
        if future is None or not future.set_running_or_notify_cancel():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def claim_many(
        self, model: str, version: str, inputs: Sequence[bytes]
    ) -> list[tuple[Future[V], bool]]:
        """:meth:`claim` for each of ``inputs``, under one acquisition of the lock."""
        answers: list[tuple[Future[V], bool]] = []
        with self._lock:
            for data in inputs:
                key = (model, version, bytes(data))
                found, value = self._lookup(key)
                if found:
                    self.stats.hits += 1
                    done: Future[V] = Future()
                    done.set_result(value)  # type: ignore[arg-type]
                    answers.append((done, False))
                    continue
                running = self._running.get(key)
                if running is not None:
                    self.stats.coalesced += 1
                    answers.append((running, False))
                    continue
                self.stats.misses += 1
                future: Future[V] = Future()
                self._running[key] = future
                answers.append((future, True))
        return answers

    def finish_many(
        self,
        model: str,
        version: str,
        inputs: Sequence[bytes],
        values: Sequence[V] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """:meth:`finish` for each of ``inputs`` (with ``values`` in order, or ``error``),
        under one acquisition of the lock; waiters are woken after it is released."""
        if error is None and (values is None or len(values) != len(inputs)):
            raise OptionError("one value per input", parameter="values", value=values)
        waiting: list[tuple[Future[V], V | None]] = []
        with self._lock:
            for at, data in enumerate(inputs):
                key = (model, version, bytes(data))
                future = self._running.pop(key, None)
                value = None if values is None else values[at]
                if error is None:
                    self._store(key, value)  # type: ignore[arg-type]
                if future is not None:
                    waiting.append((future, value))
        for future, value in waiting:
            if not future.set_running_or_notify_cancel():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)  # type: ignore[arg-type]

    def get_or_compute(self, model: str, version: str, data: bytes, compute: Callable[[], V]) -> V:
        """The prediction, computed by ``compute`` once however many threads ask at once."""
        future, mine = self.claim(model, version, data)
        if mine:
            try:
                value = compute()
            except BaseException as exc:
                self.finish(model, version, data, error=exc)
                raise
            self.finish(model, version, data, value)
        return future.result()

    async def aget_or_compute(
        self, model: str, version: str, data: bytes, compute: Callable[[], Awaitable[V]]
    ) -> V:
        """:meth:`get_or_compute` for asyncio: ``compute`` is awaited once per key."""
        future, mine = self.claim(model, version, data)
        if mine:
            try:
                value = await compute()
            except BaseException as exc:
                self.finish(model, version, data, error=exc)
                raise
            self.finish(model, version, data, value)
            return value
        if future.done():
            return future.result()
        # shielded: a caller that gives up must not cancel the computation others share
        return await asyncio.shield(asyncio.wrap_future(future))

    # -- under the lock ------------------------------------------------------------------------

    def _lookup(self, key: Key) -> tuple[bool, V | None]:
        at = self._where.get((key[0], key[1], self._hasher(key[2])))
        if at is None:
            return False, None
        slot = self._slots[at]
        assert slot is not None
        if slot.key != key:  # a digest collision: never another input's prediction
            self.stats.collisions += 1
            return False, None
        slot.referenced = True
        return True, slot.value

    def _store(self, key: Key, value: V) -> None:
        index = (key[0], key[1], self._hasher(key[2]))
        at = self._where.get(index)
        if at is not None:  # the same digest: replace (a collision, or a recomputation)
            self._slots[at] = _Slot(key, index, value)
            return
        at = self._free.pop() if self._free else self._evict()
        self._slots[at] = _Slot(key, index, value)
        self._where[index] = at

    def _evict(self) -> int:
        while True:
            slot = self._slots[self._hand]
            assert slot is not None
            at = self._hand
            self._hand = (self._hand + 1) % self.capacity
            if slot.referenced:
                slot.referenced = False
                continue
            del self._where[slot.index]
            self._slots[at] = None
            self.stats.evictions += 1
            return at
