"""The labeling plugin's Beam stages: apply LFs, fit the label model, label the rows.

The same code as the in-memory path runs on the workers: :class:`ApplyLabelingFunctions` is
a ParDo over record batches calling the function :func:`apply_lfs` calls per batch;
:class:`FitLabelModel` combines the agreement generator's accumulators (a ``(m·k)²`` count
matrix, whatever the data size) with ``CombineGlobally`` and fits once; :class:`ApplyLabelModel`
is a Map with the fitted model as a side input. So a pipeline on Flink, Spark or Dataflow
gives the label matrix, summary and model the laptop gives (rows in another order)::

    import apache_beam as beam
    from datacheck.beam import ReadBatches
    from datacheck_labeling.beam import ApplyLabelingFunctions, ApplyLabelModel, FitLabelModel

    names = [lf.name for lf in LFS]
    with beam.Pipeline() as p:
        votes = p | ReadBatches("data/*.parquet") | ApplyLabelingFunctions(LFS, cardinality=2)
        model = votes | FitLabelModel(names, cardinality=2)
        labeled = votes | ApplyLabelModel(model, names)

Importing this module without Apache Beam raises ``MissingExtraError`` naming
``pip install 'datacheck[beam]'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from datacheck.errors import MissingExtraError

try:
    import apache_beam as beam
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingExtraError("apache_beam", "beam") from exc

import pyarrow as pa

from datacheck.beam import GeneratorCombineFn
from datacheck.errors import OptionError
from datacheck_labeling._agreement import AgreementGenerator, AgreementStatistics
from datacheck_labeling._apply import check_lfs, vote_batch
from datacheck_labeling._lf import LabelingFunction
from datacheck_labeling._matrix import LFErrors
from datacheck_labeling._model import FitOptions, LabelModel
from datacheck_labeling._output import LABEL_COLUMN, PROBA_COLUMN, Labeler, label_batch

__all__ = ["LF_ERRORS", "ApplyLabelModel", "ApplyLabelingFunctions", "FitLabelModel"]

#: the tag of :class:`ApplyLabelingFunctions`' dead-letter output: LF failures per batch
LF_ERRORS = "lf_errors"


def _joined(batch: pa.RecordBatch, votes: pa.RecordBatch) -> pa.RecordBatch:
    clash = [name for name in votes.schema.names if name in batch.schema.names]
    if clash:
        raise OptionError(
            "a labeling function's name is also a column of the data; rename the LF",
            parameter="lfs",
            value=clash[0],
        )
    return pa.RecordBatch.from_arrays(
        [*batch.columns, *votes.columns], names=[*batch.schema.names, *votes.schema.names]
    )


class _VoteFn(beam.DoFn):  # type: ignore[misc]  # Beam ships no type hints
    def __init__(
        self, lfs: tuple[LabelingFunction, ...], cardinality: int | None, strict: bool, keep: bool
    ) -> None:
        super().__init__()
        self._lfs = lfs
        self._cardinality = cardinality
        self._strict = strict
        self._keep = keep

    def process(self, batch: pa.RecordBatch) -> Iterator[Any]:
        votes, errors = vote_batch(
            batch, self._lfs, cardinality=self._cardinality, strict=self._strict
        )
        yield _joined(batch, votes) if self._keep else votes
        for found in errors.values():
            yield beam.pvalue.TaggedOutput(LF_ERRORS, found)


class ApplyLabelingFunctions(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Vote every LF on every batch: a ParDo over a ``PCollection`` of record batches.

    The main output is each batch with one vote column per LF appended (or the votes alone,
    with ``keep_input=False``); LF failures (an LF that raised became an abstain) go to the
    dead-letter output ``LF_ERRORS`` as :class:`LFErrors` values, rows counted within their
    batch. An LF that returns something that is not a vote fails the pipeline, naming the LF.

    Args:
        lfs: The labeling functions (imported by reference on the workers).
        cardinality: The number of classes, to check votes against.
        strict: An LF that raises fails the pipeline instead.
        keep_input: Keep the batch's own columns before the votes.
    """

    def __init__(
        self,
        lfs: Sequence[LabelingFunction],
        *,
        cardinality: int | None = None,
        strict: bool = False,
        keep_input: bool = True,
    ) -> None:
        super().__init__()
        self._lfs = check_lfs(lfs)
        self._cardinality = cardinality
        self._strict = strict
        self._keep = keep_input

    def expand(self, batches: Any) -> Any:
        fn = _VoteFn(self._lfs, self._cardinality, self._strict, self._keep)
        return batches | "Vote" >> beam.ParDo(fn).with_outputs(LF_ERRORS, main="votes")


