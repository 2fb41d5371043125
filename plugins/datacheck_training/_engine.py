"""What each training process runs: single device, GPipe-style pipeline, or data parallel.

The parent (:mod:`datacheck_training._train`) writes the encoded data as safetensors files
and starts one process per device (:func:`datacheck_training._launch.launch`); each runs
:func:`pipeline_worker` or :func:`data_worker`. :func:`train_single` is the same loop in the
calling process.

The loss of a step is ``sum over rows of cross_entropy(logits, p) / rows in the mini-batch``,
with ``p`` the row's class probabilities (one-hot for a hard label). Summing per micro-batch
and dividing by the mini-batch's row count (not averaging per micro-batch) makes the
accumulated gradient the mini-batch's mean gradient exactly, also when the micro-batches are
of unequal size, and so pipelined and data-parallel training equal single-device training.

Pipeline parallelism is torch's own ``torch.distributed.pipelining``: one
:class:`~torch.distributed.pipelining.PipelineStage` per process holding a contiguous slice
of the ``nn.Sequential`` (the slices come from the exact partitioner, so no tracing is
needed), driven by ``ScheduleGPipe`` or ``Schedule1F1B`` with ``scale_grads=False``.
Checkpointing and deferred batch norm live in the stage's module (:mod:`._stage`), which the
schedules call once per micro-batch in order; torch's pipelining has neither.

Data parallelism is ``DistributedDataParallel``; each worker reads its own shard file, which
holds its part of every global mini-batch. A worker whose shard ends early leaves the
training loop inside ``torch.distributed.algorithms.Join``, which shadows its all-reduces, so
uneven shards never hang. Batch norm becomes ``SyncBatchNorm``.
"""

from __future__ import annotations

import copy
import functools
import itertools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from datacheck_training._optim import write_optimizer_part
from datacheck_training._stage import (
    StageModule,
    commit_batch_norms,
    defer_batch_norms,
    sync_batch_norms,
)

__all__ = ["Job", "data_worker", "pipeline_worker", "soft_cross_entropy", "train_single"]

OptimizerFactory = Callable[[Any], torch.optim.Optimizer]


def soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """The summed cross-entropy of ``logits`` against class probabilities ``probs``."""
    return -(probs * F.log_softmax(logits, dim=-1)).sum()


@dataclass(kw_only=True)
class Job:
    """Everything a worker needs (passed to the spawned processes)."""

    #: "pipeline", "data" or "single"
    strategy: str
    #: the model, with its starting weights
    model: nn.Module
    #: layers per stage (pipeline)
    stage_sizes: Sequence[int] = ()
    micro_batches: int = 1
    schedule: str = "gpipe"
    checkpoint: str = "never"
    #: a picklable function of the parameters (a functools.partial of an optimizer class)
    optimizer: OptimizerFactory = field(
        default_factory=lambda: functools.partial(torch.optim.SGD, lr=0.1)
    )
    epochs: int = 1
    #: the epoch numbers already done (a resumed run starts after them)
    start_epoch: int = 0
    #: folder holding ``data.safetensors`` (pipeline, single) or ``shard-<rank>`` files
    data_dir: str = ""
    #: where each rank writes ``part-<rank>.safetensors`` (weights, and ``grad.`` entries)
    out_dir: str = ""
    #: each stage's saved ``optimizer.state_dict()`` to resume from (one for single and data)
    optimizer_states: Sequence[dict[str, Any]] | None = None
    #: also write the gradients of the last step
    record_grads: bool = False
    #: time each stage's compute and each step (a ("timing", rank, busy, wall) message)
    timing: bool = False


