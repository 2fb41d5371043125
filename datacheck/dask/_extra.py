"""The check that Dask (with dask.distributed) is installed, run first in ``datacheck.dask``."""

from __future__ import annotations

from datacheck.errors import MissingExtraError

__all__: list[str] = []

try:
    import dask.dataframe  # noqa: F401  # imported only to tell whether the extra is installed
    import distributed  # noqa: F401
except ImportError:
    raise MissingExtraError("dask", "dask") from None
