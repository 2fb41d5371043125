"""Real data: heuristic LFs over scikit-learn's bundled breast cancer data, gold held back.

569 rows, 9 LFs (see ``labeling_lfs.CANCER_LFS``); the gold labels are used only to score
(and, in the semi-supervised case, on 10% of rows). Accuracy is on the 550 rows some LF voted
on, ties broken by a seeded draw; the figures are deterministic and the README quotes them.
"""

from __future__ import annotations

import numpy as np
import pytest
from labeling_lfs import CANCER_LFS

from datacheck_labeling import LabelModel, MajorityVote, apply_lfs, lf_summary

sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def cancer() -> tuple[object, np.ndarray, np.ndarray]:
    frame = sklearn_datasets.load_breast_cancer(as_frame=True).frame
    y = frame.pop("target").to_numpy()
    votes = apply_lfs(frame, CANCER_LFS, cardinality=2, workers=1)
    return votes, votes.to_numpy(), y


def _accuracy(preds: np.ndarray, votes: np.ndarray, y: np.ndarray) -> float:
    covered = (votes != -1).any(axis=1)
    return float((preds[covered] == y[covered]).mean())


def test_label_model_majority_vote_and_gold(cancer: tuple[object, np.ndarray, np.ndarray]) -> None:
    votes, matrix, y = cancer

    def accuracy(labeler: LabelModel | MajorityVote) -> float:
        return round(_accuracy(labeler.predict(votes, tie_break_policy="random"), matrix, y), 3)

    mv = accuracy(MajorityVote(2))
    uniform = accuracy(LabelModel(2).fit(votes))
    prior = accuracy(LabelModel(2).fit(votes, class_balance=[0.37, 0.63]))
    gold = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    anchored = accuracy(LabelModel(2).fit(votes, gold))
    assert (mv, uniform, prior, anchored) == (0.895, 0.876, 0.895, 0.92)
    # The three size LFs (radius, perimeter, area) measure one thing: found as a family.
    assert ("mean_radius", "worst_perimeter", "worst_area") in LabelModel(2).fit(votes).groups


def test_learned_accuracies_track_the_empirical_ones(
    cancer: tuple[object, np.ndarray, np.ndarray],
) -> None:
    votes, _, y = cancer
    summary = lf_summary(votes, y, model=LabelModel(2).fit(votes))
    learned = np.array([s.learned_accuracy for s in summary.lfs])
    empirical = np.array([s.empirical_accuracy for s in summary.lfs])
    assert np.abs(learned - empirical).mean() < 0.06
    assert np.corrcoef(learned, empirical)[0, 1] > 0.8
