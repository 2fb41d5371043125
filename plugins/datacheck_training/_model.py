"""The trained model on disk: safetensors weights plus a JSON record; loading and prediction.

A model folder holds ``model.safetensors`` (the weights, by the ``nn.Module``'s state-dict
names), ``record.json`` (:data:`RECORD_FILE`: the schema's name and version, the encoder, the
strategy and devices, the loss of each epoch, the rows used, quarantined and unlabeled, and the
``module:factory`` that builds the architecture) and ``profile.json``, the training data's
profile, and the optimizer's state (``optimizer.safetensors``, or one file per pipeline stage;
:mod:`._optim`). Nothing is pickled: the weights are read with ``safetensors``, which holds tensors
only, and the architecture is rebuilt by calling the recorded factory (or a module the caller
passes), never by unpickling code. The folder is written after every epoch, so it is also the
checkpoint a run resumes from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from datacheck.errors import InputError, OptionError
from datacheck.io import atomic_output, write_json_atomic
from datacheck.plugin import load_reference
from datacheck_training._encoder import TensorEncoder

__all__ = [
    "MODEL_FILE",
    "RECORD_FILE",
    "RECORD_FORMAT_VERSION",
    "TrainedModel",
    "load_model",
    "predict",
    "read_record",
    "save_model",
]

#: the weights' file in a model folder
MODEL_FILE = "model.safetensors"
#: the training record's file in a model folder
RECORD_FILE = "record.json"
#: the shape of the record document
RECORD_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedModel:
    """A model ready to serve: the module (in eval mode), its encoder and its record."""

    #: the network, with the trained weights
    module: nn.Module
    #: how rows become its inputs
    encoder: TensorEncoder
    #: the training record (``record.json``)
    record: Mapping[str, Any]


def save_model(
    folder: str | os.PathLike[str], weights: Mapping[str, torch.Tensor], record: Mapping[str, Any]
) -> None:
    """Write ``weights`` and ``record`` into ``folder`` (created), each file atomically."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    with atomic_output(path / MODEL_FILE) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in weights.items()}, str(tmp))
    write_json_atomic(path / RECORD_FILE, dict(record))


def read_record(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The training record in a model folder.

    Raises:
        InputError: No readable record of a known format.
    """
    path = Path(folder) / RECORD_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a datacheck model folder: {exc}", path=path) from None
    if not isinstance(record, dict) or record.get("format_version") != RECORD_FORMAT_VERSION:
        raise InputError(f"not a training record of format {RECORD_FORMAT_VERSION}", path=path)
    return record


def read_weights(folder: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The weights in a model folder (safetensors only).

    Raises:
        InputError: The file is missing or not a safetensors file.
    """
    path = Path(folder) / MODEL_FILE
    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise InputError(f"cannot read the weights (safetensors): {exc}", path=path) from None


def load_model(folder: str | os.PathLike[str], model: nn.Module | None = None) -> TrainedModel:
    """The model saved in ``folder``, in eval mode.

    Args:
        folder: A model folder written by :func:`~datacheck_training.train`.
        model: The architecture to load the weights into; by default the recorded factory
            (``module:function``) builds it, with the recorded ``factory_kwargs`` (a model of
            a ``train-many`` grid).

    Raises:
        InputError: The folder is not a model folder, or the weights do not fit the model.
        OptionError: No model given and none recorded.
    """
    record = read_record(folder)
    if model is None:
        factory = record.get("factory")
        if not factory:
            raise OptionError(
                "the record names no factory; pass the architecture to load the weights into",
                parameter="model",
                value=None,
            )
        model = load_reference(factory)(**record.get("factory_kwargs", {}))
    weights = read_weights(folder)
    dtype = getattr(torch, str(record.get("dtype", "float32")))
    model = model.to(dtype)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        text = " ".join(str(exc).split())
        raise InputError(f"the weights do not fit the model: {text}", path=folder) from None
    model.eval()
    return TrainedModel(
        module=model, encoder=TensorEncoder.from_dict(record["encoder"]), record=record
    )


def predict(
    model: TrainedModel, batches: Iterable[pa.RecordBatch] | pa.Table | pa.RecordBatch
) -> npt.NDArray[np.float64]:
    """Class probabilities ``(rows, classes)`` for the rows of ``batches``, in order.

    The rows are encoded by the model's own encoder (as at training).
    """
    if isinstance(batches, pa.Table | pa.RecordBatch):
        batches = [batches]
    dtype = next(model.module.parameters()).dtype
    out: list[npt.NDArray[np.float64]] = []
    with torch.no_grad():
        for batch in batches:
            x = torch.from_numpy(model.encoder.encode(batch)).to(dtype)
            probs = torch.softmax(model.module(x), dim=-1)
            out.append(probs.double().numpy())
    if not out:
        return np.zeros((0, model.encoder.num_classes))
    return np.concatenate(out, axis=0)
