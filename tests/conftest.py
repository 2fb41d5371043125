"""Shared test set-up: hypothesis profiles, and the ``beam`` marker.

Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default: dev):

- ``ci``: bounded examples so CI stays fast and deterministic (``.ci/run`` uses it);
- ``dev``: hypothesis' defaults;
- ``thorough``: many examples, for hunting bugs (``make test-thorough``).

Tests marked ``beam`` need Apache Beam, an extra: where it is not installed they are skipped,
and ``-m "not beam"`` leaves them out anywhere. Every test in ``tests/unit/beam/`` is marked
here (where Beam is missing, those modules, which import it at their top, are skipped without
being imported); elsewhere a test needing Beam carries ``@pytest.mark.beam``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: why a test marked ``beam`` is skipped
NEEDS_BEAM = "needs pip install 'datacheck[beam]'"

#: the tests of ``datacheck.beam``: all of them need Beam
BEAM_TESTS = Path(__file__).parent / "unit" / "beam"

#: whether Apache Beam is installed (found, not imported: importing it takes seconds)
HAS_BEAM = importlib.util.find_spec("apache_beam") is not None

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.differing_executors],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


class _NeedsBeam(pytest.Module):
    """A test module of ``tests/unit/beam/`` where Beam is missing: skipped, never imported."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        raise pytest.skip.Exception(NEEDS_BEAM, allow_module_level=True)


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    """Where Beam is missing, the modules of ``tests/unit/beam/``: skipped, not imported."""
    if not HAS_BEAM and module_path.is_relative_to(BEAM_TESTS):
        return _NeedsBeam.from_parent(parent, path=module_path)
    return None  # pytest collects the module as usual


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``beam`` the tests of ``tests/unit/beam/``; skip those marked where Beam is missing."""
    for item in items:
        if item.path.is_relative_to(BEAM_TESTS):
            item.add_marker(pytest.mark.beam)
        if not HAS_BEAM and item.get_closest_marker("beam") is not None:
            item.add_marker(pytest.mark.skip(reason=NEEDS_BEAM))
