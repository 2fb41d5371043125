"""Synthetic label matrices with known LF accuracies: for tests, benchmarks and trying things out.

Each LF votes on a row with its coverage; when it votes it is right with its accuracy and
otherwise votes one of the other classes uniformly. A *family* is one noisy source copied into
several LFs (they vote identically), the case that breaks conditionally independent models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["SyntheticVotes", "synthetic_votes"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SyntheticVotes:
    """A synthetic label matrix, its true labels and the LFs' true parameters."""

    #: ``(n, m)`` votes, -1 abstain; independent LFs first, then each family's copies
    votes: npt.NDArray[np.int16]
    #: ``(n,)`` true classes
    y: npt.NDArray[np.int64]
    #: per column: the probability it votes
    coverages: npt.NDArray[np.float64]
    #: per column: the probability a vote is right
    accuracies: npt.NDArray[np.float64]
    #: the column indices of each family (copies of one source)
    families: tuple[tuple[int, ...], ...]


def _source(
    rng: np.random.Generator,
    y: npt.NDArray[np.int64],
    k: int,
    coverage: float,
    accuracy: float,
) -> npt.NDArray[np.int16]:
    n = len(y)
    votes = np.full(n, -1, dtype=np.int16)
    voting = rng.random(n) < coverage
    right = rng.random(n) < accuracy
    wrong = (y + rng.integers(1, k, n)) % k
    votes[voting] = np.where(right, y, wrong)[voting]
    return votes


def synthetic_votes(
    n: int,
    *,
    cardinality: int = 2,
    num_lfs: int = 10,
    coverage: tuple[float, float] = (0.1, 0.8),
    accuracy: tuple[float, float] = (0.55, 0.95),
    class_balance: Sequence[float] | None = None,
    families: Sequence[tuple[int, float, float]] = (),
    seed: int = 0,
) -> SyntheticVotes:
    """A label matrix of independent LFs (and copied families) with known parameters.

    Args:
        n: Rows.
        cardinality: Classes.
        num_lfs: Independent LFs; each one's coverage and accuracy are drawn uniformly from
            the ranges.
        coverage: The range of coverages.
        accuracy: The range of accuracies.
        class_balance: P(class); uniform by default.
        families: ``(copies, coverage, accuracy)`` per family: one source with that coverage
            and accuracy, copied into that many identical LFs.
        seed: The random seed.
    """
    rng = np.random.default_rng(seed)
    k = cardinality
    balance = np.full(k, 1.0 / k) if class_balance is None else np.asarray(class_balance)
    y = rng.choice(k, size=n, p=balance).astype(np.int64)
    coverages = rng.uniform(*coverage, num_lfs)
    accuracies = rng.uniform(*accuracy, num_lfs)
    columns = [_source(rng, y, k, c, a) for c, a in zip(coverages, accuracies, strict=True)]
    groups = []
    all_coverages, all_accuracies = list(coverages), list(accuracies)
    for copies, family_coverage, family_accuracy in families:
        source = _source(rng, y, k, family_coverage, family_accuracy)
        groups.append(tuple(range(len(columns), len(columns) + copies)))
        columns += [source.copy() for _ in range(copies)]
        all_coverages += [family_coverage] * copies
        all_accuracies += [family_accuracy] * copies
    return SyntheticVotes(
        votes=np.column_stack(columns).astype(np.int16),
        y=y,
        coverages=np.asarray(all_coverages),
        accuracies=np.asarray(all_accuracies),
        families=tuple(groups),
    )
