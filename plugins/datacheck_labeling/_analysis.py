"""LF analysis: coverage, overlaps, conflicts and accuracy of each labeling function.

The definitions are Snorkel's (``snorkel.labeling.LFAnalysis``), all fractions of every row:

- *polarity*: the classes an LF voted, sorted;
- *coverage*: rows the LF voted on;
- *overlaps*: rows the LF voted on where at least one other LF voted too;
- *conflicts*: rows the LF voted on where the LFs' votes are not all the same class. An LF
  counts on a conflicted row even when it agrees with the majority;
- *correct* / *incorrect*: votes equal to / different from the gold label, on rows with one;
- *empirical accuracy*: correct / (correct + incorrect).

Where Snorkel differs on edge cases we say so: its empirical accuracy of an LF that never voted
on a gold row is 0 (``nan_to_num``); here it is None, and rows without a gold label (null or
-1) are left out of correct, incorrect and accuracy alike (Snorkel's accuracy counts them as
incorrect while its correct/incorrect columns leave them out).

Every number is a sum over rows, so :class:`LFAnalysisGenerator` is a
:class:`~datacheck.stats.StatsGenerator`: it runs over batches in memory, merges across Beam
workers, and its accumulator holds a few integers per LF and class, whatever the data size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datacheck.errors import InputError, OptionError
from datacheck.stats import run_generator
from datacheck_labeling._matrix import LFErrors, vote_matrix

__all__ = [
    "GOLD_COLUMN",
    "LFAnalysisGenerator",
    "LFStats",
    "LFSummary",
    "gold_labels",
    "lf_summary",
]

#: the column the in-memory helpers put gold labels in, next to the vote columns
GOLD_COLUMN = "__gold__"


@dataclass(slots=True)
class _Counts:
    """The accumulator: per LF and class, sums over rows (mutable, private)."""

    rows: int
    #: (m, classes) votes per LF and class; grows when a higher class shows up
    votes: npt.NDArray[np.int64]
    overlaps: npt.NDArray[np.int64]
    conflicts: npt.NDArray[np.int64]
    correct: npt.NDArray[np.int64]
    incorrect: npt.NDArray[np.int64]
    covered_rows: int = 0
    overlapped_rows: int = 0
    conflicted_rows: int = 0
    gold_rows: int = 0


def _widen(counts: npt.NDArray[np.int64], classes: int) -> npt.NDArray[np.int64]:
    if counts.shape[1] >= classes:
        return counts
    return np.pad(counts, ((0, 0), (0, classes - counts.shape[1])))


@dataclass(frozen=True, slots=True, kw_only=True)
class LFStats:
    """One labeling function's row of the summary."""

    #: the LF's name
    name: str
    #: the classes it voted, sorted
    polarity: tuple[int, ...]
    #: fraction of rows it voted on
    coverage: float
    #: fraction of rows it voted on where another LF voted too
    overlaps: float
    #: fraction of rows it voted on where the votes were not all one class
    conflicts: float
    #: its votes per class (index = class)
    votes: tuple[int, ...]
    #: votes equal to the gold label (None without gold)
    correct: int | None = None
    #: votes different from the gold label (None without gold)
    incorrect: int | None = None
    #: correct / (correct + incorrect); None without gold or without a vote on a gold row
    empirical_accuracy: float | None = None
    #: the label model's estimate of P(vote is right | it votes) (Snorkel's "learned weight")
    learned_accuracy: float | None = None
    #: the standard error of ``learned_accuracy`` (parametric bootstrap), when estimated
    learned_accuracy_se: float | None = None
    #: rows on which the LF raised (each became an abstain)
    errors: int = 0
    #: its first failure, ``row N: Type: message``
    first_error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LFSummary:
    """The LF analysis of a label matrix: one :class:`LFStats` per LF, and dataset totals."""

    #: one entry per LF, in column order
    lfs: tuple[LFStats, ...]
    #: rows analysed
    num_rows: int
    #: fraction of rows at least one LF voted on
    label_coverage: float
    #: fraction of rows at least two LFs voted on
    label_overlap: float
    #: fraction of rows whose votes were not all one class
    label_conflict: float
    #: rows with a gold label
    gold_rows: int = 0
    #: groups of LFs found to depend on each other (from a fitted label model)
    dependent_groups: tuple[tuple[str, ...], ...] = ()
    #: the model's class balance, when a model was given
    class_balance: tuple[float, ...] | None = field(default=None)

    def __getitem__(self, name: str) -> LFStats:
        for stats in self.lfs:
            if stats.name == name:
                return stats
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON object (None where a figure does not apply)."""
        return {
            "num_rows": self.num_rows,
            "label_coverage": self.label_coverage,
            "label_overlap": self.label_overlap,
            "label_conflict": self.label_conflict,
            "gold_rows": self.gold_rows,
            "dependent_groups": [list(g) for g in self.dependent_groups],
            "class_balance": None if self.class_balance is None else list(self.class_balance),
            "lfs": [
                {
                    "name": s.name,
                    "polarity": list(s.polarity),
                    "coverage": s.coverage,
                    "overlaps": s.overlaps,
                    "conflicts": s.conflicts,
                    "votes": list(s.votes),
                    "correct": s.correct,
                    "incorrect": s.incorrect,
                    "empirical_accuracy": s.empirical_accuracy,
                    "learned_accuracy": s.learned_accuracy,
                    "learned_accuracy_se": s.learned_accuracy_se,
                    "errors": s.errors,
                    "first_error": s.first_error,
                }
                for s in self.lfs
            ],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def to_text(self) -> str:
        """A table, one line per LF, then the dataset totals and the dependent groups."""
        gold = self.gold_rows > 0
        learned = any(s.learned_accuracy is not None for s in self.lfs)
        errors = any(s.errors for s in self.lfs)
        head = ["lf", "polarity", "coverage", "overlaps", "conflicts"]
        head += ["correct", "incorrect", "emp.acc"] if gold else []
        head += ["learned.acc"] if learned else []
        head += ["errors"] if errors else []
        rows: list[list[str]] = []
        for s in self.lfs:
            row = [
                s.name,
                ",".join(map(str, s.polarity)) or "-",
                f"{s.coverage:.3f}",
                f"{s.overlaps:.3f}",
                f"{s.conflicts:.3f}",
            ]
            if gold:
                row += [str(s.correct), str(s.incorrect), _fmt(s.empirical_accuracy)]
            if learned:
                acc = _fmt(s.learned_accuracy)
                if s.learned_accuracy_se is not None:
                    acc += f" ±{s.learned_accuracy_se:.3f}"
                row.append(acc)
            if errors:
                row.append(str(s.errors))
            rows.append(row)
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in [head, *rows]
        ]
        lines.append(
            f"{self.num_rows} rows: {self.label_coverage:.1%} covered, "
            f"{self.label_overlap:.1%} overlapped, {self.label_conflict:.1%} conflicted"
            + (f"; {self.gold_rows} with a gold label" if gold else "")
        )
        if self.class_balance is not None:
            lines.append("class balance: " + ", ".join(f"{p:.3f}" for p in self.class_balance))
        for group in self.dependent_groups:
            lines.append(f"dependent LFs (modelled as one source): {', '.join(group)}")
        for s in self.lfs:
            if s.first_error is not None:
                lines.append(f"{s.name}: raised on {s.errors} rows; first on {s.first_error}")
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


class LFAnalysisGenerator:
    """LF analysis as a statistics generator over vote batches (Beam-CombineFn-shaped).

    Each batch holds one vote column per LF (int, -1 or null abstain) and, optionally, a gold
    label column (int, -1 or null where unknown).

    Args:
        names: The vote columns, in order.
        gold: The gold label column, if any.
    """

    def __init__(self, names: Sequence[str], gold: str | None = None) -> None:
        self.names = tuple(names)
        self.gold = gold

    def create_accumulator(self) -> _Counts:
        m = len(self.names)
        zeros = np.zeros(m, dtype=np.int64)
        return _Counts(
            rows=0,
            votes=np.zeros((m, 0), dtype=np.int64),
            overlaps=zeros.copy(),
            conflicts=zeros.copy(),
            correct=zeros.copy(),
            incorrect=zeros.copy(),
        )

    def add_input(self, accumulator: _Counts, batch: pa.RecordBatch) -> _Counts:
        votes, _ = vote_matrix(batch, self.names)
        voted = votes != -1
        per_row = voted.sum(axis=1)
        overlapped = per_row > 1
        high = votes.max(axis=1, initial=-1)
        low = np.where(voted, votes, np.iinfo(np.int16).max).min(
            axis=1, initial=np.iinfo(np.int16).max
        )
        conflicted = (per_row > 1) & (low != high)
        acc = accumulator
        acc.rows += batch.num_rows
        acc.covered_rows += int((per_row > 0).sum())
        acc.overlapped_rows += int(overlapped.sum())
        acc.conflicted_rows += int(conflicted.sum())
        acc.overlaps += (voted & overlapped[:, None]).sum(axis=0)
        acc.conflicts += (voted & conflicted[:, None]).sum(axis=0)
        classes = int(high.max(initial=-1)) + 1
        acc.votes = _widen(acc.votes, classes)
        for j in range(len(self.names)):
            column = votes[voted[:, j], j]
            acc.votes[j] += np.bincount(column, minlength=acc.votes.shape[1])
        if self.gold is not None:
            gold = gold_labels(batch.column(self.gold), self.gold)
            known = gold >= 0
            acc.gold_rows += int(known.sum())
            hit = voted & known[:, None]
            right = hit & (votes == gold[:, None])
            acc.correct += right.sum(axis=0)
            acc.incorrect += (hit & ~right).sum(axis=0)
        return acc

    def merge_accumulators(self, accumulators: list[_Counts]) -> _Counts:
        first, *rest = accumulators
        for other in rest:
            width = max(first.votes.shape[1], other.votes.shape[1])
            first.votes = _widen(first.votes, width) + _widen(other.votes, width)
            first.rows += other.rows
            first.covered_rows += other.covered_rows
            first.overlapped_rows += other.overlapped_rows
            first.conflicted_rows += other.conflicted_rows
            first.gold_rows += other.gold_rows
            first.overlaps += other.overlaps
            first.conflicts += other.conflicts
            first.correct += other.correct
            first.incorrect += other.incorrect
        return first

    def compact(self, accumulator: _Counts) -> _Counts:
        return accumulator

    def extract_output(self, accumulator: _Counts) -> LFSummary:
        acc = accumulator
        n = acc.rows

        def share(count: int) -> float:
            return count / n if n else 0.0

        lfs = []
        for j, name in enumerate(self.names):
            votes = acc.votes[j] if acc.votes.shape[1] else np.zeros(0, dtype=np.int64)
            gold = self.gold is not None
            judged = int(acc.correct[j] + acc.incorrect[j])
            lfs.append(
                LFStats(
                    name=name,
                    polarity=tuple(int(c) for c in np.flatnonzero(votes)),
                    coverage=share(int(votes.sum())),
                    overlaps=share(int(acc.overlaps[j])),
                    conflicts=share(int(acc.conflicts[j])),
                    votes=tuple(int(v) for v in votes),
                    correct=int(acc.correct[j]) if gold else None,
                    incorrect=int(acc.incorrect[j]) if gold else None,
                    empirical_accuracy=int(acc.correct[j]) / judged if gold and judged else None,
                )
            )
        return LFSummary(
            lfs=tuple(lfs),
            num_rows=n,
            label_coverage=share(acc.covered_rows),
            label_overlap=share(acc.overlapped_rows),
            label_conflict=share(acc.conflicted_rows),
            gold_rows=acc.gold_rows,
        )


def gold_labels(
    column: pa.Array | pa.ChunkedArray | npt.ArrayLike, name: str = "y"
) -> npt.NDArray[np.int64]:
    """Gold labels as int64, -1 where unknown (null or -1).

    Raises:
        InputError: The labels are not integers, or one is below -1.
    """
    if isinstance(column, pa.ChunkedArray | pa.Array):
        if not pa.types.is_integer(column.type) and not pa.types.is_null(column.type):
            raise InputError(
                f"gold labels are integer classes (null or -1 unknown), not {column.type}",
                parameter="gold",
                value=name,
            )
        array = np.asarray(column.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False))
    else:
        array = np.asarray(column)
        if array.dtype == object or np.issubdtype(array.dtype, np.floating):
            as_float = np.asarray(
                [math.nan if v is None else v for v in array.ravel()], dtype=np.float64
            )
            if not np.all(np.isnan(as_float) | (as_float == np.round(as_float))):
                raise InputError("gold labels are integer classes", parameter="gold", value=name)
            array = np.where(np.isnan(as_float), -1, as_float).astype(np.int64)
        elif not np.issubdtype(array.dtype, np.integer):
            raise InputError(
                f"gold labels are integer classes, not {array.dtype}", parameter="gold", value=name
            )
    array = array.astype(np.int64, copy=False).ravel()
    if array.size and array.min() < -1:
        row = int(np.argmax(array < -1))
        raise InputError(
            f"gold label {int(array[row])} on row {row}; a label is a class 0..k-1 "
            "(-1 or null: unknown)",
            parameter="gold",
            value=name,
            row=row,
        )
    return array


def _batches(columns: dict[str, Any], rows: int, size: int = 65_536) -> list[pa.RecordBatch]:
    batch = pa.record_batch(columns) if columns else pa.RecordBatch.from_pydict({})
    return [batch.slice(start, size) for start in range(0, max(rows, 1), size)]


def lf_summary(
    votes: object,
    y: npt.ArrayLike | pa.Array | pa.ChunkedArray | None = None,
    *,
    model: Any = None,
    names: Sequence[str] | None = None,
    errors: Mapping[str, LFErrors] | None = None,
) -> LFSummary:
    """The LF analysis of a label matrix: Snorkel's ``LFAnalysis.lf_summary``, as a value.

    Args:
        votes: A :class:`LabelMatrix`, an Arrow table of vote columns, or an ``(n, m)`` array.
        y: Gold labels, one per row (-1 or None where unknown).
        model: A fitted :class:`LabelModel`: adds each LF's learned accuracy (with its
            standard error where estimated), the dependent groups and the class balance.
        names: The LF names of an array's columns, or the columns of a table to analyse.
        errors: LF failures to report (by default a :class:`LabelMatrix`'s own).

    Raises:
        OptionError: ``y`` does not have one label per row, or the model's LFs differ.
    """
    matrix, labels = vote_matrix(votes, names)
    columns: dict[str, Any] = {name: matrix[:, j] for j, name in enumerate(labels)}
    gold_column = None
    if y is not None:
        gold = gold_labels(y)
        if len(gold) != len(matrix):
            raise OptionError(
                f"{len(gold)} gold labels for {len(matrix)} rows; give one per row (-1 unknown)",
                parameter="y",
                value=f"{len(gold)} labels",
            )
        columns[GOLD_COLUMN] = gold
        gold_column = GOLD_COLUMN
    generator = LFAnalysisGenerator(labels, gold_column)
    summary = run_generator(generator, _batches(columns, len(matrix)))
    found = errors if errors is not None else getattr(votes, "errors", {})
    if found:
        summary = replace(
            summary,
            lfs=tuple(
                s
                if s.name not in found
                else replace(
                    s,
                    errors=found[s.name].count,
                    first_error=f"row {found[s.name].first_row}: {found[s.name].first_message}",
                )
                for s in summary.lfs
            ),
        )
    if model is not None:
        summary = model.annotate(summary)
    return summary
