"""``train``: validated rows to a trained model folder, on one device or many.

The use case behind ``datacheck train`` and the ``Train`` Beam stage:

1. Only rows that pass the schema reach the model: the data is read once by
   :func:`datacheck.validate.check_dataset`, which profiles it and checks every row; the
   quarantined rows are counted in the record, the valid ones kept.
2. The encoder is built from the schema and the profile of the valid rows
   (:class:`TensorEncoder`); rows without a label are left out and counted.
3. The encoded rows are written as safetensors files (one file, or one shard per worker for
   data parallelism) in a private temporary folder, and one process per device trains
   (:mod:`._engine`, :mod:`._launch`); ``strategy="single"`` trains in this process.
4. After every epoch the model folder is written (weights, optimizer state, record, profile):
   it is the checkpoint a later call resumes from (``resume=``), continuing exactly.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck.io import ReaderOptions
from datacheck.schema import Schema
from datacheck.stats import StatsOptions, generate_statistics, save_profile
from datacheck.validate import CheckedBatch, check_dataset
from datacheck_training._encoder import TensorEncoder, stack
from datacheck_training._engine import (
    Job,
    data_worker,
    pipeline_worker,
    read_parts,
    train_single,
    write_data,
    write_shards,
)
from datacheck_training._launch import WorkerError, default_devices, launch
from datacheck_training._model import (
    RECORD_FORMAT_VERSION,
    TrainedModel,
    read_record,
    read_weights,
    save_model,
)
from datacheck_training._optim import (
    check_fits,
    read_optimizer,
    read_optimizer_part,
    save_optimizer,
)
from datacheck_training._partition import BALANCES, layer_costs, partition
from datacheck_training._stage import CHECKPOINT_MODES

__all__ = [
    "BALANCES",
    "OPTIMIZERS",
    "SCHEDULES",
    "STRATEGIES",
    "Progress",
    "TrainingRun",
    "check_options",
    "train",
]

#: how the model is spread over the devices
STRATEGIES = ("single", "pipeline", "data", "spill")
#: pipeline schedules
SCHEDULES = ("gpipe", "1f1b")
#: optimizers by name
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """A progress event: a step's rows, or an epoch's end with its mean loss."""

    #: "step" or "epoch"
    kind: str
    #: rows of the step (or of the epoch)
    rows: int
    #: the epoch (for "epoch")
    epoch: int = 0
    #: the epoch's mean loss (for "epoch")
    loss: float = float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRun:
    """What :func:`train` made."""

    #: the trained model, ready to predict
    model: TrainedModel
    #: the model folder, or None when no output was asked for
    path: str | None
    #: the training record (also ``record.json``)
    record: dict[str, Any]


def check_options(
    model: nn.Module,
    *,
    devices: Sequence[str],
    strategy: str,
    micro_batches: int,
    schedule: str,
    checkpoint: str,
    balance: str | None,
) -> None:
    """Refuse a bad combination before any data is read or any process started.

    Raises:
        OptionError: The option named in the message.
    """
    choices = (
        ("strategy", strategy, STRATEGIES),
        ("schedule", schedule, SCHEDULES),
        ("checkpoint", checkpoint, CHECKPOINT_MODES),
    )
    for name, value, allowed in choices:
        if value not in allowed:
            raise OptionError(f"one of {', '.join(allowed)}", parameter=name, value=value)
    if balance is not None and balance not in BALANCES:
        raise OptionError(
            f"None or one of {', '.join(BALANCES)}", parameter="balance", value=balance
        )
    if micro_batches < 1:
        raise OptionError("at least 1", parameter="micro_batches", value=micro_batches)
    if not devices:
        raise OptionError("at least one device", parameter="devices", value=list(devices))
    if strategy == "spill":
        from datacheck_training._spill import check_spill_options

        check_spill_options(model, devices=devices, micro_batches=micro_batches)
        return
    if strategy == "single" and len(devices) != 1:
        raise OptionError(
            "the single strategy trains on one device; use pipeline or data for several",
            parameter="devices",
            value=list(devices),
        )
    if strategy != "pipeline":
        return
    if not isinstance(model, nn.Sequential):
        raise OptionError(
            f"pipeline parallelism splits an nn.Sequential into stages; this model is a "
            f"{type(model).__name__}: write it as nn.Sequential, or use the data strategy",
            parameter="model",
            value=type(model).__name__,
        )
    if len(model) < len(devices):
        raise OptionError(
            f"the model has {len(model)} layers and cannot be split into {len(devices)} "
            f"stages; use at most {len(model)} devices",
            parameter="devices",
            value=list(devices),
        )
    if len(devices) < 2:
        raise OptionError(
            "a pipeline needs at least 2 devices; use the single strategy for one",
            parameter="devices",
            value=list(devices),
        )
    if schedule == "1f1b" and micro_batches < len(devices):
        raise OptionError(
            f"the 1F1B schedule needs at least as many micro-batches as stages ({len(devices)})",
            parameter="micro_batches",
            value=micro_batches,
        )


def _devices(devices: int | Sequence[str] | None, strategy: str) -> list[str]:
    if devices is None:
        return default_devices(1 if strategy in ("single", "spill") else 2)
    if isinstance(devices, int):
        if devices < 1:
            raise OptionError("at least 1", parameter="devices", value=devices)
        return default_devices(devices)
    return [str(d) for d in devices]


def _optimizer(optimizer: str | Callable[..., torch.optim.Optimizer], lr: float) -> Any:
    if callable(optimizer):
        return optimizer
    kind = OPTIMIZERS.get(optimizer)
    if kind is None:
        raise OptionError(
            f"one of {', '.join(OPTIMIZERS)}, or a function of the parameters",
            parameter="optimizer",
            value=optimizer,
        )
    return functools.partial(kind, lr=lr)  # type: ignore[call-arg]  # both optimizers take lr


@dataclass(slots=True)
class _Rows:
    valid: list[pa.RecordBatch]
    quarantined: int = 0

    def add(self, checked: CheckedBatch) -> None:
        if checked.batch.num_rows:
            valid = checked.valid
            if valid.num_rows:
                self.valid.append(valid)
        self.quarantined += int(checked.quarantined_rows.size)


def _stage_sizes(
    model: nn.Sequential, k: int, balance: str | None, sample: torch.Tensor
) -> list[int]:
    if balance is None:
        return partition([1.0] * len(model), k)
    return partition(layer_costs(model, sample, by=balance), k)


def _resumed_optimizer(
    folder: str | os.PathLike[str],
    previous: dict[str, Any],
    model: nn.Module,
    make_optimizer: Any,
    strategy: str,
    world: int,
) -> list[dict[str, Any]] | None:
    """The optimizer state to resume with (one per stage), checked against this run.

    Raises:
        OptionError: The strategy cannot resume exactly from this checkpoint.
        InputError: The saved state is missing, changed, or does not fit the optimizer.
    """
    if strategy == "spill":
        raise OptionError(
            "the spill strategy cannot resume yet (its optimizer state is not saved in the "
            "checkpoint, so a resumed run would not continue exactly); resume with single, "
            "pipeline or data",
            parameter="resume",
            value=str(folder),
        )
    states = read_optimizer(folder, previous)
    if states is None:
        return None
    stages = world if strategy == "pipeline" else 1
    if len(states) != stages or (strategy == "pipeline") != (previous["strategy"] == "pipeline"):
        raise OptionError(
            f"the checkpoint holds the optimizer state "
            f"{f'of {len(states)} pipeline stages' if len(states) > 1 else 'of the whole model'}"
            f" (the {previous['strategy']} strategy), not of {stages} {strategy} stage(s): resume "
            f"a pipeline as a pipeline of as many stages, single or data as either",
            parameter="resume",
            value=str(folder),
        )
    if strategy == "pipeline":
        assert isinstance(model, nn.Sequential)  # check_options: a pipeline splits one
        layers = list(model)
        first = 0
        for k, size in enumerate(previous["stage_sizes"]):
            params = [p for layer in layers[first : first + size] for p in layer.parameters()]
            check_fits(make_optimizer, params, states[k], folder)
            first += size
    else:
        check_fits(make_optimizer, list(model.parameters()), states[0], folder)
    return states


def train(
    model: nn.Module,
    source: object,
    *,
    schema: Schema,
    label: str,
    devices: int | Sequence[str] | None = None,
    strategy: str = "single",
    micro_batches: int = 1,
    schedule: str = "gpipe",
    checkpoint: str = "never",
    balance: str | None = None,
    optimizer: str | Callable[..., torch.optim.Optimizer] = "adam",
    learning_rate: float = 1e-3,
    epochs: int = 1,
    batch_size: int = 64,
    dtype: str = "float32",
    exclude: Iterable[str] = (),
    output: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    factory: str | None = None,
    schema_name: str | None = None,
    reader: ReaderOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    memory_budget: int | str | None = None,
    prefetch: bool = True,
) -> TrainingRun:
    """Train ``model`` on the rows of ``source`` that pass ``schema``.

    Args:
        model: The network: logits over the label's classes from the encoded features. An
            ``nn.Sequential`` for the pipeline strategy.
        source: The data: anything :func:`datacheck.io.read_batches` reads, or batches.
        schema: Rows that fail it are quarantined (counted, never trained on).
        label: The label column: int or string classes, or class probabilities.
        devices: A count (``cuda:0..`` where there are that many GPUs, else CPU processes)
            or device names; by default 1 for single, else 2.
        strategy: ``"single"``, ``"pipeline"`` (GPipe-style stages, one per device) or
            ``"data"`` (DistributedDataParallel, one shard per device), or ``"spill"``
            (shards that fit ``memory_budget`` promoted one at a time, :mod:`._spill`).
        micro_batches: Micro-batches per mini-batch (pipeline; single: accumulation).
        schedule: ``"gpipe"`` or ``"1f1b"`` (needs ``micro_batches >= len(devices)``).
        checkpoint: ``"never"``, ``"except_last"`` or ``"always"``: activation checkpointing.
        balance: None (equal layer counts), ``"time"`` or ``"memory"``: stage balance.
        optimizer: ``"adam"``, ``"sgd"`` or a function of the parameters (picklable).
        learning_rate: For a named optimizer.
        epochs: Passes over the data (after those a resumed run already did).
        batch_size: Rows per mini-batch (rounded down to a multiple of ``micro_batches``).
        dtype: ``"float32"`` or ``"float64"``.
        exclude: Columns not to use as features.
        output: The model folder, written after every epoch.
        resume: A model folder to continue from: its weights, epochs, losses and optimizer
            state (momentum, moments), so the run continues exactly as an uninterrupted one;
            a pipeline resumes as a pipeline of as many stages (keeping the checkpoint's
            stages), single or data as either; spill cannot resume yet.
        factory: ``"module:function"`` that builds ``model``, recorded so that
            :func:`load_model` can rebuild it.
        schema_name: The schema's name in a store, for the record.
        reader: How data files are read (default: as the schema recorded).
        progress: Called with each step's rows and each epoch's loss.
        memory_budget: For ``strategy="spill"``: the device memory the model trains in, bytes
            or a size such as ``"64MiB"``; the model is cut into shards that fit it.
        prefetch: For ``strategy="spill"``: read the next shard while one computes.

    Raises:
        OptionError: A bad option, a label not in the schema, a model that cannot be split.
        WorkerError: A training process raised or died (all of them are stopped).
    """
    names = [f.name for f in schema.features]
    if label not in names:
        raise OptionError(
            f"not a feature of the schema; its features are: {', '.join(names)}",
            parameter="label",
            value=label,
        )
    if dtype not in ("float32", "float64"):
        raise OptionError("float32 or float64", parameter="dtype", value=dtype)
    if epochs < 0 or batch_size < 1:
        raise OptionError("epochs >= 0 and batch_size >= 1", parameter="epochs", value=epochs)
    device_list = _devices(devices, strategy)
    check_options(
        model,
        devices=device_list,
        strategy=strategy,
        micro_batches=micro_batches,
        schedule=schedule,
        checkpoint=checkpoint,
        balance=balance,
    )
    make_optimizer = _optimizer(optimizer, learning_rate)
    budget: int | None = None
    if strategy == "spill":
        from datacheck_training._spill import parse_bytes

        if memory_budget is None:
            raise OptionError(
                "the spill strategy needs a memory budget, such as '64MiB'",
                parameter="memory_budget",
                value=None,
            )
        budget = parse_bytes(memory_budget)
    torch_dtype = getattr(torch, dtype)
    model = model.to(torch_dtype)
    start_epoch, losses = 0, []
    optimizer_states: list[dict[str, Any]] | None = None
    resumed_sizes: list[int] | None = None
    if resume is not None:
        previous = read_record(resume)
        model.load_state_dict(read_weights(resume))
        start_epoch = int(previous["epochs_done"])
        losses = [float(v) for v in previous["losses"]]
        optimizer_states = _resumed_optimizer(
            resume, previous, model, make_optimizer, strategy, len(device_list)
        )
        if optimizer_states is not None and strategy == "pipeline":
            resumed_sizes = [int(n) for n in previous["stage_sizes"]]

    rows = _Rows(valid=[])
    stats = StatsOptions(reader=reader if reader is not None else schema.reader)
    check = check_dataset(source, schema, on_quarantine=rows.add, stats_options=stats)
    valid = rows.valid
    profile = generate_statistics(pa.Table.from_batches(valid)) if valid else check.profile
    encoder = TensorEncoder.from_schema(schema, profile, label=label, exclude=exclude)
    x_np = stack(encoder, valid)
    y_parts = [encoder.labels(b) for b in valid]
    y_np = np.concatenate([p[0] for p in y_parts]) if y_parts else np.zeros((0, 1))
    has = np.concatenate([p[1] for p in y_parts]) if y_parts else np.zeros(0, dtype=bool)
    x = torch.from_numpy(x_np[has]).to(torch_dtype)
    y = torch.from_numpy(y_np[has]).to(torch_dtype)
    if len(x) < micro_batches:
        raise OptionError(
            f"{len(x)} labeled valid rows, fewer than the {micro_batches} micro-batches of "
            f"one step",
            parameter="source",
            value=str(source) if isinstance(source, str | os.PathLike) else type(source).__name__,
        )

    record: dict[str, Any] = {
        "format_version": RECORD_FORMAT_VERSION,
        "schema": {"name": schema_name, "version": schema.version},
        "profile": "profile.json",
        "encoder": encoder.to_dict(),
        "label": label,
        "factory": factory,
        "dtype": dtype,
        "strategy": strategy,
        "devices": device_list,
        "micro_batches": micro_batches,
        "schedule": schedule,
        "checkpoint": checkpoint,
        "balance": balance,
        "batch_size": batch_size,
        "rows": {
            "read": int(check.profile.num_rows),
            "quarantined": rows.quarantined,
            "unlabeled": int((~has).sum()),
            "used": 0,
            "left_over": 0,
        },
        "stage_sizes": None,
        "losses": losses,
        "epochs_done": start_epoch,
    }
    with tempfile.TemporaryDirectory(prefix="datacheck-train-") as tmp:
        data_dir, parts_dir = os.path.join(tmp, "data"), os.path.join(tmp, "parts")
        os.makedirs(data_dir)
        os.makedirs(parts_dir)
        # data: every step has a row for every replica (batch norm syncs each step)
        split = micro_batches if strategy != "data" else len(device_list)
        bounds, left_over = write_data(data_dir, x, y, batch_size, split)
        record["rows"]["used"] = len(x) - left_over
        record["rows"]["left_over"] = left_over
        if strategy == "data":
            write_shards(data_dir, x, y, bounds, len(device_list))
        sizes: list[int] = []
        if strategy == "pipeline":
            assert isinstance(model, nn.Sequential)
            sizes = resumed_sizes or _stage_sizes(
                model, len(device_list), balance, x[: max(batch_size // micro_batches, 1)]
            )
            record["stage_sizes"] = sizes
        spill_plan: Any = None
        if strategy == "spill":
            from datacheck_training._spill import plan_spill

            assert isinstance(model, nn.Sequential) and budget is not None
            spill_plan = plan_spill(
                model, x[:batch_size], make_optimizer, budget, prefetch=prefetch
            )
            record["stage_sizes"] = list(spill_plan.sizes)
            record["spill"] = {"memory_budget": budget, "prefetch": spill_plan.prefetch}
        job = Job(
            strategy=strategy,
            model=model,
            stage_sizes=sizes,
            micro_batches=micro_batches,
            schedule=schedule,
            checkpoint=checkpoint,
            optimizer=make_optimizer,
            epochs=epochs,
            start_epoch=start_epoch,
            optimizer_states=optimizer_states,
            data_dir=data_dir,
            out_dir=parts_dir,
        )
        world = len(device_list)
        if output is not None:
            Path(output).mkdir(parents=True, exist_ok=True)
            save_profile(profile, Path(output) / "profile.json")
        started = time.monotonic()

        def on_message(message: tuple[Any, ...]) -> None:
            if message[0] not in ("step", "epoch"):
                return
            if message[0] == "step":
                if progress is not None:
                    progress(Progress(kind="step", rows=int(message[2])))
                return
            _, _, epoch, loss, epoch_rows = message
            record["losses"].append(float(loss))
            record["epochs_done"] = int(epoch) + 1
            record["seconds"] = round(time.monotonic() - started, 3)
            if output is not None:
                weights, _ = read_parts(parts_dir, world)
                if strategy != "spill":  # spill keeps its optimizer state in its shard store
                    stages = world if strategy == "pipeline" else 1
                    parts = [
                        read_optimizer_part(os.path.join(parts_dir, f"optim-{k}.safetensors"))
                        for k in range(stages)
                    ]
                    record["optimizer"] = save_optimizer(output, parts)
                save_model(output, weights, record)
            if progress is not None:
                progress(
                    Progress(kind="epoch", rows=int(epoch_rows), epoch=int(epoch), loss=float(loss))
                )

        if epochs:
            if strategy in ("single", "spill"):
                try:
                    if spill_plan is not None:
                        from datacheck_training._spill import train_spilled

                        measured = train_spilled(job, spill_plan, on_message)
                        record["spill"]["peak_resident_bytes"] = measured.peak_bytes
                        if output is not None:  # the record written at the last epoch lacks it
                            save_model(output, read_parts(parts_dir, world)[0], record)
                    else:
                        train_single(job, torch.device(device_list[0]), on_message)
                except Exception as exc:  # the model's own error: one line, as from a worker
                    text = " ".join(str(exc).split())
                    raise WorkerError(
                        f"training on {device_list[0]} failed: {type(exc).__name__}: {text}"
                    ) from exc
            else:
                worker = pipeline_worker if strategy == "pipeline" else data_worker
                launch(worker, device_list, (job,), on_message=on_message)
            weights, _ = read_parts(parts_dir, world)
            model.load_state_dict(weights)
        elif output is not None:
            if optimizer_states is not None:
                record["optimizer"] = save_optimizer(output, optimizer_states)
            save_model(output, model.state_dict(), record)
    model.eval()
    trained = TrainedModel(module=model, encoder=encoder, record=dict(record))
    return TrainingRun(
        model=trained, path=str(output) if output is not None else None, record=record
    )
