"""AIMD on a virtual clock (latency a + b*n), and the threaded batcher."""

from __future__ import annotations

import math
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datacheck_serving._batching import AIMD, AdaptiveBatcher


def _saturated(aimd: AIMD, a: float, b: float, batches: int) -> tuple[list[int], float]:
    """A full queue on a virtual clock: every batch is as large as allowed."""
    sizes, misses = [], 0
    for _ in range(batches):
        n = aimd.size
        sizes.append(n)
        latency = a + b * n
        misses += latency > aimd.objective
        aimd.observe(n, latency)
    return sizes, misses / batches


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.0005, 0.01),
    b=st.floats(0.00005, 0.001),
    slo=st.floats(0.02, 0.2),
    step=st.integers(1, 4),
    cut=st.sampled_from([0.5, 0.75, 0.9]),
)
def test_size_stays_in_the_band_and_misses_match_the_cycle(a, b, slo, step, cut):
    aimd = AIMD(slo, step=step, cut=cut, margin=0.1, max_size=100_000)
    best = math.floor((aimd.objective - a) / b)
    if best < 4:
        return
    _saturated(aimd, a, b, 60)  # slow start, then the cuts back into the band
    assert not aimd.slow_start
    sizes, miss_rate = _saturated(aimd, a, b, 2000)
    low, high, least, most = aimd.band(a, b)
    assert low <= min(sizes) and max(sizes) <= high
    assert high <= best + step
    assert least * 0.95 - 0.005 <= miss_rate <= most * 1.05 + 0.005
    # the misses are of the objective, not of the SLO, when a row costs less than the margin
    if b * step < slo * aimd.margin:
        assert max(a + b * n for n in sizes) <= slo


def test_defaults_keep_the_mean_size_near_the_best():
    aimd = AIMD(0.1)  # step 1, cut 0.9, margin 0.1: objective 0.09
    a, b = 0.002, 0.0005
    _saturated(aimd, a, b, 300)
    sizes, miss_rate = _saturated(aimd, a, b, 3000)
    best = math.floor((0.09 - a) / b)
    assert sum(sizes) / len(sizes) >= 0.93 * best
    assert miss_rate < 0.1


def test_partial_batches_do_not_grow_the_size():
    aimd = AIMD(0.1, initial=10)
    aimd.observe(3, 0.001)
    assert aimd.size == 10
    aimd.observe(10, 0.001)
    assert aimd.size == 20  # slow start: doubling until the first miss
    aimd.observe(20, 1.0)
    assert aimd.size == 18 and not aimd.slow_start
    aimd.observe(18, 0.001)
    assert aimd.size == 19  # then additive


@pytest.mark.parametrize("bad", [{"cut": 1.0}, {"step": 0}, {"margin": 1.0}, {"max_size": 0}])
def test_bad_options_are_refused(bad):
    from datacheck.errors import OptionError

    with pytest.raises(OptionError):
        AIMD(0.1, **bad)


def test_batcher_batches_answers_in_order_and_fails_only_its_batch():
    seen: list[int] = []

    def run(xs):
        seen.append(len(xs))
        time.sleep(0.002)
        if -1 in xs:
            raise ValueError("bad input")
        return [x * 2 for x in xs]

    batcher = AdaptiveBatcher(run, slo=0.5, controller={"initial": 32})
    try:
        assert batcher.submit_many(list(range(100))).result(5) == [x * 2 for x in range(100)]
        assert max(seen) > 1
        bad = batcher.submit(-1)
        with pytest.raises(ValueError):
            bad.result(5)
        assert batcher.submit(5).result(5) == 10
    finally:
        batcher.close()


def test_batcher_max_wait_gathers_a_partial_batch():
    sizes: list[int] = []
    batcher = AdaptiveBatcher(
        lambda xs: (sizes.append(len(xs)), xs)[1], slo=1.0, max_wait=0.5, controller={"initial": 8}
    )
    try:
        futures = []
        for i in range(4):
            futures.append(batcher.submit(i))
            time.sleep(0.005)
        assert [f.result(5) for f in futures] == [0, 1, 2, 3]
        assert sizes == [4]
    finally:
        batcher.close()


