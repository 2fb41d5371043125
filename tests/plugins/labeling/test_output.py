"""Label columns, dropping unlabeled rows, and LF votes profiled and validated by the core."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datacheck import generate_statistics, infer_schema, validate_statistics
from datacheck.validate import AnomalyCode
from datacheck_labeling import (
    LabelModel,
    MajorityVote,
    filter_unlabeled,
    label_batch,
    synthetic_votes,
    votes_as_features,
)

VOTES = np.array([[0, 0, -1], [-1, -1, -1], [1, 1, 1], [0, 1, -1]])
NAMES = ["a", "b", "c"]


def _batch(votes: np.ndarray) -> pa.RecordBatch:
    return pa.record_batch({n: votes[:, j].astype(np.int8) for j, n in enumerate(NAMES)})


def test_uncovered_rows_and_ties_have_a_null_label() -> None:
    out = label_batch(MajorityVote(2), _batch(VOTES), NAMES)
    assert out.column("label").to_pylist() == [0, None, 1, None]
    assert out.schema.field("label_proba").type == pa.list_(pa.float32())
    probs = out.column("label_proba").to_pylist()
    assert probs[1] is None and probs[3] == [0.5, 0.5] and len(probs[0]) == 2


def test_filter_unlabeled_keeps_the_labeled_rows_in_order() -> None:
    data = pa.table({"id": [1, 2, 3, 4]})
    labels = label_batch(MajorityVote(2), _batch(VOTES), NAMES)
    joined = pa.Table.from_batches(
        [
            pa.record_batch(
                {"id": [1, 2, 3, 4], **dict(zip(labels.schema.names, labels.columns, strict=True))}
            )
        ]
    )
    assert filter_unlabeled(joined).column("id").to_pylist() == [1, 3]
    assert data.num_rows == 4


def test_a_label_model_labels_batches_as_it_predicts() -> None:
    data = synthetic_votes(2_000, num_lfs=4, seed=9)
    model = LabelModel(2).fit(data.votes, names=["w", "x", "y", "z"])
    batch = pa.record_batch({n: data.votes[:, j] for j, n in enumerate("wxyz")})
    out = label_batch(model, batch, list("wxyz"))
    preds = model.predict(data.votes, names=list("wxyz"))
    assert out.column("label").to_pylist() == [None if p < 0 else int(p) for p in preds]


def test_votes_are_categorical_features_with_abstain_missing() -> None:
    table = votes_as_features(VOTES, NAMES, class_names=["ham", "spam"])
    assert table.column("a").to_pylist() == ["ham", None, "spam", "ham"]
    assert table.schema.field("a").type == pa.string()


def _lf_table(coverage: float, share_one: float, classes: tuple[str, str], seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    votes = np.where(rng.random(5_000) < share_one, 1, 0)
    votes[rng.random(5_000) > coverage] = -1
    return votes_as_features(votes[:, None], ["lf"], class_names=list(classes))


def _codes(table: pa.Table) -> set[AnomalyCode]:
    baseline = generate_statistics(_lf_table(0.6, 0.3, ("0", "1"), 0))
    schema = infer_schema(baseline)
    report = validate_statistics(generate_statistics(table), schema, baseline=baseline)
    return {a.code for a in report.anomalies}


def test_the_core_validates_lf_votes_between_runs() -> None:
    assert _codes(_lf_table(0.6, 0.3, ("0", "1"), 1)) == set()
    assert AnomalyCode.FEATURE_TYPE_LOW_FRACTION_PRESENT in _codes(
        _lf_table(0.3, 0.3, ("0", "1"), 1)
    )
    assert AnomalyCode.COMPARATOR_L_INFTY_HIGH in _codes(_lf_table(0.6, 0.7, ("0", "1"), 1))
    assert AnomalyCode.ENUM_TYPE_UNEXPECTED_STRING_VALUES in _codes(
        _lf_table(0.6, 0.3, ("0", "2"), 1)
    )
