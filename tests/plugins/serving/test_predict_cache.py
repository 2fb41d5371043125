"""The prediction cache: full-key hits under forced collisions, CLOCK bound, coalescing."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck_serving._cache import PredictionCache

keys = st.tuples(st.sampled_from(["m", "n"]), st.sampled_from(["1", "2"]), st.binary(max_size=4))


@given(st.lists(st.tuples(st.booleans(), keys), max_size=60), st.integers(1, 8))
def test_never_another_keys_prediction_even_when_every_digest_collides(ops, capacity):
    cache: PredictionCache[tuple[str, str, bytes]] = PredictionCache(
        capacity,
        hasher=lambda data: bytes([len(data) % 2]),  # two digests for every input
    )
    for is_put, key in ops:
        if is_put:
            cache.put(*key, key)
        else:
            got = cache.get(*key)
            assert got is None or got == key
        assert len(cache) <= capacity


def test_collision_is_a_miss_and_versions_stay_apart():
    cache: PredictionCache[str] = PredictionCache(4, hasher=lambda data: b"x")
    cache.put("m", "1", b"a", "a@1")
    assert cache.get("m", "1", b"b") is None
    assert cache.get("m", "2", b"a") is None
    assert cache.get("m", "1", b"a") == "a@1"
    assert cache.stats.collisions == 1


def test_clock_gives_referenced_entries_a_second_chance():
    cache: PredictionCache[int] = PredictionCache(3)
    for i in range(3):
        cache.put("m", "1", bytes([i]), i)
    assert cache.get("m", "1", bytes([0])) == 0  # referenced: survives the next eviction
    cache.put("m", "1", bytes([3]), 3)
    assert cache.get("m", "1", bytes([0])) == 0
    assert cache.get("m", "1", bytes([1])) is None
    assert cache.stats.evictions == 1
    assert len(cache) == 3


def test_threads_asking_the_same_key_call_the_model_once():
    cache: PredictionCache[int] = PredictionCache(8)
    calls = []
    gate = threading.Event()

    def compute() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get_or_compute("m", "1", b"k", compute))
        )
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    time.sleep(0.05)
    gate.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 16
    assert len(calls) == 1
    assert cache.stats.coalesced + cache.stats.hits == 15


def test_asyncio_requests_coalesce_and_failures_are_not_cached():
    cache: PredictionCache[int] = PredictionCache(8)
    calls = []

    async def compute() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        return 7

    async def boom() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise ValueError("model failed")

    async def main() -> None:
        got = await asyncio.gather(
            *(cache.aget_or_compute("m", "1", b"k", compute) for _ in range(10))
        )
        assert got == [7] * 10
        assert len(calls) == 1
        outcome = await asyncio.gather(
            *(cache.aget_or_compute("m", "1", b"z", boom) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(o, ValueError) for o in outcome)
        assert cache.get("m", "1", b"z") is None

    asyncio.run(main())
    assert len(calls) == 2


def test_capacity_must_be_positive():
    from datacheck.errors import OptionError

    with pytest.raises(OptionError):
        PredictionCache(0)


@given(st.lists(st.binary(max_size=3), max_size=30), st.integers(1, 6))
def test_claim_many_is_claim_in_turn_even_when_every_digest_collides(inputs, capacity):
    def poor(data: bytes) -> bytes:
        return bytes([len(data) % 2])

    one: PredictionCache[bytes] = PredictionCache(capacity, hasher=poor)
    many: PredictionCache[bytes] = PredictionCache(capacity, hasher=poor)
    for cache in (one, many):
        cache.put("m", "1", b"ab", b"ab")
    singles = [one.claim("m", "1", data) for data in inputs]
    batch = many.claim_many("m", "1", inputs)
    assert [own for _, own in singles] == [own for _, own in batch]
    assert many.stats == one.stats
    # a duplicate within the call waits for the first one's computation
    owned = [data for data, (_, own) in zip(inputs, batch, strict=True) if own]
    assert len(owned) == len(set(owned))
    many.finish_many("m", "1", owned, owned)
    for data, (future, _) in zip(inputs, batch, strict=True):
        assert future.result(0) == data  # never another input's value
    assert all(many.get("m", "1", data) in (None, data) for data in inputs)


def test_finish_many_with_an_error_wakes_the_waiters_and_caches_nothing():
    cache: PredictionCache[int] = PredictionCache(8)
    claims = cache.claim_many("m", "1", [b"a", b"b", b"a"])
    assert [own for _, own in claims] == [True, True, False]
    cache.finish_many("m", "1", [b"a", b"b"], error=RuntimeError("model failed"))
    for future, _ in claims:
        with pytest.raises(RuntimeError):
            future.result(0)
    assert cache.get("m", "1", b"a") is None and len(cache) == 0
