"""Labeling functions the tests import by reference (worker processes import them too).

``CANCER_LFS`` label scikit-learn's bundled breast cancer data (Wisconsin, 569 rows; class 0
malignant, 1 benign) from the usual signs of malignancy: large, irregular, dense nuclei. Each
LF votes malignant above a round threshold near the feature's 75th percentile and benign below
one near its 25th percentile, abstaining in between; the thresholds come from the features'
quartiles alone, never from the labels. Size is measured three ways (radius, perimeter,
area), so three LFs vote on nearly the same signal: a dependent family, as real LFs often are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck_labeling import ABSTAIN, LabelingFunction, labeling_function

MALIGNANT, BENIGN = 0, 1


def _threshold_lf(column: str, high: float, low: float) -> LabelingFunction:
    def vote(batch: pa.RecordBatch) -> Any:
        values = batch.column(column).to_numpy(zero_copy_only=False)
        return np.where(values > high, MALIGNANT, np.where(values < low, BENIGN, ABSTAIN))

    name = column.replace(" ", "_")
    vote.__qualname__ = vote.__name__ = name
    return labeling_function(name=name, vectorized=True)(vote)


CANCER_LFS = [
    _threshold_lf("mean radius", 16.0, 12.0),
    _threshold_lf("worst perimeter", 125.0, 85.0),
    _threshold_lf("worst area", 1100.0, 500.0),
    _threshold_lf("mean concave points", 0.075, 0.02),
    _threshold_lf("worst concavity", 0.38, 0.11),
    _threshold_lf("mean texture", 22.0, 16.0),
    _threshold_lf("mean compactness", 0.13, 0.065),
    _threshold_lf("mean smoothness", 0.105, 0.086),
    _threshold_lf("worst symmetry", 0.32, 0.25),
]


# Small row-wise and vectorized LFs over the table {"x": int, "text": str} of the tests.


@labeling_function()
def positive_x(row: dict[str, Any]) -> int:
    return 1 if row["x"] > 0 else ABSTAIN


@labeling_function()
def even_x(row: dict[str, Any]) -> int:
    return 0 if row["x"] % 2 == 0 else ABSTAIN


@labeling_function(vectorized=True)
def has_spam(batch: pa.RecordBatch) -> Any:
    return pc.if_else(pc.match_substring(batch.column("text"), "spam"), 1, ABSTAIN)


@labeling_function(name="long_text", resources={"limit": 8})
def long_text(row: dict[str, Any], limit: int) -> int:
    return 0 if len(row["text"]) > limit else ABSTAIN


@labeling_function()
def fails_on_seven(row: dict[str, Any]) -> int:
    if row["x"] == 7:
        raise ZeroDivisionError("seven")
    return ABSTAIN


@labeling_function()
def votes_five(row: dict[str, Any]) -> int:
    return 5 if row["x"] == 3 else ABSTAIN


@labeling_function()
def returns_text(row: dict[str, Any]) -> Any:
    return "yes"


TABLE_LFS = [positive_x, even_x, has_spam, long_text]
NOT_CALLABLE = [positive_x, 42]


def make_table(rows: int = 200) -> pa.Table:
    """``x`` from -rows/2 up, and ``text`` holding 'spam' on every third row."""
    return pa.table(
        {
            "x": np.arange(-(rows // 2), rows - rows // 2),
            "text": [("spam " if i % 3 == 0 else "") + "x" * (i % 13) for i in range(rows)],
        }
    )
