"""Weak supervision on Arrow: labeling functions, LF analysis, label models (``[labeling]``).

Users write labeling functions (LFs), small noisy heuristics that vote a class or abstain; a
label model learns how accurate each one is from their agreements alone and turns their votes
into probabilistic labels (Snorkel's data programming), on the same Arrow batches, schemas and
Beam machinery as datacheck's core::

    from datacheck_labeling import ABSTAIN, LabelModel, apply_lfs, labeling_function, lf_summary

    @labeling_function(vectorized=True)
    def big_radius(batch):
        return pc.if_else(pc.greater(batch["mean radius"], 15.0), 0, ABSTAIN)

    votes = apply_lfs("cells.parquet", [big_radius, ...], cardinality=2)
    model = LabelModel(cardinality=2).fit(votes)
    print(lf_summary(votes, model=model).to_text())
    probs = model.predict_proba(votes)

Beam stages live in :mod:`datacheck_labeling.beam`; ``datacheck label`` is the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datacheck.plugin import lazy_exports

# Everything is imported on first use (PEP 562), so importing ``datacheck_labeling.plugin``,
# which ``datacheck --help`` does to list the command, does not import numpy-heavy modules.
if TYPE_CHECKING:
    from datacheck_labeling._agreement import (
        AgreementGenerator,
        AgreementStatistics,
        agreement_statistics,
    )
    from datacheck_labeling._analysis import LFAnalysisGenerator, LFStats, LFSummary, lf_summary
    from datacheck_labeling._apply import apply_lfs
    from datacheck_labeling._dependencies import Dependency, find_dependencies
    from datacheck_labeling._label import (
        LabelingRun,
        label_dataset,
        label_dataset_on_beam,
        write_labeled,
    )
    from datacheck_labeling._lf import ABSTAIN, LabelingFunction, labeling_function
    from datacheck_labeling._majority import MajorityVote
    from datacheck_labeling._matrix import LabelMatrix, LFErrors
    from datacheck_labeling._model import FitOptions, LabelModel, load_label_model
    from datacheck_labeling._output import (
        LABEL_COLUMN,
        PROBA_COLUMN,
        filter_unlabeled,
        label_batch,
        votes_as_features,
    )
    from datacheck_labeling._synthetic import SyntheticVotes, synthetic_votes

#: the module each public name lives in
_WHERE = {
    "ABSTAIN": "datacheck_labeling._lf",
    "AgreementGenerator": "datacheck_labeling._agreement",
    "AgreementStatistics": "datacheck_labeling._agreement",
    "Dependency": "datacheck_labeling._dependencies",
    "FitOptions": "datacheck_labeling._model",
    "LABEL_COLUMN": "datacheck_labeling._output",
    "LFAnalysisGenerator": "datacheck_labeling._analysis",
    "LFErrors": "datacheck_labeling._matrix",
    "LFStats": "datacheck_labeling._analysis",
    "LFSummary": "datacheck_labeling._analysis",
    "LabelMatrix": "datacheck_labeling._matrix",
    "LabelModel": "datacheck_labeling._model",
    "LabelingFunction": "datacheck_labeling._lf",
    "LabelingRun": "datacheck_labeling._label",
    "MajorityVote": "datacheck_labeling._majority",
    "PROBA_COLUMN": "datacheck_labeling._output",
    "SyntheticVotes": "datacheck_labeling._synthetic",
    "agreement_statistics": "datacheck_labeling._agreement",
    "apply_lfs": "datacheck_labeling._apply",
    "filter_unlabeled": "datacheck_labeling._output",
    "find_dependencies": "datacheck_labeling._dependencies",
    "label_batch": "datacheck_labeling._output",
    "label_dataset": "datacheck_labeling._label",
    "label_dataset_on_beam": "datacheck_labeling._label",
    "labeling_function": "datacheck_labeling._lf",
    "lf_summary": "datacheck_labeling._analysis",
    "load_label_model": "datacheck_labeling._model",
    "synthetic_votes": "datacheck_labeling._synthetic",
    "votes_as_features": "datacheck_labeling._output",
    "write_labeled": "datacheck_labeling._label",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "ABSTAIN",
    "LABEL_COLUMN",
    "PROBA_COLUMN",
    "AgreementGenerator",
    "AgreementStatistics",
    "Dependency",
    "FitOptions",
    "LFAnalysisGenerator",
    "LFErrors",
    "LFStats",
    "LFSummary",
    "LabelMatrix",
    "LabelModel",
    "LabelingFunction",
    "LabelingRun",
    "MajorityVote",
    "SyntheticVotes",
    "agreement_statistics",
    "apply_lfs",
    "filter_unlabeled",
    "find_dependencies",
    "label_batch",
    "label_dataset",
    "label_dataset_on_beam",
    "labeling_function",
    "lf_summary",
    "load_label_model",
    "synthetic_votes",
    "votes_as_features",
    "write_labeled",
]
