"""Hypothesis strategies from a schema, for property-based tests of data pipelines.

- :func:`from_schema`: records, tables, record batches and data frames that satisfy a schema;
- :func:`violating`: data that breaks exactly one constraint of a schema, with the anomaly
  code and feature it must produce;
- :func:`schemas`: valid, satisfiable :class:`~datacheck.schema.Schema` objects;
- :func:`assert_generator_consistent`: the law every statistics generator obeys (one output
  however batches are grouped, merged, compacted or pickled), for plugins' generators too.

Everything is drawn by construction (no filtering), so hypothesis' health checks pass and
failing examples shrink to a few rows of simple values. Needs hypothesis:
``pip install 'datacheck-ml[testing]'``.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  # checked here so the error names the extra
except ImportError as exc:  # pragma: no cover - depends on the environment
    from datacheck.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "testing") from exc

from datacheck.testing._consistency import assert_generator_consistent, assert_profiles_equivalent
from datacheck.testing._from_schema import SchemaStrategies, from_schema
from datacheck.testing._schemas import schemas
from datacheck.testing._violating import Violation, violating

__all__ = [
    "SchemaStrategies",
    "Violation",
    "assert_generator_consistent",
    "assert_profiles_equivalent",
    "from_schema",
    "schemas",
    "violating",
]
