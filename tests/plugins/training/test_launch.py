"""A worker that raises or dies: one clear error, every other worker stopped, none left."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from training_models import dies, record_pid

from datacheck_training import WorkerError, launch

pytestmark = pytest.mark.slow


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill 0; its state says it is dead
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] == "Z"


def _pids(folder: Path, count: int) -> list[int]:
    return [int((folder / f"pid-{r}").read_text()) for r in range(count)]


def test_a_raising_worker_stops_them_all(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(WorkerError) as caught:
        launch(record_pid, ["cpu"] * 3, (str(tmp_path),))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("training worker 1 on cpu failed: ValueError: worker 1 cannot go on")
    assert time.monotonic() - started < 60  # not the collective's timeout
    assert all(_gone(pid) for pid in _pids(tmp_path, 3))


def test_a_worker_that_dies_silently(tmp_path: Path) -> None:
    with pytest.raises(WorkerError, match="training worker 0 on cpu died with exit code 3"):
        launch(dies, ["cpu", "cpu"], (str(tmp_path),))
    assert all(_gone(pid) for pid in _pids(tmp_path, 2))
