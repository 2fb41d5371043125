"""``--engine local|beam|spark|dask`` with ``--spark-master`` and ``--dask-address``.

``stats``, ``infer`` and ``validate`` get these through :func:`add_engine_arguments` (called by
``add_runner_arguments``). ``--engine beam`` is ``--runner DirectRunner`` unless a runner is
given; ``spark`` and ``dask`` run on the named cluster, or on a local one (2 workers) that
datacheck starts and stops around the command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from datacheck.errors import OptionError
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, as_profile
from datacheck.validate import CheckedBatch, DatasetCheck

__all__ = [
    "ENGINES",
    "add_engine_arguments",
    "check_on_engine",
    "engine_of",
    "profile_on_engine",
    "runs_on_beam",
]

#: what ``--engine`` accepts
ENGINES = ("local", "beam", "spark", "dask")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--spark-master`` and ``--dask-address`` to a command."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where to run: local (in memory, the default), beam (see --runner), spark "
        "(pip install 'datacheck-ml[spark]') or dask (pip install 'datacheck-ml[dask]')",
    )
    parser.add_argument(
        "--spark-master",
        metavar="URL",
        help="the Spark master for --engine spark (default: a local Spark on 2 cores)",
    )
    parser.add_argument(
        "--dask-address",
        metavar="ADDRESS",
        help="the Dask scheduler for --engine dask (default: a LocalCluster of 2 workers)",
    )


def runs_on_beam(args: argparse.Namespace) -> bool:
    """Whether the arguments run on Beam: ``--runner``, or ``--engine beam`` (whose Beam
    options after a bare ``--`` are as welcome as with ``--runner``)."""
    return getattr(args, "runner", None) is not None or getattr(args, "engine", None) == "beam"


def engine_of(args: argparse.Namespace) -> str:
    """The engine the arguments ask for (``beam`` when only ``--runner`` is given).

    Raises:
        OptionError: ``--spark-master`` or ``--dask-address`` without its engine, or a
            ``--runner`` with an engine other than beam.
    """
    engine = getattr(args, "engine", None)
    runner = getattr(args, "runner", None)
    if engine is None:
        engine = "beam" if runner is not None else "local"
    if runner is not None and engine != "beam":
        raise OptionError("a Beam runner needs the beam engine", parameter="engine", value=engine)
    if getattr(args, "spark_master", None) is not None and engine != "spark":
        raise OptionError("a Spark master needs the spark engine", parameter="engine", value=engine)
    if getattr(args, "dask_address", None) is not None and engine != "dask":
        raise OptionError("a Dask address needs the dask engine", parameter="engine", value=engine)
    if engine == "beam" and runner is None:
        args.runner = "DirectRunner"
    return engine


def profile_on_engine(
    args: argparse.Namespace, source: object, options: StatsOptions | None
) -> DatasetProfile:
    """The profile a ``DATA|PROFILE`` argument names, data profiled on Spark or Dask."""
    engine = engine_of(args)
    if engine == "dask":
        from datacheck.dask import dask_client, profile_dask

        with dask_client(args.dask_address):
            return as_profile(source, options, generate=profile_dask)
    if engine == "spark":
        from datacheck.spark import profile_spark, read_spark, spark_session

        with spark_session(args.spark_master) as spark:

            def on_spark(data: object, opts: StatsOptions | None) -> DatasetProfile:
                reader = opts.reader if opts is not None else None
                return profile_spark(read_spark(spark, data, reader), opts)

            return as_profile(source, options, generate=on_spark)
    raise OptionError("not a cluster engine", parameter="engine", value=engine)


def check_on_engine(
    args: argparse.Namespace,
    schema: Schema,
    stats_options: StatsOptions,
    on_quarantine: Callable[[CheckedBatch], None] | None,
    on_valid: Callable[[pa.RecordBatch], None] | None,
) -> DatasetCheck:
    """``validate``'s use case on Spark or Dask."""
    engine = engine_of(args)
    common: dict[str, Any] = {
        "baseline": args.baseline,
        "serving": args.serving,
        "environment": args.environment,
        "on_quarantine": on_quarantine,
        "on_valid": on_valid,
        "strict_columns": args.strict_columns,
        "stats_options": stats_options,
    }
    if engine == "dask":
        from datacheck.dask import check_dataset_on_dask, dask_client

        with dask_client(args.dask_address):
            return check_dataset_on_dask(args.data, schema, **common)
    from datacheck.spark import check_dataset_on_spark, read_spark, spark_session

    with spark_session(args.spark_master) as spark:
        reader = stats_options.reader
        for side in ("baseline", "serving"):
            value = common[side]
            if value is not None and not str(value).lower().endswith(".json"):
                common[side] = read_spark(spark, value, reader)
        return check_dataset_on_spark(read_spark(spark, args.data, reader), schema, **common)
