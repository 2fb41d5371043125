"""The thread policy: how many threads, and pools that end with their block."""

from __future__ import annotations

import os
import threading

from datacheck._threads import pool_map, thread_count, thread_pool


def test_default_threads_are_between_one_and_the_core_count() -> None:
    assert 1 <= thread_count() <= (os.cpu_count() or 1)


def test_a_requested_thread_count_is_used_as_given() -> None:
    assert thread_count(3) == 3


def test_leaving_the_block_joins_the_threads() -> None:
    with thread_pool(2) as pool:
        workers = pool_map(pool, lambda _: threading.current_thread(), range(4))
    assert all(not t.is_alive() for t in workers)


def test_work_after_the_block_runs_on_the_calling_thread() -> None:
    with thread_pool(2) as pool:
        pass
    assert pool_map(pool, lambda _: threading.current_thread(), [1]) == [threading.current_thread()]
