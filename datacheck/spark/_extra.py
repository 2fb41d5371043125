"""The check that PySpark is installed, run first in ``datacheck.spark``."""

from __future__ import annotations

from datacheck.errors import MissingExtraError

__all__: list[str] = []

try:
    import pyspark  # noqa: F401  # imported only to tell whether the extra is installed
except ImportError:
    raise MissingExtraError("pyspark", "spark") from None
