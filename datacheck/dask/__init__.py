"""Profiling and validation on Dask (``datacheck-ml[dask]``): the generators on each partition.

Every partition's Arrow batches run through the same :class:`~datacheck.stats.ProfileGenerator`
that :func:`datacheck.generate_statistics` runs in memory; only the accumulators (sketches,
small and bounded) travel, merged pairwise in a tree on the workers, so the profile equals the
in-memory one::

    import dask.dataframe as dd
    from datacheck.dask import dask_client, profile_dask

    with dask_client() as client:  # a LocalCluster, or dask_client("tcp://scheduler:8786")
        profile = profile_dask(dd.read_parquet("s3://bucket/data/"))

Files given as paths are read on the workers, one task per file, with datacheck's own reader
(the CSV dialect, nulls and source row numbers as in memory), so the data never passes through
the client. Importing this package without Dask raises
:class:`~datacheck.errors.MissingExtraError` naming ``pip install 'datacheck-ml[dask]'``.
"""

from __future__ import annotations

from datacheck.dask import _extra  # noqa: F401  # first: fails without Dask
from datacheck.dask._run import (
    DaskValidation,
    check_dataset_on_dask,
    dask_client,
    profile_dask,
    validate_dask,
)

__all__ = [
    "DaskValidation",
    "check_dataset_on_dask",
    "dask_client",
    "profile_dask",
    "validate_dask",
]
