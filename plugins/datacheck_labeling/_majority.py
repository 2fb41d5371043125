"""Majority vote: the baseline every label model must beat, with Snorkel's tie semantics.

``predict_proba`` splits a row's probability evenly among its most-voted classes (Snorkel's
``MajorityLabelVoter``); ``predict`` gives -1 on a tie (``tie_break_policy="abstain"``) or
one of the tied classes drawn with a seeded generator (``"random"``), and -1 where no LF
voted, whatever the policy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from datacheck.errors import OptionError
from datacheck_labeling._matrix import vote_matrix
from datacheck_labeling._model import probs_to_preds, score_predictions

__all__ = ["MajorityVote"]


class MajorityVote:
    """The class most LFs voted, per row.

    Args:
        cardinality: The number of classes.
        seed: The seed of random tie-breaking.
    """

    def __init__(self, cardinality: int = 2, *, seed: int = 0) -> None:
        if not isinstance(cardinality, int) or isinstance(cardinality, bool) or cardinality < 2:
            raise OptionError(
                "needs at least 2 classes", parameter="cardinality", value=cardinality
            )
        self.cardinality = cardinality
        self.seed = seed

    def fit(self, votes: object, *args: object, **kwargs: object) -> MajorityVote:
        """Nothing to learn; returns ``self`` (so it stands in for a :class:`LabelModel`)."""
        return self

    def _counts(self, votes: object, names: Sequence[str] | None) -> npt.NDArray[np.float64]:
        matrix, _ = vote_matrix(votes, names, self.cardinality)
        counts = np.zeros((len(matrix), self.cardinality))
        for c in range(self.cardinality):
            counts[:, c] = (matrix == c).sum(axis=1)
        return counts

    def predict_proba(
        self, votes: object, *, names: Sequence[str] | None = None
    ) -> npt.NDArray[np.float64]:
        """``(n, k)``: 1 on the most-voted class, split evenly on ties; uniform where no LF
        voted."""
        counts = self._counts(votes, names)
        top = counts == counts.max(axis=1, keepdims=True)
        result: npt.NDArray[np.float64] = top / top.sum(axis=1, keepdims=True)
        return result

    def predict(
        self,
        votes: object,
        *,
        names: Sequence[str] | None = None,
        tie_break_policy: str = "abstain",
    ) -> npt.NDArray[np.int64]:
        """The most-voted class; -1 where no LF voted, and on ties with ``"abstain"``."""
        counts = self._counts(votes, names)
        top = counts == counts.max(axis=1, keepdims=True)
        probs = top / top.sum(axis=1, keepdims=True)
        return probs_to_preds(probs, counts.sum(axis=1) > 0, tie_break_policy, self.seed)

    def score(
        self, votes: object, y: npt.ArrayLike, *, tie_break_policy: str = "abstain"
    ) -> dict[str, float]:
        """As :meth:`LabelModel.score`."""
        return score_predictions(self.predict(votes, tie_break_policy=tie_break_policy), y)
