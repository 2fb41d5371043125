"""Labels as Arrow columns, LF votes as profilable features, and dropping unlabeled rows.

The output of a label model is two columns per row: ``label`` (int16, the class; null where
no LF voted or the model abstained on a tie) and ``label_proba`` (``list<float32>`` of length
k; null where no LF voted). A row no LF covered is marked by those nulls, never silently given
the prior's favourite class.

:func:`votes_as_features` turns vote columns into categorical features, abstain as missing,
so the core profiles them like any column: ``datacheck infer`` gives each LF a class domain
and a presence (its coverage), and ``datacheck validate --baseline`` reports an LF whose
coverage dropped (``FEATURE_TYPE_LOW_FRACTION_PRESENT``, ``COMPARATOR_MISSING_DRIFT_HIGH``),
whose votes moved between classes (``COMPARATOR_L_INFTY_HIGH``) or that votes a class it never
voted before (``ENUM_TYPE_UNEXPECTED_STRING_VALUES``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck.errors import OptionError
from datacheck_labeling._matrix import vote_matrix

__all__ = [
    "LABEL_COLUMN",
    "PROBA_COLUMN",
    "Labeler",
    "filter_unlabeled",
    "label_batch",
    "votes_as_features",
]

#: the hard label column: int16, null where the row got no label
LABEL_COLUMN = "label"
#: the probabilistic label column: list<float32> of length k, null where no LF voted
PROBA_COLUMN = "label_proba"


class Labeler(Protocol):
    """What turns votes into labels: a :class:`LabelModel` or :class:`MajorityVote`."""

    cardinality: int

    def predict_proba(self, votes: object, *, names: Sequence[str] | None = None) -> Any: ...

    def predict(
        self,
        votes: object,
        *,
        names: Sequence[str] | None = None,
        tie_break_policy: str = "abstain",
    ) -> Any: ...


def label_batch(
    labeler: Labeler,
    votes: pa.RecordBatch,
    names: Sequence[str],
    *,
    tie_break_policy: str = "abstain",
    label_column: str = LABEL_COLUMN,
    proba_column: str = PROBA_COLUMN,
) -> pa.RecordBatch:
    """The label and probability columns of one vote batch (same rows, same order)."""
    matrix, _ = vote_matrix(votes, names, labeler.cardinality)
    probs = np.asarray(labeler.predict_proba(matrix, names=names), dtype=np.float32)
    preds = np.asarray(labeler.predict(matrix, names=names, tie_break_policy=tie_break_policy))
    covered = (matrix != -1).any(axis=1)
    k = labeler.cardinality
    values = pa.array(probs.reshape(-1), pa.float32())
    offsets = pa.array(np.arange(0, (len(matrix) + 1) * k, k, dtype=np.int32))
    proba = pa.ListArray.from_arrays(offsets, values, mask=pa.array(~covered))
    label = pa.array(preds.astype(np.int16), mask=preds < 0)
    return pa.RecordBatch.from_arrays([label, proba], names=[label_column, proba_column])


def votes_as_features(
    votes: object,
    names: Sequence[str] | None = None,
    *,
    class_names: Sequence[str] | None = None,
) -> pa.Table:
    """Vote columns as categorical features: the class's name, null where the LF abstained.

    Args:
        votes: A :class:`LabelMatrix`, a table of vote columns, or an ``(n, m)`` array.
        names: Which columns (or an array's names).
        class_names: The name of each class; ``"0"``, ``"1"``, ... by default.
    """
    matrix, labels = vote_matrix(votes, names)
    high = int(matrix.max(initial=-1))
    classes = list(class_names) if class_names is not None else [str(c) for c in range(high + 1)]
    if high >= len(classes):
        raise OptionError(
            f"{len(classes)} class names for votes up to class {high}",
            parameter="class_names",
            value=list(classes),
        )
    dictionary = pa.array(classes, pa.string())
    columns = []
    for j in range(len(labels)):
        column = matrix[:, j]
        indices = pa.array(np.maximum(column, 0).astype(np.int32), mask=column < 0)
        columns.append(pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string()))
    return pa.Table.from_arrays(columns, names=list(labels))


def filter_unlabeled(data: pa.Table | pa.RecordBatch, label_column: str = LABEL_COLUMN) -> Any:
    """The rows of ``data`` that got a label (``label_column`` not null), in order.

    Raises:
        OptionError: ``data`` has no such column.
    """
    if label_column not in data.schema.names:
        raise OptionError(
            f"no such column; the columns are: {', '.join(data.schema.names)}",
            parameter="label_column",
            value=label_column,
        )
    return data.filter(pc.is_valid(data.column(label_column)))