class _BatchLoss:
    """The schedule's loss function: summed cross-entropy over the mini-batch's row count."""

    def __init__(self) -> None:
        self.rows = 1

    def __call__(self, logits: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        return soft_cross_entropy(logits, probs) / self.rows


def _batches(data: dict[str, torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    x, y, bounds = data["x"], data["y"], data["bounds"].tolist()
    for start, end in itertools.pairwise(bounds):
        yield x[start:end], y[start:end]


def _save_part(
    path: str, named: Iterator[tuple[str, torch.Tensor]], grads: dict[str, torch.Tensor]
) -> None:
    tensors = {name: t.detach().cpu().contiguous() for name, t in named}
    tensors.update({f"grad.{n}": g.detach().cpu().contiguous() for n, g in grads.items()})
    tmp = f"{path}.tmp{os.getpid()}"
    save_file(tensors, tmp)
    os.replace(tmp, path)


def _global_names(module: nn.Module, first_layer: int) -> Iterator[tuple[str, torch.Tensor]]:
    """A stage's parameters and buffers named as in the whole ``nn.Sequential``."""
    for name, tensor in module.state_dict(keep_vars=True).items():
        local, _, rest = name.removeprefix("layers.").partition(".")
        yield f"{first_layer + int(local)}.{rest}", tensor


def _stage_grads(module: nn.Module, first_layer: int) -> dict[str, torch.Tensor]:
    out = {}
    for name, p in module.named_parameters():
        if p.grad is not None:
            local, _, rest = name.removeprefix("layers.").partition(".")
            out[f"{first_layer + int(local)}.{rest}"] = p.grad
    return out


def _resumed(job: Job, parameters: Iterator[nn.Parameter], stage: int) -> torch.optim.Optimizer:
    """The job's optimizer over ``parameters``, with the stage's saved state when resuming."""
    optimizer = job.optimizer(parameters)
    if job.optimizer_states is not None:
        # a copy: stepping would otherwise change the job's tensors in place
        optimizer.load_state_dict(copy.deepcopy(job.optimizer_states[stage]))
    return optimizer


def _report(messages: Any, epoch: int, loss_sum: float, rows: int) -> None:
    messages.put(("epoch", 0, epoch, loss_sum / max(rows, 1), rows))


def _boundaries(
    model: nn.Sequential, stage_sizes: Sequence[int], example: torch.Tensor
) -> list[torch.Tensor]:
    """Example tensors at each stage's input and the last stage's output, for ``example``.

    Computed on the meta device (no arithmetic, no effect on the model), so that every stage
    is built in torch pipelining's static mode: in its dynamic mode the first step runs each
    stage once more on real tensors to learn the shapes, which a deferred batch norm would
    count as a micro-batch.
    """
    shadow = copy.deepcopy(model).to("meta").eval()
    x = torch.empty(example.shape, dtype=example.dtype, device="meta")
    out, layer = [x], 0
    with torch.no_grad():
        for size in stage_sizes:
            for _ in range(size):
                x = shadow[layer](x)
                layer += 1
            out.append(x)
    return [torch.zeros(t.shape, dtype=t.dtype) for t in out]


def pipeline_worker(rank: int, world: int, device: torch.device, messages: Any, job: Job) -> None:
    """One pipeline stage: this rank's slice of the model, driven by torch's schedule.

    torch's pipelining fixes the micro-batch shape when a stage is built; every step's
    micro-batches are of equal size (:func:`write_data`), and a step of another size (the
    last one of an epoch) gets its own stage and schedule over the same module.
    """
    from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

    model = job.model
    assert isinstance(model, nn.Sequential)
    first = sum(job.stage_sizes[:rank])
    # A copy: the spawned process received the parent's tensors in shared memory, and
    # training them in place would change the caller's model under its feet.
    layers = copy.deepcopy(nn.Sequential(*list(model)[first : first + job.stage_sizes[rank]]))
    module = StageModule(layers, mode=job.checkpoint, micro_batches=job.micro_batches)
    defer_batch_norms(module)
    module.to(device).train()
    loss = _BatchLoss()
    kind = ScheduleGPipe if job.schedule == "gpipe" else Schedule1F1B
    schedules: dict[int, Any] = {}
    optimizer = _resumed(job, module.parameters(), rank)
    data = load_file(os.path.join(job.data_dir, "data.safetensors"))
    last = rank == world - 1

    def schedule_for(rows: int) -> Any:
        size = rows // job.micro_batches
        if size not in schedules:
            example = data["x"][:size]
            shapes = _boundaries(model, job.stage_sizes, example)
            inp = shapes[rank].to(device).requires_grad_(rank > 0)
            stage = PipelineStage(
                module,
                rank,
                world,
                device,
                input_args=inp,
                output_args=shapes[rank + 1].to(device).requires_grad_(True),
            )
            schedules[size] = kind(stage, job.micro_batches, loss_fn=loss, scale_grads=False)
        return schedules[size]

    module.timed = job.timing
    wall = 0.0
    for epoch in range(job.start_epoch, job.start_epoch + job.epochs):
        loss_sum, rows = 0.0, 0
        for x, y in _batches(data):
            schedule = schedule_for(len(x))
            if job.timing:
                dist.barrier()  # every stage starts the step together
                started = time.perf_counter()
            optimizer.zero_grad()
            module.start_step()
            loss.rows = len(x)
            losses: list[torch.Tensor] = []
            if rank == 0 and last:
                schedule.step(x.to(device), target=y.to(device), losses=losses)
            elif rank == 0:
                schedule.step(x.to(device))
            elif last:
                schedule.step(target=y.to(device), losses=losses)
            else:
                schedule.step()
            if job.timing:
                dist.barrier()  # the step ends when its last backward does
                wall += time.perf_counter() - started
            optimizer.step()
            commit_batch_norms(module)
            if last:
                loss_sum += sum(float(v.detach()) for v in losses) * len(x)
                rows += len(x)
                messages.put(("step", rank, len(x)))
        _save_part(
            os.path.join(job.out_dir, f"part-{rank}.safetensors"),
            _global_names(module, first),
            _stage_grads(module, first) if job.record_grads else {},
        )
        write_optimizer_part(os.path.join(job.out_dir, f"optim-{rank}.safetensors"), optimizer)
        dist.barrier()
        if last:
            _report(messages, epoch, loss_sum, rows)
    if job.timing:
        messages.put(("timing", rank, module.busy, wall))


def data_worker(rank: int, world: int, device: torch.device, messages: Any, job: Job) -> None:
    """One data-parallel replica over this rank's shard."""
    from torch.distributed.algorithms.join import Join
    from torch.nn.parallel import DistributedDataParallel

    model = sync_batch_norms(copy.deepcopy(job.model), device)  # see pipeline_worker
    model.to(device).train()
    ids = [device.index] if device.type == "cuda" else None
    ddp = DistributedDataParallel(model, device_ids=ids)
    optimizer = _resumed(job, ddp.parameters(), 0)  # rank 0's state, the same on every rank
    shard = load_file(os.path.join(job.data_dir, f"shard-{rank}.safetensors"))
    global_rows = shard["global_rows"].tolist()
    for epoch in range(job.start_epoch, job.start_epoch + job.epochs):
        loss_sum = torch.zeros(2, dtype=torch.float64)
        with Join([ddp]):
            for step, (x, y) in enumerate(_batches(shard)):
                optimizer.zero_grad()
                # DDP averages over the replicas: scaling by world / global rows makes the sum
                # the mean over the combined mini-batch, whatever each shard's share of it.
                out = ddp(x.to(device))
                value = soft_cross_entropy(out, y.to(device)) / global_rows[step]
                (value * world).backward()
                optimizer.step()
                loss_sum[0] += float(value.detach()) * global_rows[step]
                loss_sum[1] += len(x)
                messages.put(("step", rank, len(x)))
        dist.all_reduce(loss_sum)
        if rank == 0:
            _save_part(
                os.path.join(job.out_dir, "part-0.safetensors"),
                iter(model.state_dict(keep_vars=True).items()),
                {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
                if job.record_grads
                else {},
            )
            write_optimizer_part(os.path.join(job.out_dir, "optim-0.safetensors"), optimizer)
            _report(messages, epoch, float(loss_sum[0]), int(loss_sum[1]))
        dist.barrier()


class _LocalMessages:
    def __init__(self, on_message: Callable[[tuple[Any, ...]], None] | None) -> None:
        self.on_message = on_message

    def put(self, message: tuple[Any, ...]) -> None:
        if self.on_message is not None:
            self.on_message(message)


def train_single(
    job: Job, device: torch.device, on_message: Callable[[tuple[Any, ...]], None] | None = None
) -> None:
    """Train on one device in this process (micro-batches: gradient accumulation)."""
    model = copy.deepcopy(job.model)  # as a spawned worker would: the caller's is untouched
    if job.micro_batches > 1:
        defer_batch_norms(model)
    model.to(device).train()
    optimizer = _resumed(job, model.parameters(), 0)
    data = load_file(os.path.join(job.data_dir, "data.safetensors"))
    messages = _LocalMessages(on_message)
    for epoch in range(job.start_epoch, job.start_epoch + job.epochs):
        loss_sum, rows = 0.0, 0
        for x, y in _batches(data):
            optimizer.zero_grad()
            total = 0.0
            for xs, ys in zip(
                torch.tensor_split(x, job.micro_batches),
                torch.tensor_split(y, job.micro_batches),
                strict=True,
            ):
                value = soft_cross_entropy(model(xs.to(device)), ys.to(device)) / len(x)
                value.backward()  # type: ignore[no-untyped-call]  # torch's stub is untyped
                total += float(value.detach())
            optimizer.step()
            commit_batch_norms(model)
            loss_sum += total * len(x)
            rows += len(x)
            messages.put(("step", 0, len(x)))
        _save_part(
            os.path.join(job.out_dir, "part-0.safetensors"),
            iter(model.state_dict(keep_vars=True).items()),
            {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
            if job.record_grads
            else {},
        )
        write_optimizer_part(os.path.join(job.out_dir, "optim-0.safetensors"), optimizer)
        _report(messages, epoch, loss_sum, rows)


def write_data(
    folder: str, x: torch.Tensor, y: torch.Tensor, batch_size: int, micro_batches: int
) -> tuple[list[int], int]:
    """Write ``data.safetensors``: the rows and the mini-batch bounds.

    Every mini-batch is a multiple of ``micro_batches`` rows (torch's pipelining needs
    micro-batches of one size within a step): ``batch_size`` is rounded down to a multiple,
    the last mini-batch is cut to one, and the fewer than ``micro_batches`` rows left over are
    not trained on.

    Returns:
        The bounds, and how many rows were left over.
    """
    step = max(batch_size // micro_batches, 1) * micro_batches
    n = len(x)
    usable = n - n % micro_batches
    bounds = [*range(0, usable, step), usable] if usable else [0]
    save_file(
        {"x": x.contiguous(), "y": y.contiguous(), "bounds": torch.tensor(bounds)},
        os.path.join(folder, "data.safetensors"),
    )
    return bounds, n - usable


def write_shards(
    folder: str, x: torch.Tensor, y: torch.Tensor, bounds: Sequence[int], world: int
) -> None:
    """Write ``shard-<rank>.safetensors``: each rank's share of every global mini-batch."""
    xs: list[list[torch.Tensor]] = [[] for _ in range(world)]
    ys: list[list[torch.Tensor]] = [[] for _ in range(world)]
    ends: list[list[int]] = [[0] for _ in range(world)]
    global_rows: list[list[int]] = [[] for _ in range(world)]
    for start, end in itertools.pairwise(bounds):
        pieces = torch.tensor_split(torch.arange(start, end), world)
        for rank, rows in enumerate(pieces):
            if len(rows) == 0:
                continue  # this rank's shard ends here: Join covers it
            xs[rank].append(x[rows])
            ys[rank].append(y[rows])
            ends[rank].append(ends[rank][-1] + len(rows))
            global_rows[rank].append(end - start)
    for rank in range(world):
        save_file(
            {
                "x": torch.cat(xs[rank]) if xs[rank] else x[:0],
                "y": torch.cat(ys[rank]) if ys[rank] else y[:0],
                "bounds": torch.tensor(ends[rank]),
                "global_rows": torch.tensor(global_rows[rank]),
            },
            os.path.join(folder, f"shard-{rank}.safetensors"),
        )


def read_parts(folder: str, world: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The weights and (recorded) gradients the ranks wrote, merged."""
    weights: dict[str, torch.Tensor] = {}
    grads: dict[str, torch.Tensor] = {}
    for rank in range(world):
        path = os.path.join(folder, f"part-{rank}.safetensors")
        if not os.path.exists(path):
            continue
        for name, tensor in load_file(path).items():
            if name.startswith("grad."):
                grads[name.removeprefix("grad.")] = tensor
            else:
                weights[name] = tensor
    return weights, grads


def sweep_worker(
    rank: int, world: int, device: torch.device, messages: Any, jobs: Sequence[Job]
) -> None:
    """Run several jobs one after another in the same processes (one start-up for all)."""
    for job in jobs:
        worker = pipeline_worker if job.strategy == "pipeline" else data_worker
        worker(rank, world, device, messages, job)
        dist.barrier()
