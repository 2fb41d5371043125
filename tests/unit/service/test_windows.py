"""Serving-statistics windows: profiled off the request path, persisted, listed, compared."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from datacheck.service import ServingWindows
from datacheck.service import _windows as _windows_module
from datacheck.stats import DatasetProfile

from .conftest import arrow_stream, post_json, rows


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _windows(root: Path, clock: _Clock, **kwargs: Any) -> ServingWindows:
    windows = ServingWindows(root, window_seconds=60, flush_seconds=0.05, clock=clock, **kwargs)
    windows.start()
    return windows


def test_rows_go_to_the_window_they_arrive_in(tmp_path: Path) -> None:
    clock = _Clock(6000.0)
    windows = _windows(tmp_path, clock)
    windows.add("fruit", pa.Table.from_pylist(rows(10)))
    clock.now = 6059.0
    windows.add("fruit", pa.Table.from_pylist(rows(5)))
    clock.now = 6060.0
    windows.add("fruit", pa.Table.from_pylist(rows(7)))
    windows.close()
    assert [(w.start, w.num_rows) for w in windows.windows("fruit")] == [(6000, 15), (6060, 7)]


def test_a_window_is_written_within_a_second_without_a_shutdown(tmp_path: Path) -> None:
    windows = _windows(tmp_path, _Clock(6000.0))
    try:
        windows.add("fruit", pa.Table.from_pylist(rows(10)))
        assert windows.flush_now()
        (window,) = windows.windows("fruit")
        assert window.path.is_file()
        assert windows.profile("fruit")[1].num_rows == 10
    finally:
        windows.close()


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_a_window_reaches_the_disk_within_a_second_of_its_rows(
    tmp_path: Path, process: bool
) -> None:
    # the default flush interval; with the process: sent, then written, within it
    windows = ServingWindows(tmp_path, window_seconds=60, process=process)
    windows.start()
    try:
        assert windows.flush_now(timeout=120)  # the process has started and answers
        windows.add("fruit", pa.Table.from_pylist(rows(10)))
        queued = time.monotonic()
        while not windows.windows("fruit") and time.monotonic() - queued < 5:
            time.sleep(0.01)
        assert time.monotonic() - queued < 1.0
        assert windows.windows("fruit")[0].num_rows == 10
    finally:
        windows.close()


def test_a_restart_within_a_window_continues_it(tmp_path: Path) -> None:
    clock = _Clock(6000.0)
    first = _windows(tmp_path, clock)
    first.add("fruit", pa.Table.from_pylist(rows(10)))
    first.close()
    second = _windows(tmp_path, clock)
    second.add("fruit", pa.Table.from_pylist(rows(4)))
    second.close()
    assert [w.num_rows for w in second.windows("fruit")] == [14]


def test_rows_beyond_the_queue_are_dropped_and_counted(tmp_path: Path) -> None:
    windows = ServingWindows(tmp_path, window_seconds=60, queue_batches=1)
    assert windows.add("fruit", pa.Table.from_pylist(rows(3)))  # not started: stays queued
    assert not windows.add("fruit", pa.Table.from_pylist(rows(4)))
    assert windows.dropped_rows == 4


def test_rows_beyond_the_queued_rows_limit_are_dropped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_windows_module, "MAX_QUEUED_ROWS", 5)
    windows = ServingWindows(tmp_path, window_seconds=60)
    assert windows.add("fruit", pa.Table.from_pylist(rows(3)))  # not started: stays queued
    assert not windows.add("fruit", pa.Table.from_pylist(rows(4)))
    assert windows.add("fruit", pa.Table.from_pylist(rows(2)))
    assert windows.dropped_rows == 4


def test_requests_are_profiled_together_not_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows = ServingWindows(tmp_path, window_seconds=60, clock=_Clock(6000.0))
    profiled: list[int] = []
    generator = windows._profiler.generator
    add_input = generator.add_input

    def counted(accumulator: Any, batch: pa.RecordBatch) -> Any:
        profiled.append(batch.num_rows)
        return add_input(accumulator, batch)

    monkeypatch.setattr(generator, "add_input", counted)
    for i in range(50):
        assert windows.add("fruit", pa.Table.from_pylist(rows(2, offset=2 * i)))
    windows.start()
    try:
        assert windows.flush_now()
    finally:
        windows.close()
    assert profiled == [100]  # one batch of the 50 requests' rows, not 50 batches
    assert windows.windows("fruit")[0].num_rows == 100


def test_a_profiling_process_gives_the_profile_the_thread_gives(tmp_path: Path) -> None:
    tables = [pa.Table.from_pylist(rows(n, offset=100 * n)) for n in (3, 40, 7)]
    streams = [None, arrow_stream(tables[1]), None]  # an Arrow request's bytes go as they are
    profiles = []
    for process in (False, True):
        windows = ServingWindows(
            tmp_path / str(process), window_seconds=60, clock=_Clock(6000.0), process=process
        )
        windows.start()
        try:
            for table, stream in zip(tables, streams, strict=True):
                assert windows.add("fruit", table, stream=stream)
            assert windows.flush_now(timeout=120)
            assert windows.in_process is process  # it was used, and did not fail
            assert windows.profiled_rows == 50
        finally:
            windows.close()
        profiles.append(windows.profile("fruit")[1])
    assert profiles[0].num_rows == profiles[1].num_rows == 50
    assert profiles[1].to_dict() == profiles[0].to_dict()


def test_the_profiling_process_writes_everything_on_close(tmp_path: Path) -> None:
    windows = ServingWindows(tmp_path, window_seconds=60, clock=_Clock(6000.0), process=True)
    windows.start()
    for i in range(20):
        assert windows.add("fruit", pa.Table.from_pylist(rows(5, offset=5 * i)))
    windows.close()
    assert windows._channel is not None and not windows._channel.process.is_alive()
    assert [w.num_rows for w in windows.windows("fruit")] == [100]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's SCHED_IDLE policy")
def test_the_profiling_process_takes_only_idle_cpu(tmp_path: Path) -> None:
    windows = ServingWindows(tmp_path, window_seconds=60, clock=_Clock(6000.0), process=True)
    windows.start()
    try:
        assert windows.add("fruit", pa.Table.from_pylist(rows(3)))
        assert windows.flush_now(timeout=120)  # the process is up and has set its policy
        channel = windows._channel
        assert channel is not None and channel.process.pid is not None
        assert os.sched_getscheduler(channel.process.pid) == os.SCHED_IDLE
    finally:
        windows.close()


def test_a_profiling_process_that_dies_leaves_the_thread_profiling(tmp_path: Path) -> None:
    windows = ServingWindows(tmp_path, window_seconds=60, clock=_Clock(6000.0), process=True)
    windows.start()
    try:
        assert windows.add("fruit", pa.Table.from_pylist(rows(10)))
        assert windows.flush_now(timeout=120)
        channel = windows._channel
        assert channel is not None
        channel.process.kill()
        channel.process.join(30)
        assert windows.add("fruit", pa.Table.from_pylist(rows(6, offset=10)))
        assert windows.flush_now(timeout=60)
        assert not windows.in_process
    finally:
        windows.close()
    assert [w.num_rows for w in windows.windows("fruit")] == [16]
    assert windows.profiled_rows == 16


def test_rows_that_change_type_are_left_out_not_fatal(tmp_path: Path) -> None:
    windows = _windows(tmp_path, _Clock(6000.0))
    windows.add("fruit", pa.table({"a": [1, 2]}))
    windows.add("fruit", pa.table({"a": pa.array([[1]], pa.list_(pa.int64()))}))
    windows.add("fruit", pa.table({"a": [3]}))
    windows.close()
    assert windows.windows("fruit")[0].num_rows >= 3


def test_validated_rows_appear_in_the_windows_route(registered: TestClient) -> None:
    post_json(registered, "/validate/fruit", rows(25))
    registered.app.state.service.windows.flush_now()  # type: ignore[attr-defined]
    body = registered.get("/schemas/fruit/windows").json()
    assert [w["num_rows"] for w in body["windows"]] == [25]


def test_skew_compares_the_latest_window_with_the_baseline(
    registered: TestClient, profile: DatasetProfile
) -> None:
    registered.put("/schemas/fruit/baseline", json=profile.to_dict())
    skewed = rows(300)
    for row in skewed:
        row["colour"] = "red"
    post_json(registered, "/validate/fruit", skewed)
    registered.app.state.service.windows.flush_now()  # type: ignore[attr-defined]
    body = registered.get("/schemas/fruit/skew").json()
    assert body["window"]["num_rows"] == 300
    codes = {a["code"] for a in body["report"]["anomalies"]}
    assert "COMPARATOR_L_INFTY_HIGH" in codes


def test_skew_without_a_baseline_or_a_window_is_404(
    registered: TestClient, profile: DatasetProfile
) -> None:
    assert registered.get("/schemas/fruit/skew").json()["error"]["code"] == "no_baseline"
    registered.put("/schemas/fruit/baseline", json=profile.to_dict())
    assert registered.get("/schemas/fruit/skew").json()["error"]["code"] == "no_window"
    assert registered.get("/schemas/fruit/skew?window=12").status_code == 404


def test_windows_of_an_unknown_schema_is_404(client: TestClient) -> None:
    assert client.get("/schemas/nope/windows").status_code == 404
