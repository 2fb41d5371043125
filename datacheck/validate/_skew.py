"""Feature skew on joined examples: the same example, seen in training and in serving.

Like TFDV's ``DetectFeatureSkew``: the two datasets are joined on key columns (a full outer
``Table.join``), and for each feature both sides share, the joined pairs are compared value by
value. Keys found on one side only, and keys that occur more than once on a side, are counted,
never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._format import fmt_names
from datacheck._types import FeatureType, scalar_feature_type
from datacheck.errors import OptionError

__all__ = ["FeatureSkew", "SkewReport", "detect_feature_skew"]

_LEFT = "__datacheck_train_row"
_RIGHT = "__datacheck_serving_row"
#: types that meet as float64 when the two sides differ. Not all of NUMBER_TYPES: a decimal
#: side goes through the cast to the other side's type below, which is exact or refused
_AS_FLOAT = frozenset({FeatureType.INT, FeatureType.FLOAT})


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureSkew:
    """How often one feature differs between the two sides of the same example."""

    feature: str
    #: joined examples compared (the key is on both sides)
    compared: int
    #: pairs whose values differ (a value on one side and none on the other counts)
    mismatches: int
    #: pairs with a value in training but none in serving
    train_only: int
    #: pairs with a value in serving but none in training
    serving_only: int
    #: a few keys of mismatching pairs, as {key column: value}
    examples: tuple[dict[str, Any], ...]
    #: why the feature could not be compared value by value (None when it was)
    not_compared: str | None = None

    @property
    def mismatch_rate(self) -> float:
        """mismatches / compared (0 when nothing was compared)."""
        return self.mismatches / self.compared if self.compared else 0.0

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "feature": self.feature,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "train_only": self.train_only,
            "serving_only": self.serving_only,
            "examples": [{k: _plain(v) for k, v in e.items()} for e in self.examples],
            "not_compared": self.not_compared,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SkewReport:
    """The outcome of :func:`detect_feature_skew`."""

    keys: tuple[str, ...]
    train_rows: int
    serving_rows: int
    #: distinct keys found on both sides
    joined: int
    #: rows whose key is only in training
    train_only_keys: int
    #: rows whose key is only in serving
    serving_only_keys: int
    #: rows whose key occurs more than once in training / in serving (compared pairwise)
    train_duplicate_keys: int
    serving_duplicate_keys: int
    features: tuple[FeatureSkew, ...]
    #: features present on one side only
    train_only_features: tuple[str, ...] = ()
    serving_only_features: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As a JSON document."""
        return {
            "keys": list(self.keys),
            "train_rows": self.train_rows,
            "serving_rows": self.serving_rows,
            "joined": self.joined,
            "train_only_keys": self.train_only_keys,
            "serving_only_keys": self.serving_only_keys,
            "train_duplicate_keys": self.train_duplicate_keys,
            "serving_duplicate_keys": self.serving_duplicate_keys,
            "features": [f.to_dict() for f in self.features],
            "train_only_features": list(self.train_only_features),
            "serving_only_features": list(self.serving_only_features),
        }


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _duplicates(table: pa.Table, keys: list[str]) -> int:
    counts = table.group_by(keys).aggregate([([], "count_all")])
    c = counts.column("count_all")
    return int(pc.sum(pc.if_else(pc.greater(c, 1), c, 0)).as_py() or 0)


def _comparable(t: pa.DataType) -> bool:
    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t))


