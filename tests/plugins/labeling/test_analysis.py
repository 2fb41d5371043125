"""lf_summary: Snorkel's LFAnalysis numbers, as a generator that merges across batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from labeling_strategies import cuts, split, vote_matrices

from datacheck.testing import assert_generator_consistent
from datacheck_labeling import LFAnalysisGenerator, LFSummary, lf_summary

# The matrix of the examples in snorkel.labeling.LFAnalysis' docstrings (0.10.0).
SNORKEL_L = np.array([[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]])


def test_the_snorkel_docstring_example() -> None:
    summary = lf_summary(SNORKEL_L)
    assert [s.polarity for s in summary.lfs] == [(0, 1), (0,), (0,)]
    assert [s.coverage for s in summary.lfs] == [0.4, 0.8, 0.4]
    assert [s.overlaps for s in summary.lfs] == [0.4, 0.6, 0.4]
    assert [s.conflicts for s in summary.lfs] == [0.2, 0.2, 0.0]
    assert (summary.label_coverage, summary.label_overlap, summary.label_conflict) == (
        0.8,
        0.6,
        0.2,
    )


def test_gold_labels_give_correct_incorrect_and_empirical_accuracy() -> None:
    summary = lf_summary(SNORKEL_L, y=np.array([0, 1, 1, 0, 0]))
    assert [(s.correct, s.incorrect) for s in summary.lfs] == [(2, 0), (3, 1), (2, 0)]
    assert [s.empirical_accuracy for s in summary.lfs] == [1.0, 0.75, 1.0]


def test_rows_without_a_gold_label_are_left_out() -> None:
    summary = lf_summary(SNORKEL_L, y=[0, None, -1, 0, 0])
    assert [(s.correct, s.incorrect) for s in summary.lfs] == [(1, 0), (3, 0), (2, 0)]
    assert summary.gold_rows == 3


def test_an_lf_that_never_voted_on_a_gold_row_has_no_accuracy() -> None:
    summary = lf_summary(np.array([[0, -1], [1, -1]]), y=[0, 1])
    assert summary.lfs[1].empirical_accuracy is None


def _by_formula(votes: np.ndarray, y: np.ndarray | None) -> dict[str, list[float]]:
    """The summary's numbers by Snorkel's own formulas, one LF at a time (no shared code)."""
    n, m = votes.shape
    out: dict[str, list[float]] = {"coverage": [], "overlaps": [], "conflicts": [], "acc": []}
    for j in range(m):
        mine = votes[:, j] != -1
        others = [{int(v) for v in row[np.arange(m) != j] if v != -1} for row in votes]
        out["coverage"].append(mine.sum() / n)
        out["overlaps"].append(sum(1 for i in range(n) if mine[i] and others[i]) / n)
        out["conflicts"].append(
            sum(1 for i in range(n) if mine[i] and (others[i] - {int(votes[i, j])})) / n
        )
        if y is not None:
            right = (votes[:, j] == y) & mine
            out["acc"].append(right.sum() / mine.sum() if mine.sum() else float("nan"))
    return out


@given(vote_matrices(), st.data())
def test_random_matrices_match_the_formulas(
    drawn: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    votes, k = drawn
    y = np.array(
        data.draw(st.lists(st.integers(0, k - 1), min_size=len(votes), max_size=len(votes)))
    )
    summary = lf_summary(votes, y)
    expected = _by_formula(votes, y)
    assert [s.coverage for s in summary.lfs] == pytest.approx(expected["coverage"])
    assert [s.overlaps for s in summary.lfs] == pytest.approx(expected["overlaps"])
    assert [s.conflicts for s in summary.lfs] == pytest.approx(expected["conflicts"])
    accs = [np.nan if s.empirical_accuracy is None else s.empirical_accuracy for s in summary.lfs]
    assert np.allclose(accs, expected["acc"], equal_nan=True)


def _batches(votes: np.ndarray, points: list[int]) -> list[pa.RecordBatch]:
    return [
        pa.record_batch({f"lf_{j}": part[:, j] for j in range(votes.shape[1])})
        for part in split(votes, points)
    ]


@given(vote_matrices(), st.data())
def test_the_generator_is_consistent_however_batches_are_grouped(
    drawn: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    votes, _ = drawn
    batches = _batches(votes, data.draw(cuts(len(votes))))
    names = [f"lf_{j}" for j in range(votes.shape[1])]
    assert_generator_consistent(LFAnalysisGenerator(names), batches)


@given(vote_matrices(), st.data())
def test_batch_splits_do_not_change_the_summary(
    drawn: tuple[np.ndarray, int], data: st.DataObject
) -> None:
    votes, _ = drawn
    names = [f"lf_{j}" for j in range(votes.shape[1])]
    generator = LFAnalysisGenerator(names)
    acc = generator.create_accumulator()
    for batch in _batches(votes, data.draw(cuts(len(votes)))):
        acc = generator.add_input(acc, batch)
    assert generator.extract_output(acc) == lf_summary(votes)


@given(vote_matrices(min_lfs=2), st.randoms(use_true_random=False))
def test_permuting_lfs_permutes_their_rows(drawn: tuple[np.ndarray, int], rnd: object) -> None:
    votes, _ = drawn
    order = list(range(votes.shape[1]))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    names = [f"lf_{j}" for j in range(votes.shape[1])]
    summary = lf_summary(votes, names=names)
    permuted = lf_summary(votes[:, order], names=[names[j] for j in order])
    assert permuted.lfs == tuple(summary.lfs[j] for j in order)
    assert permuted.label_conflict == summary.label_conflict


def test_the_summary_prints_as_a_table_and_json() -> None:
    summary = lf_summary(SNORKEL_L, y=np.array([0, 1, 1, 0, 0]))
    text = summary.to_text()
    assert text.splitlines()[0].split()[:5] == [
        "lf",
        "polarity",
        "coverage",
        "overlaps",
        "conflicts",
    ]
    assert "5 rows: 80.0% covered" in text
    assert isinstance(summary, LFSummary)
    assert '"empirical_accuracy": 0.75' in summary.to_json()
