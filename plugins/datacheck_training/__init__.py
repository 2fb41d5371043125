"""Training on validated data: schema-driven tensors, pipeline and data parallelism.

Only rows that pass the schema reach the model; the encoder that turns them into tensors is
saved with the model and used again at serving::

    from datacheck_training import load_model, predict, train

    run = train(model, "penguins.csv", schema=schema, label="species",
                devices=2, strategy="pipeline", micro_batches=4, epochs=20, output="model/")
    served = load_model("model/", model=make_model())
    probabilities = predict(served, batches)

``strategy="pipeline"`` splits an ``nn.Sequential`` into balanced stages, one process per
device, on ``torch.distributed.pipelining`` (GPipe or 1F1B schedules, activation checkpointing,
deferred batch norm); ``strategy="data"`` is ``DistributedDataParallel`` over shards. Beam's
stage lives in :mod:`datacheck_training.beam`; ``datacheck train`` is the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datacheck.plugin import lazy_exports

# Everything is imported on first use (PEP 562): ``datacheck_training.plugin``, which
# ``datacheck --help`` imports, must not import torch.
if TYPE_CHECKING:
    from datacheck_training._encoder import EncodedFeature, LabelSpec, TensorEncoder
    from datacheck_training._launch import WorkerError, launch
    from datacheck_training._many import Candidate, ManyRun, ModelResult, ModelStatus, train_many
    from datacheck_training._model import TrainedModel, load_model, predict, read_record
    from datacheck_training._partition import layer_costs, partition
    from datacheck_training._sharp import SharpSchedule, simulate_sharp
    from datacheck_training._simulate import PipelineTimeline, simulate_pipeline
    from datacheck_training._stage import DeferredBatchNorm, StageModule
    from datacheck_training._train import Progress, TrainingRun, train

#: the module each public name lives in
_WHERE = {
    "Candidate": "datacheck_training._many",
    "ManyRun": "datacheck_training._many",
    "ModelResult": "datacheck_training._many",
    "ModelStatus": "datacheck_training._many",
    "SharpSchedule": "datacheck_training._sharp",
    "simulate_sharp": "datacheck_training._sharp",
    "train_many": "datacheck_training._many",
    "DeferredBatchNorm": "datacheck_training._stage",
    "EncodedFeature": "datacheck_training._encoder",
    "LabelSpec": "datacheck_training._encoder",
    "PipelineTimeline": "datacheck_training._simulate",
    "Progress": "datacheck_training._train",
    "StageModule": "datacheck_training._stage",
    "TensorEncoder": "datacheck_training._encoder",
    "TrainedModel": "datacheck_training._model",
    "TrainingRun": "datacheck_training._train",
    "WorkerError": "datacheck_training._launch",
    "launch": "datacheck_training._launch",
    "layer_costs": "datacheck_training._partition",
    "load_model": "datacheck_training._model",
    "partition": "datacheck_training._partition",
    "predict": "datacheck_training._model",
    "read_record": "datacheck_training._model",
    "simulate_pipeline": "datacheck_training._simulate",
    "train": "datacheck_training._train",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "Candidate",
    "DeferredBatchNorm",
    "EncodedFeature",
    "LabelSpec",
    "ManyRun",
    "ModelResult",
    "ModelStatus",
    "PipelineTimeline",
    "Progress",
    "SharpSchedule",
    "StageModule",
    "TensorEncoder",
    "TrainedModel",
    "TrainingRun",
    "WorkerError",
    "launch",
    "layer_costs",
    "load_model",
    "partition",
    "predict",
    "read_record",
    "simulate_pipeline",
    "simulate_sharp",
    "train",
    "train_many",
]
