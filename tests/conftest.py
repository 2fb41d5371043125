"""Shared test set-up: hypothesis profiles, and the ``beam`` marker.

Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default: dev):

- ``ci``: bounded examples so CI stays fast and deterministic (``.ci/run`` uses it);
- ``dev``: hypothesis' defaults;
- ``thorough``: more examples and fresh ones each run, for hunting bugs before a release
  (``make test-thorough``): :data:`THOROUGH_EXAMPLES` per test, :data:`COSTLY_EXAMPLES` for
  the tests marked ``costly``, so that the whole run fits in 10 minutes on the 2-core
  development machine.

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
NEEDS_BEAM = "needs pip install 'datacheck-ml[beam]'"

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
#: examples per property test under the thorough profile, and per test marked ``costly``
#: (a few tenths of a second per example: profiles of whole drawn tables, schema updates). With
#: 2,000 for every test the run took hours: it ran 8 of 38 tests in 390 s (issue 12); 150 and
#: 50 ran all 41 tests of tests/property in 6 min 7 s on the 2-core machine at a load average
#: of 6 (a uniform 100 took 7 min 45 s there).
THOROUGH_EXAMPLES, COSTLY_EXAMPLES = 150, 50

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "thorough", max_examples=THOROUGH_EXAMPLES, deadline=None, print_blob=True
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)


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
    """Mark ``beam`` the tests of ``tests/unit/beam/``; skip those marked where Beam is missing.
    Under the thorough profile, give the tests marked ``costly`` their smaller budget."""
    budgeted: set[int] = set()
    for item in items:
        if item.path.is_relative_to(BEAM_TESTS):
            item.add_marker(pytest.mark.beam)
        if not HAS_BEAM and item.get_closest_marker("beam") is not None:
            item.add_marker(pytest.mark.skip(reason=NEEDS_BEAM))
        if PROFILE == "thorough" and item.get_closest_marker("costly") is not None:
            test = getattr(item, "obj", None)
            # Once per function: its parametrized items share it, and settings apply once.
            if test is not None and id(test) not in budgeted:
                budgeted.add(id(test))
                settings(max_examples=COSTLY_EXAMPLES)(test)
