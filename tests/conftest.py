"""Shared test set-up: hypothesis profiles, and the ``beam`` marker.

Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default: dev):

- ``ci``: bounded examples so CI stays fast and deterministic (``.ci/run`` uses it);
- ``dev``: hypothesis' defaults;
- ``thorough``: many examples, for hunting bugs (``make test-thorough``).

Tests marked ``beam`` need Apache Beam, an extra: where it is not installed they are skipped,
and ``-m "not beam"`` leaves them out anywhere. Every test in ``tests/unit/beam/`` is marked
here; elsewhere a test needing Beam carries ``@pytest.mark.beam``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: why a test marked ``beam`` is skipped (``tests/unit/beam/conftest.py`` says it again)
NEEDS_BEAM = "needs pip install 'datacheck[beam]'"

#: the tests of ``datacheck.beam``: all of them need Beam
BEAM_TESTS = Path(__file__).parent / "unit" / "beam"

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.differing_executors],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``beam`` the tests of ``tests/unit/beam/``; skip those marked where Beam is missing."""
    has_beam = importlib.util.find_spec("apache_beam") is not None
    for item in items:
        if item.path.is_relative_to(BEAM_TESTS):
            item.add_marker(pytest.mark.beam)
        if not has_beam and item.get_closest_marker("beam") is not None:
            item.add_marker(pytest.mark.skip(reason=NEEDS_BEAM))
