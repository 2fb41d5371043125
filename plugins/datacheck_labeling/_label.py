"""The labeling use case: LFs over a dataset, a label model, the labeled data written out.

``datacheck label`` only parses and prints; this module does the work, in memory
(:func:`label_dataset`, :func:`write_labeled`) or as one Beam pipeline
(:func:`label_dataset_on_beam`), so the command, Python code and a service agree.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from datacheck import read_batches
from datacheck.errors import OptionError
from datacheck.io import atomic_output
from datacheck_labeling._analysis import LFSummary, gold_labels, lf_summary
from datacheck_labeling._apply import apply_lfs, check_lfs
from datacheck_labeling._lf import LabelingFunction
from datacheck_labeling._majority import MajorityVote
from datacheck_labeling._matrix import LabelMatrix, LFErrors
from datacheck_labeling._model import LabelModel, load_label_model
from datacheck_labeling._output import LABEL_COLUMN, PROBA_COLUMN, label_batch, votes_as_features

__all__ = ["LabelingRun", "label_dataset", "label_dataset_on_beam", "write_labeled"]

#: the label models ``model=`` names
MODELS = ("label", "majority")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LabelingRun:
    """What labeling a dataset gave: the votes, the fitted labeler and the LF summary."""

    #: the LFs' votes (in memory; None when the run was on Beam)
    votes: LabelMatrix | None
    #: what turns votes into labels: a fitted :class:`LabelModel` or :class:`MajorityVote`
    labeler: LabelModel | MajorityVote
    #: the LF analysis (with learned accuracies for a label model)
    summary: LFSummary
    #: the LF names, in column order
    names: tuple[str, ...]
    #: rows labeled (not null) and rows in all
    labeled_rows: int
    #: rows in all
    num_rows: int


def _gold(source: object, gold: str, cardinality: int, batch_size: int) -> npt.NDArray[np.int64]:
    try:
        batches = list(read_batches(source, columns=[gold], batch_size=batch_size))
    except OptionError as error:
        raise OptionError(error.reason, parameter="gold", value=gold) from None
    column = pa.chunked_array([b.column(0) for b in batches], type=batches[0].schema.field(0).type)
    labels = gold_labels(column, gold)
    if labels.size and labels.max() >= cardinality:
        row = int(np.argmax(labels >= cardinality))
        raise OptionError(
            f"row {row} holds {int(labels[row])}, not a class 0..{cardinality - 1}; gold labels "
            "are classes (null or -1 unknown)",
            parameter="gold",
            value=gold,
            row=row,
        )
    return labels


def _labeler(
    model: str | LabelModel | MajorityVote,
    cardinality: int,
    names: tuple[str, ...],
    seed: int,
) -> LabelModel | MajorityVote | None:
    """A ready labeler (majority, or a given or saved model), or None: fit a label model."""
    if isinstance(model, MajorityVote):
        return model
    if isinstance(model, LabelModel):
        labeler = model
    elif model == "majority":
        return MajorityVote(cardinality, seed=seed)
    elif model == "label":
        return None
    elif isinstance(model, str | os.PathLike) and Path(model).suffix == ".json":
        labeler = load_label_model(model)
    else:
        raise OptionError(
            f"use one of: {', '.join(MODELS)}, a LabelModel, or a saved model (.json)",
            parameter="model",
            value=model,
        )
    if labeler.names != names or labeler.cardinality != cardinality:
        raise OptionError(
            f"the model was fitted on {labeler.cardinality} classes and LFs "
            f"{', '.join(labeler.names)}; these are {cardinality} classes and LFs "
            f"{', '.join(names)}",
            parameter="model",
            value=str(model) if isinstance(model, str | os.PathLike) else "LabelModel",
        )
    return labeler


def label_dataset(
    source: object,
    lfs: Sequence[LabelingFunction],
    *,
    cardinality: int,
    gold: str | None = None,
    model: str | LabelModel | MajorityVote = "label",
    workers: int | None = None,
    strict: bool = False,
    batch_size: int = 65_536,
    class_balance: Sequence[float] | None = None,
    trust: Mapping[str, float] | None = None,
    bootstrap: int = 20,
    seed: int = 0,
) -> LabelingRun:
    """Apply LFs to a dataset, fit (or take) a labeler, and summarise the LFs.

    Args:
        source: Anything :func:`datacheck.read_batches` reads.
        lfs: The labeling functions.
        cardinality: The number of classes.
        gold: A column of gold labels for some rows (null or -1 elsewhere): they anchor the
            label model and give each LF's empirical accuracy.
        model: ``"label"`` (fit a :class:`LabelModel`), ``"majority"``, a fitted model, or the
            path of a saved one (``.json``: applied without refitting).
        workers: Processes for row-wise LFs (see :func:`apply_lfs`).
        strict: An LF that raises is an error instead of an abstain.
        batch_size: Rows per batch.
        class_balance: P(class) for the label model; by default from gold rows, else uniform.
        trust: Fixed accuracies of trusted LFs, by name.
        bootstrap: Refits for the accuracies' standard errors.
        seed: The seed of the bootstrap and of random tie-breaking.

    Raises:
        OptionError: Bad LFs, model, gold column or class balance (naming the parameter).
        InputError: Unreadable data, or an LF that returned a value that is not a vote.
    """
    checked = check_lfs(lfs)
    names = tuple(lf.name for lf in checked)
    labeler = _labeler(model, cardinality, names, seed)
    y = None if gold is None else _gold(source, gold, cardinality, batch_size)
    votes = apply_lfs(
        source,
        checked,
        cardinality=cardinality,
        workers=workers,
        strict=strict,
        batch_size=batch_size,
    )
    if labeler is None:
        labeler = LabelModel(cardinality).fit(
            votes, y, class_balance=class_balance, trust=trust, bootstrap=bootstrap, seed=seed
        )
    summary = lf_summary(votes, y, model=labeler if isinstance(labeler, LabelModel) else None)
    predicted = labeler.predict(votes)
    return LabelingRun(
        votes=votes,
        labeler=labeler,
        summary=summary,
        names=names,
        labeled_rows=int((predicted >= 0).sum()),
        num_rows=votes.num_rows,
    )


def _output_batch(
    data: pa.RecordBatch, votes: pa.RecordBatch, run: LabelingRun, policy: str
) -> pa.RecordBatch:
    clash = [name for name in (*run.names, LABEL_COLUMN, PROBA_COLUMN) if name in data.schema.names]
    if clash:
        raise OptionError(
            "the data already has a column of this name; rename the LF or the column",
            parameter="lfs",
            value=clash[0],
        )
    features = votes_as_features(votes, run.names).to_batches()
    labels = label_batch(run.labeler, votes, run.names, tie_break_policy=policy)
    columns = [*data.columns]
    names = [*data.schema.names]
    if features:
        columns += features[0].columns
        names += run.names
    else:  # a zero-row batch
        columns += [pa.array([], pa.string()) for _ in run.names]
        names += run.names
    columns += labels.columns
    names += labels.schema.names
    return pa.RecordBatch.from_arrays(columns, names=names)


def write_labeled(
    source: object,
    run: LabelingRun,
    output: str | os.PathLike[str],
    *,
    batch_size: int = 65_536,
    tie_break_policy: str = "abstain",
) -> int:
    """Write ``source`` with its vote columns, ``label`` and ``label_proba`` as Parquet.

    Vote columns hold the class voted (as text, so they profile as categorical features) or
    null where the LF abstained; ``label`` is null on rows that got no label.

    Returns:
        The rows written.

    Raises:
        OptionError: ``output`` is not a ``.parquet`` path, or an LF is named like a column.
    """
    if Path(output).suffix.lower() not in (".parquet", ".pq"):
        raise OptionError(
            "the labeled data is written as Parquet; give a path ending in .parquet",
            parameter="output",
            value=os.fspath(output),
        )
    if run.votes is None:
        raise OptionError("this run's votes are not in memory (it ran on Beam)", parameter="run")
    rows = 0
    data = read_batches(source, batch_size=batch_size)
    with atomic_output(output) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for batch, votes in zip(data, run.votes.batches, strict=True):
                out = _output_batch(batch, votes, run, tie_break_policy)
                if writer is None:
                    writer = pq.ParquetWriter(str(tmp), out.schema)
                writer.write_batch(out)
                rows += out.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


def _spill(batch: pa.RecordBatch, directory: str) -> None:
    pq.write_table(pa.Table.from_batches([batch]), Path(directory) / f"{uuid.uuid4().hex}.parquet")


def _parts(directory: Path) -> Iterator[pa.RecordBatch]:
    for path in sorted(directory.glob("*.parquet")):
        yield from pq.ParquetFile(path).iter_batches()


def label_dataset_on_beam(
    source: str | Sequence[str],
    lfs: Sequence[LabelingFunction],
    pipeline_options: Any,
    *,
    cardinality: int,
    gold: str | None = None,
    model: str | LabelModel | MajorityVote = "label",
    output: str | os.PathLike[str] | None = None,
    strict: bool = False,
    class_balance: Sequence[float] | None = None,
    trust: Mapping[str, float] | None = None,
    seed: int = 0,
    quiet: bool = True,
) -> LabelingRun:
    """:func:`label_dataset` (and :func:`write_labeled`) as one Beam pipeline.

    The workers vote, combine the agreement counts and the LF analysis, and label every
    batch with the fitted model as a side input; labeled batches are spilled to a temporary
    directory (on a cluster it must be visible to the workers: ``TMPDIR`` on a shared mount)
    and written to ``output`` here. Rows come out in another order than they went in.

    Raises:
        DatacheckError: The pipeline failed (see :func:`datacheck.beam.run_pipeline`).
    """
    import apache_beam as beam

    from datacheck.beam import ReadBatches, RunGenerator, run_pipeline
    from datacheck_labeling._analysis import LFAnalysisGenerator
    from datacheck_labeling.beam import (
        LF_ERRORS,
        ApplyLabelingFunctions,
        ApplyLabelModel,
        FitLabelModel,
        merge_errors,
    )

    checked = check_lfs(lfs)
    names = tuple(lf.name for lf in checked)
    given = _labeler(model, cardinality, names, seed)
    if output is not None and Path(output).suffix.lower() not in (".parquet", ".pq"):
        raise OptionError(
            "the labeled data is written as Parquet; give a path ending in .parquet",
            parameter="output",
            value=os.fspath(output),
        )
    with tempfile.TemporaryDirectory(prefix="datacheck-label-") as name:
        tmp = Path(name)
        (tmp / "parts").mkdir()
        pipeline = beam.Pipeline(options=pipeline_options)
        batches = pipeline | "ReadBatches" >> ReadBatches(source)
        voted = batches | "ApplyLabelingFunctions" >> ApplyLabelingFunctions(
            checked, cardinality=cardinality, strict=strict
        )
        votes = voted.votes
        _ = (
            votes
            | "AnalyzeLFs" >> RunGenerator(LFAnalysisGenerator(names, gold))
            | "WriteSummary" >> beam.Map(_pickle_to, str(tmp / "summary"))
        )
        _ = (
            voted[LF_ERRORS]
            | "CollectErrors" >> beam.combiners.ToList()
            | "WriteErrors" >> beam.Map(_pickle_to, str(tmp / "errors"))
        )
        if given is None:
            fitted = votes | "FitLabelModel" >> FitLabelModel(
                names,
                cardinality,
                gold=gold,
                class_balance=class_balance,
                trust=trust,
                seed=seed,
            )
            _ = fitted | "WriteModel" >> beam.Map(_save_model, str(tmp / "model.json"))
            labeler_input: Any = fitted
        else:
            labeler_input = given
        labeled = votes | "ApplyLabelModel" >> ApplyLabelModel(labeler_input, names)
        if output is not None:
            _ = labeled | "Spill" >> beam.Map(_spill_features, names, str(tmp / "parts"))
        counted = (
            labeled
            | "Count"
            >> beam.Map(lambda b: (b.num_rows, b.num_rows - b.column(LABEL_COLUMN).null_count))
            | "Sum"
            >> beam.CombineGlobally(
                lambda pairs: tuple(map(sum, zip(*pairs, strict=True))) or (0, 0)
            )
        )
        _ = counted | "WriteCounts" >> beam.Map(_pickle_to, str(tmp / "counts"))
        run_pipeline(pipeline, quiet=quiet)
        summary: LFSummary = _unpickle(tmp / "summary")
        errors: list[LFErrors] = _unpickle(tmp / "errors")
        labeler = given if given is not None else load_label_model(tmp / "model.json")
        total, labeled_rows = _unpickle(tmp / "counts")
        if output is not None:
            _concatenate(tmp / "parts", output)
    found = merge_errors(errors)
    if isinstance(labeler, LabelModel):
        summary = labeler.annotate(summary)
    if found:
        summary = replace(
            summary,
            lfs=tuple(
                s
                if s.name not in found
                else replace(
                    s,
                    errors=found[s.name].count,
                    first_error=f"a batch's row {found[s.name].first_row}: "
                    f"{found[s.name].first_message}",
                )
                for s in summary.lfs
            ),
        )
    return LabelingRun(
        votes=None,
        labeler=labeler,
        summary=summary,
        names=names,
        labeled_rows=int(labeled_rows),
        num_rows=int(total),
    )


def _spill_features(batch: pa.RecordBatch, names: Sequence[str], directory: str) -> None:
    features = votes_as_features(batch.select(list(names)), names)
    columns, labels = [], []
    for column_name in batch.schema.names:
        labels.append(column_name)
        if column_name in names:
            columns.append(features.column(column_name).combine_chunks())
        else:
            columns.append(batch.column(column_name))
    _spill(pa.RecordBatch.from_arrays(columns, names=labels), directory)


def _concatenate(parts: Path, output: str | os.PathLike[str]) -> None:
    with atomic_output(output) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for batch in _parts(parts):
                if writer is None:
                    writer = pq.ParquetWriter(str(tmp), batch.schema)
                writer.write_batch(batch)
        finally:
            if writer is not None:
                writer.close()


def _save_model(model: LabelModel, path: str) -> None:
    model.save(path)


def _pickle_to(value: Any, path: str) -> None:
    # Only this process reads it back, from the temporary directory it made.
    import pickle

    Path(path).write_bytes(pickle.dumps(value))


def _unpickle(path: Path) -> Any:
    import pickle

    return pickle.loads(path.read_bytes())  # our own pipeline's temporary file