def _fit(stats: AgreementStatistics, cardinality: int, options: FitOptions) -> LabelModel:
    return LabelModel(cardinality).fit_statistics(stats, options)


class FitLabelModel(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Fit a :class:`LabelModel` on vote batches: one combine of sufficient statistics, one fit.

    The output is a one-element ``PCollection`` holding the fitted model (use it as a side
    input: ``beam.pvalue.AsSingleton``).

    Args:
        names: The vote columns.
        cardinality: The number of classes.
        gold: A column of gold labels (null or -1 unknown): a semi-supervised fit.
        class_balance: P(class); by default read off gold rows, else uniform.
        trust: Fixed accuracies of trusted LFs, by name.
        **options: Other :class:`FitOptions` fields.
    """

    def __init__(
        self,
        names: Sequence[str],
        cardinality: int,
        *,
        gold: str | None = None,
        class_balance: Sequence[float] | None = None,
        trust: Mapping[str, float] | None = None,
        **options: Any,
    ) -> None:
        super().__init__()
        self._generator = AgreementGenerator(names, cardinality, gold)
        self._cardinality = cardinality
        self._options = FitOptions(
            class_balance=None if class_balance is None else tuple(class_balance),
            trust=dict(trust or {}),
            **options,
        )

    def expand(self, batches: Any) -> Any:
        return (
            batches
            | "AgreementStatistics" >> beam.CombineGlobally(GeneratorCombineFn(self._generator))
            | "Fit" >> beam.Map(_fit, self._cardinality, self._options)
        )


def _labeled(
    batch: pa.RecordBatch,
    labeler: Labeler,
    names: Sequence[str],
    policy: str,
    label_column: str,
    proba_column: str,
) -> pa.RecordBatch:
    labels = label_batch(
        labeler,
        batch.select(list(names)),
        names,
        tie_break_policy=policy,
        label_column=label_column,
        proba_column=proba_column,
    )
    return _joined(batch, labels)


class ApplyLabelModel(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Append ``label`` and ``label_proba`` to each vote batch: a Map, the model a side input.

    Args:
        model: A fitted model, or the one-element ``PCollection`` :class:`FitLabelModel` gives.
        names: The vote columns, in the model's order.
        tie_break_policy: ``"abstain"`` (null label on ties) or ``"random"``.
        label_column: The name of the hard label column.
        proba_column: The name of the probabilities column.
    """

    def __init__(
        self,
        model: Any,
        names: Sequence[str],
        *,
        tie_break_policy: str = "abstain",
        label_column: str = LABEL_COLUMN,
        proba_column: str = PROBA_COLUMN,
    ) -> None:
        super().__init__()
        self._model = model
        self._names = tuple(names)
        self._policy = tie_break_policy
        self._columns = (label_column, proba_column)

    def expand(self, batches: Any) -> Any:
        if isinstance(self._model, beam.pvalue.PCollection):
            model = beam.pvalue.AsSingleton(self._model)
        else:
            model = self._model
        return batches | "Label" >> beam.Map(
            _labeled, model, self._names, self._policy, *self._columns
        )


def merge_errors(found: Sequence[LFErrors]) -> dict[str, LFErrors]:
    """LF failures from many batches, one per LF: counts summed, the first message kept."""
    out: dict[str, LFErrors] = {}
    for item in found:
        seen = out.get(item.name)
        out[item.name] = (
            item
            if seen is None
            else LFErrors(
                name=item.name,
                count=seen.count + item.count,
                first_row=seen.first_row,
                first_message=seen.first_message,
            )
        )
    return out
