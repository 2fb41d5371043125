"""Shared set-up of the training plugin's tests: the helper module on the path.

The models and worker functions the tests use live in ``training_models.py`` beside this file:
spawned training processes import them by name, so the folder goes on ``sys.path`` (spawned
workers inherit it) and, for tests that run the command in a subprocess, on ``PYTHONPATH``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def models_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``training_models`` importable in subprocesses too."""
    paths = [str(HERE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.fixture
def new_children() -> Callable[[], list[multiprocessing.process.BaseProcess]]:
    """The child processes alive now that were not before the test: what a test asserts is
    empty after a failed run. Other plugins' pools (labeling keeps its worker processes for
    the life of the process) were started before and are not the training run's."""
    before = set(multiprocessing.active_children())
    return lambda: [p for p in multiprocessing.active_children() if p not in before]
