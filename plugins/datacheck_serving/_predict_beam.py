"""Offline prediction: the served model and its encoder as a Beam ``RunInference`` handler.

The same model folder the service deploys (the training plugin's safetensors + JSON record,
or a ``module:function`` factory with its schema) runs over a PCollection of records (one
``dict`` per row), batched by Beam's ``BatchElements`` (``min_batch_size``,
``max_batch_size``; its estimator targets the mean batch time)::

    from apache_beam.ml.inference.base import RunInference
    from datacheck_serving._predict_beam import TrainedModelHandler

    rows | RunInference(TrainedModelHandler("models/penguins-v2", max_batch_size=512))

Each output is a ``PredictionResult`` whose ``inference`` is ``{"label": ..., "probabilities":
[...]}``. Validate first (the core's Beam gate) so that only valid rows reach the model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from datacheck.errors import MissingExtraError

try:
    from apache_beam.ml.inference.base import ModelHandler, PredictionResult
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingExtraError("apache_beam", "beam") from exc

import numpy as np
import pyarrow as pa
import torch

__all__ = ["TrainedModelHandler"]


class _Loaded:
    """The trained model, in a holder Beam's shared handle can reference weakly."""

    def __init__(self, trained: Any) -> None:
        self.module = trained.module
        self.encoder = trained.encoder
        self.record = trained.record


class TrainedModelHandler(ModelHandler):  # type: ignore[misc]  # Beam ships no type hints
    """RunInference over record dicts with a training folder's model and encoder.

    Args:
        folder: The model folder (``train(output=...)``); its record names the factory.
        factory: ``"module:function"`` building the architecture, when the record has none.
        min_batch_size: ``BatchElements``' smallest batch.
        max_batch_size: ``BatchElements``' largest batch.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        factory: str | None = None,
        min_batch_size: int = 1,
        max_batch_size: int = 1024,
    ) -> None:
        super().__init__()
        self._folder = os.fspath(folder)
        self._factory = factory
        self._batching = {"min_batch_size": min_batch_size, "max_batch_size": max_batch_size}

    def load_model(self) -> Any:
        """The trained model (module in eval mode, encoder, record), loaded on the worker."""
        from datacheck.plugin import load_reference
        from datacheck_training import load_model

        module = load_reference(self._factory)() if self._factory else None
        return _Loaded(load_model(self._folder, model=module))

    def run_inference(
        self,
        batch: Sequence[dict[str, Any]],
        model: Any,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        """One forward pass over the batch's rows."""
        table = pa.Table.from_pylist(list(batch))
        x = torch.from_numpy(np.ascontiguousarray(model.encoder.encode(table)))
        dtype = next(model.module.parameters()).dtype
        with torch.inference_mode():
            probs = torch.softmax(model.module(x.to(dtype)), dim=-1).double().numpy()
        labels = model.encoder.decode(probs) if model.encoder.num_classes else None
        for i, row in enumerate(batch):
            inference = {
                "label": labels[i] if labels is not None else int(np.argmax(probs[i])),
                "probabilities": [float(p) for p in probs[i]],
            }
            yield PredictionResult(row, inference)

    def batch_elements_kwargs(self) -> dict[str, int]:
        """``BatchElements``' bounds."""
        return dict(self._batching)

    def get_metrics_namespace(self) -> str:
        return "datacheck_serving_predict"