def _compare(
    joined: pa.Table, name: str, left: str, right: str, keys: list[str], max_examples: int
) -> FeatureSkew:
    a, b = joined.column(left), joined.column(right)
    if a.type != b.type and {scalar_feature_type(a.type), scalar_feature_type(b.type)} <= _AS_FLOAT:
        # An int on one side and a float on the other compare as numbers.
        a, b = pc.cast(a, pa.float64()), pc.cast(b, pa.float64())
    if a.type != b.type:
        try:
            b = pc.cast(b, a.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return FeatureSkew(
                feature=name,
                compared=len(a),
                mismatches=len(a),
                train_only=0,
                serving_only=0,
                examples=(),
                not_compared=f"types differ: {a.type} vs {b.type}",
            )
    if not _comparable(a.type):
        return FeatureSkew(
            feature=name,
            compared=len(a),
            mismatches=0,
            train_only=0,
            serving_only=0,
            examples=(),
            not_compared=f"{a.type} values are not compared",
        )
    va = np.asarray(pc.is_valid(a).to_numpy(zero_copy_only=False), dtype=np.bool_)
    vb = np.asarray(pc.is_valid(b).to_numpy(zero_copy_only=False), dtype=np.bool_)
    equal = pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(a.type):
        # NaN on both sides is the same value, not a mismatch.
        both_nan = pc.fill_null(pc.and_(pc.is_nan(a), pc.is_nan(b)), False)
        equal = equal | both_nan.to_numpy(zero_copy_only=False)
    mismatch = (va & vb & ~np.asarray(equal, dtype=np.bool_)) | (va ^ vb)
    where = np.flatnonzero(mismatch)[:max_examples]
    examples = tuple(joined.select(keys).take(pa.array(where)).to_pylist())
    return FeatureSkew(
        feature=name,
        compared=len(a),
        mismatches=int(mismatch.sum()),
        train_only=int((va & ~vb).sum()),
        serving_only=int((vb & ~va).sum()),
        examples=examples,
    )


def detect_feature_skew(
    train: pa.Table, serving: pa.Table, keys: Sequence[str], *, max_examples: int = 5
) -> SkewReport:
    """Join training and serving examples on ``keys`` and count per-feature mismatches.

    Args:
        train: the training examples.
        serving: the serving examples (logged requests) of the same entities.
        keys: columns that identify an example on both sides.
        max_examples: most example keys listed per feature.

    Raises:
        OptionError: no key given, or a key column missing on a side.
    """
    keys = list(keys)
    if not keys:
        raise OptionError("give at least one key column", parameter="keys", value=keys)
    for side, table in (("training", train), ("serving", serving)):
        missing = [k for k in keys if k not in table.column_names]
        if missing:
            raise OptionError(
                f"key column {missing[0]!r} is not in the {side} data (its columns: "
                f"{fmt_names(table.column_names)}); pass a column both sides have",
                parameter="keys",
                value=keys,
                column=missing[0],
            )
    # Null keys never join; they count as keys on one side only, which is what they are.
    left = train.append_column(_LEFT, pa.array(np.arange(train.num_rows)))
    right = serving.append_column(_RIGHT, pa.array(np.arange(serving.num_rows)))
    joined = left.join(
        right,
        keys=keys,
        join_type="full outer",
        left_suffix="__train",
        right_suffix="__serving",
        coalesce_keys=True,
    )
    in_train = pc.is_valid(joined.column(_LEFT))
    in_serving = pc.is_valid(joined.column(_RIGHT))
    both = joined.filter(pc.and_(in_train, in_serving))
    train_cols = [c for c in train.column_names if c not in keys]
    serving_cols = set(serving.column_names) - set(keys)
    features = []
    for name in train_cols:
        if name not in serving_cols:
            continue
        features.append(
            _compare(both, name, f"{name}__train", f"{name}__serving", keys, max_examples)
        )
    distinct = both.group_by(keys).aggregate([]).num_rows if both.num_rows else 0
    return SkewReport(
        keys=tuple(keys),
        train_rows=train.num_rows,
        serving_rows=serving.num_rows,
        joined=distinct,
        train_only_keys=int(pc.sum(pc.invert(in_serving)).as_py() or 0),
        serving_only_keys=int(pc.sum(pc.invert(in_train)).as_py() or 0),
        train_duplicate_keys=_duplicates(train, keys),
        serving_duplicate_keys=_duplicates(serving, keys),
        features=tuple(features),
        train_only_features=tuple(c for c in train_cols if c not in serving_cols),
        serving_only_features=tuple(
            c for c in serving.column_names if c not in keys and c not in set(train_cols)
        ),
    )