def test_the_worker_is_a_thread_and_the_loop_never_waits_for_the_model():
    import asyncio

    started = threading.Event()
    release = threading.Event()

    def slow(xs):
        started.set()
        release.wait(5)
        return xs

    batcher = AdaptiveBatcher(slow, slo=1.0)

    async def main() -> None:
        task = asyncio.ensure_future(batcher.asubmit(1))
        ticks = 0
        while not started.is_set():
            await asyncio.sleep(0.001)
        for _ in range(5):  # the loop keeps turning while the model runs
            await asyncio.sleep(0.001)
            ticks += 1
        release.set()
        assert await task == 1
        assert ticks == 5

    try:
        asyncio.run(main())
    finally:
        batcher.close()


def test_array_submissions_split_across_batches_and_join_into_one_array_per_batch():
    import numpy as np

    from datacheck_serving._batching import join_arrays

    calls: list[tuple[type, int]] = []

    def run(x):
        calls.append((type(x), len(x)))
        return x * 10

    gate = threading.Event()
    first = threading.Event()

    def gated(x):
        first.set()
        gate.wait(5)
        return run(x)

    batcher = AdaptiveBatcher(
        gated, slo=1.0, join=join_arrays, controller={"initial": 7, "max_size": 7}
    )
    try:
        head = batcher.submit_many(np.array([[-1.0]]))  # holds the worker while we queue
        assert first.wait(5)
        parts = [np.arange(k, k + 5, dtype=float).reshape(5, 1) for k in range(0, 20, 5)]
        futures = [batcher.submit_many(p) for p in parts]
        assert batcher.queued == 20
        gate.set()
        for part, future in zip(parts, futures, strict=True):
            got = future.result(5)
            assert [float(r[0]) for r in got] == [float(v) * 10 for v in part[:, 0]]
        assert head.result(5)[0][0] == -10.0
    finally:
        batcher.close()
    # one model call per batch, each an ndarray, sizes 7, 7, 6: submissions split where a
    # batch ends inside them
    assert calls == [(np.ndarray, 1), (np.ndarray, 7), (np.ndarray, 7), (np.ndarray, 6)]


def test_a_failed_batch_fails_every_submission_it_held_a_part_of():
    calls = []

    def run(xs):
        calls.append(list(xs))
        if 3 in xs:
            raise ValueError("bad row")
        return xs

    gate = threading.Event()
    started = threading.Event()

    def gated(xs):
        started.set()
        gate.wait(5)
        return run(xs)

    batcher = AdaptiveBatcher(gated, slo=1.0, controller={"initial": 4, "max_size": 4})
    try:
        batcher.submit(0)
        assert started.wait(5)
        first = batcher.submit_many([1, 2, 3, 4, 5])  # rows 1-4 in the failing batch
        second = batcher.submit_many([6, 7])
        gate.set()
        with pytest.raises(ValueError):
            first.result(5)
        assert second.result(5) == [6, 7]
    finally:
        batcher.close()


def test_another_policy_sizes_the_batches():
    class Fixed:
        size = 3

        def __init__(self) -> None:
            self.seen: list[int] = []

        def observe(self, rows: int, latency: float) -> int:
            self.seen.append(rows)
            return self.size

    policy = Fixed()
    gate = threading.Event()
    batcher = AdaptiveBatcher(lambda xs: (gate.wait(5), xs)[1], slo=1.0, policy=policy)
    try:
        head = batcher.submit(0)
        rest = batcher.submit_many(list(range(1, 8)))
        gate.set()
        assert head.result(5) == 0 and rest.result(5) == list(range(1, 8))
    finally:
        batcher.close()
    assert batcher.policy is policy and max(policy.seen) <= 3 and sum(policy.seen) == 8
