"""Feature skew on Spark: training and serving examples joined on keys, as Spark operations.

:func:`datacheck.validate.detect_feature_skew` (TFDV's ``DetectFeatureSkew``) joins two Arrow
tables in memory; :func:`detect_feature_skew_spark` gives the same :class:`SkewReport` for two
Spark DataFrames without bringing their rows to the driver::

    both  = train ⋈ serving on the keys (inner; null keys never join)
            └► one aggregation: pairs compared, distinct keys joined, and per feature the
               pairs that differ, have a value in training only, in serving only
    train ▷ serving (left anti join) ─► training rows whose key serving lacks; and the reverse
    each side grouped by the keys ─► rows whose key occurs more than once
    per feature that differs: up to ``max_examples`` keys of differing pairs (ordered by key)

Values compare as in memory: two nulls are equal, a null and a value differ, NaN equals NaN
(Spark's ``<=>``); an integer on one side and a float on the other compare as doubles. Columns
of other differing types are not compared value by value (``not_compared`` says why): Spark's
casts are not Arrow's, so none is tried. The examples are the smallest keys of differing pairs
(in memory: the first in the join's order), so the two may list different keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_type

from datacheck.errors import OptionError
from datacheck.spark._run import _run_job
from datacheck.validate import FeatureSkew, SkewReport

__all__ = ["detect_feature_skew_spark"]

_TRAIN, _SERVING = "__train", "__serving"
#: Spark types that meet as doubles when the two sides differ (the in-memory INT and FLOAT)
_AS_DOUBLE = (
    T.ByteType,
    T.ShortType,
    T.IntegerType,
    T.LongType,
    T.FloatType,
    T.DoubleType,
)


def _col(name: str) -> Any:
    return F.col("`" + name.replace("`", "``") + "`")


def _arrow_name(t: Any) -> str:
    try:
        return str(to_arrow_type(t))
    except (TypeError, ValueError):
        return t.simpleString()  # type: ignore[no-any-return]


def _check_keys(keys: list[str], train: Any, serving: Any) -> None:
    if not keys:
        raise OptionError("give at least one key column", parameter="keys", value=keys)
    for side, frame in (("training", train), ("serving", serving)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise OptionError(
                f"key column {missing[0]!r} is not in the {side} data (its columns: "
                f"{', '.join(frame.columns)}); pass a column both sides have",
                parameter="keys",
                value=keys,
                column=missing[0],
            )


def _duplicates(frame: Any, keys: list[str]) -> int:
    counts = frame.groupBy(*[_col(k) for k in keys]).count().filter(F.col("count") > 1)
    total = counts.agg(F.sum("count")).collect()[0][0]
    return int(total or 0)


def _only(frame: Any, other: Any, keys: list[str]) -> int:
    return int(frame.join(other.select(*keys).distinct(), on=keys, how="left_anti").count())


def detect_feature_skew_spark(
    train: Any, serving: Any, keys: Sequence[str], *, max_examples: int = 5
) -> SkewReport:
    """:func:`datacheck.validate.detect_feature_skew` on two Spark DataFrames.

    Args:
        train: The training examples (a ``pyspark.sql.DataFrame``).
        serving: The serving examples (logged requests) of the same entities.
        keys: Columns that identify an example on both sides.
        max_examples: Most example keys listed per feature.

    Raises:
        OptionError: No key given, or a key column missing on a side.
        DatacheckError: A Spark job failed.
    """
    keys = list(keys)
    _check_keys(keys, train, serving)
    train_types = {f.name: f.dataType for f in train.schema.fields}
    serving_types = {f.name: f.dataType for f in serving.schema.fields}
    train_cols = [c for c in train.columns if c not in keys]
    shared = [c for c in train_cols if c in serving_types]
    left = train.select(*[_col(k) for k in keys], *[_col(c).alias(c + _TRAIN) for c in shared])
    right = serving.select(*[_col(k) for k in keys], *[_col(c).alias(c + _SERVING) for c in shared])
    both = left.join(right, on=keys, how="inner").persist()
    try:
        plans: dict[str, Any] = {}  # feature -> its mismatch condition, or why not compared
        aggregates = [
            F.count(F.lit(1)).alias("compared"),
            F.count_distinct(*[_col(k) for k in keys]).alias("joined"),
        ]
        for i, name in enumerate(shared):
            a, b = _col(name + _TRAIN), _col(name + _SERVING)
            ta, tb = train_types[name], serving_types[name]
            if ta != tb and isinstance(ta, _AS_DOUBLE) and isinstance(tb, _AS_DOUBLE):
                a, b = a.cast("double"), b.cast("double")
            elif ta != tb:
                plans[name] = f"types differ: {_arrow_name(ta)} vs {_arrow_name(tb)}"
                continue
            if isinstance(ta, T.ArrayType | T.MapType | T.StructType):
                plans[name] = f"{_arrow_name(ta)} values are not compared"
                continue
            differs = ~a.eqNullSafe(b)
            plans[name] = differs
            aggregates += [
                F.sum(F.when(differs, 1).otherwise(0)).alias(f"m{i}"),
                F.sum(F.when(a.isNotNull() & b.isNull(), 1).otherwise(0)).alias(f"t{i}"),
                F.sum(F.when(a.isNull() & b.isNotNull(), 1).otherwise(0)).alias(f"s{i}"),
            ]

        def run() -> SkewReport:
            totals = both.agg(*aggregates).collect()[0].asDict()
            compared = int(totals["compared"])
            features = []
            for i, name in enumerate(shared):
                plan = plans[name]
                if isinstance(plan, str):
                    types_differ = plan.startswith("types differ")
                    features.append(
                        FeatureSkew(
                            feature=name,
                            compared=compared,
                            mismatches=compared if types_differ else 0,
                            train_only=0,
                            serving_only=0,
                            examples=(),
                            not_compared=plan,
                        )
                    )
                    continue
                mismatches = int(totals[f"m{i}"] or 0)
                examples: tuple[dict[str, Any], ...] = ()
                if mismatches and max_examples > 0:
                    found = (
                        both.filter(plan)
                        .select(*[_col(k) for k in keys])
                        .orderBy(*[_col(k) for k in keys])
                        .limit(max_examples)
                        .collect()
                    )
                    examples = tuple(row.asDict() for row in found)
                features.append(
                    FeatureSkew(
                        feature=name,
                        compared=compared,
                        mismatches=mismatches,
                        train_only=int(totals[f"t{i}"] or 0),
                        serving_only=int(totals[f"s{i}"] or 0),
                        examples=examples,
                    )
                )
            return SkewReport(
                keys=tuple(keys),
                train_rows=int(train.count()),
                serving_rows=int(serving.count()),
                joined=int(totals["joined"]) if compared else 0,
                train_only_keys=_only(train, serving, keys),
                serving_only_keys=_only(serving, train, keys),
                train_duplicate_keys=_duplicates(train, keys),
                serving_duplicate_keys=_duplicates(serving, keys),
                features=tuple(features),
                train_only_features=tuple(c for c in train_cols if c not in serving_types),
                serving_only_features=tuple(
                    c for c in serving.columns if c not in keys and c not in set(train_cols)
                ),
            )

        report: SkewReport = _run_job(run)
        return report
    finally:
        both.unpersist()
