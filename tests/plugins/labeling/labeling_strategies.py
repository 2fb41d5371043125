"""Hypothesis strategies of the labeling tests: label matrices and their batch splits."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def vote_matrices(
    draw: st.DrawFn, *, min_lfs: int = 1, max_lfs: int = 6, max_rows: int = 60
) -> tuple[np.ndarray, int]:
    """An ``(n, m)`` int16 vote matrix (-1 abstain) and its cardinality."""
    k = draw(st.integers(2, 4))
    m = draw(st.integers(min_lfs, max_lfs))
    n = draw(st.integers(1, max_rows))
    votes = draw(hnp.arrays(np.int16, (n, m), elements=st.integers(-1, k - 1)))
    return votes, k


@st.composite
def cuts(draw: st.DrawFn, rows: int) -> list[int]:
    """Sorted cut points splitting ``rows`` rows into batches (possibly empty ones)."""
    points = draw(st.lists(st.integers(0, rows), max_size=4))
    return sorted(points)


def split(votes: np.ndarray, points: list[int]) -> list[np.ndarray]:
    """``votes`` cut at ``points``."""
    return np.split(votes, points)
