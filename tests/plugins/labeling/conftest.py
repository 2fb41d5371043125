"""Shared set-up of the labeling plugin's tests: the LF module on the path, small tables.

The LFs the tests use live in ``labeling_lfs.py`` beside this file, imported by that name:
worker processes (the row-wise pool, Beam's multi-process runner, the command in a
subprocess) import LFs by reference, so their module must be importable there too. Its
folder goes on ``sys.path`` (spawned workers inherit it) and, for tests that start other
processes, on ``PYTHONPATH`` (the ``lfs_importable`` fixture).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# after the path is set: the tables live beside the LFs, under a name no other conftest has
from labeling_lfs import make_table  # noqa: E402


@pytest.fixture
def lfs_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``labeling_lfs`` importable in subprocesses too (Beam's worker processes)."""
    paths = [str(HERE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.fixture
def table() -> pa.Table:
    return make_table()
