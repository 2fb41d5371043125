"""Profiling and validation on Spark (``datacheck-ml[spark]``): the generators per partition.

Each partition's Arrow batches (``mapInArrow``) run through the same
:class:`~datacheck.stats.ProfileGenerator` that :func:`datacheck.generate_statistics` runs in
memory; the accumulators travel as bytes and merge in a tree (``treeReduce``), so the data
never passes through the driver::

    from datacheck.spark import profile_spark, spark_session

    with spark_session() as spark:  # local[*]; or spark_session("spark://host:7077")
        profile = profile_spark(spark.read.parquet("s3a://bucket/data/"))

Unique keys are found across partitions as Spark operations (a window over the keys), and
:func:`detect_feature_skew_spark` is :func:`datacheck.validate.detect_feature_skew` as Spark
joins and aggregations.

Importing this package without PySpark raises :class:`~datacheck.errors.MissingExtraError`
naming ``pip install 'datacheck-ml[spark]'``.
"""

from __future__ import annotations

from datacheck.spark import _extra  # noqa: F401  # first: fails without PySpark
from datacheck.spark._run import (
    SparkValidation,
    check_dataset_on_spark,
    profile_spark,
    read_spark,
    spark_session,
    validate_spark,
)
from datacheck.spark._skew import detect_feature_skew_spark

__all__ = [
    "SparkValidation",
    "check_dataset_on_spark",
    "detect_feature_skew_spark",
    "profile_spark",
    "read_spark",
    "spark_session",
    "validate_spark",
]
