"""Shared test set-up: hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default: dev).

- ``ci``: bounded examples so CI stays fast and deterministic (``.ci/run`` uses it);
- ``dev``: hypothesis' defaults;
- ``thorough``: many examples, for hunting bugs (``make test-thorough``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.differing_executors],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
