"""``train_many``: a grid of models trained at once on a few devices, Hydra's way.

Every candidate model is spilled (:mod:`._spill`) into shards that fit the per-device budget;
its training becomes a chain of shard units, per mini-batch: the forwards of shards 0..K-2,
the last shard's forward, loss and backward, then the backwards of shards K-2..0 (each
recomputing its forward from the checkpointed input and stepping the shard's optimizer).
Devices are worker processes (forked from the training plugin's forkserver); whenever one is
free, the scheduler gives it the next unit of the ready model with the most remaining work
(Sharded-LRTF, :func:`._sharp.pick`). A model's units run in order, one at a time, so each
model's arithmetic is its single-model spilled run's, and its weights equal that run's bit for
bit (a test checks it).

State lives in the host store, which every worker maps: per model, a folder with each shard's
parameters and optimizer state (:class:`._spill.HostStore`), the activations between shards
(``act-<s>.npy``), the gradient a shard sends back (``grad-<s>.npy``) and the random state
each shard's forward started from (``rng-<s>.npy``). A unit reads what it needs, computes,
writes back; no tensor travels through a pipe, only ``(model, step, unit)`` tuples and the
unit's loss and seconds.

Remaining work is estimated from the spill plan: a unit costs its shard's measured bytes
(parameters, optimizer state, activations), twice that for a backward; the same proxy for
every model, which is all LRTF's order needs.

Early stopping (``stop_ratio``): whenever a model ends epoch ``e`` (counting from 1, with
``e >= min_epochs``), every model that has ended epoch ``e`` with a validation loss above
``stop_ratio`` times the best validation loss any model had at the end of epoch ``e`` stops;
its remaining units leave the queue (a unit already running finishes). Off by default.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck.io import ReaderOptions
from datacheck.schema import Schema
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.validate import CheckedBatch, check_dataset
from datacheck_training._encoder import TensorEncoder, stack
from datacheck_training._engine import soft_cross_entropy, write_data
from datacheck_training._launch import WorkerError, _context, _stop
from datacheck_training._sharp import pick
from datacheck_training._spill import (
    MemoryTracker,
    ShardedModel,
    SpillPlan,
    _recompute,
    _Resident,
    _rng,
    parse_bytes,
    plan_spill,
)

__all__ = ["Candidate", "ManyRun", "ModelResult", "train_many"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One model of the grid with its own hyper-parameters."""

    #: the network (an ``nn.Sequential``), with its starting weights
    model: nn.Module
    #: ``"adam"``, ``"sgd"`` or a picklable function of the parameters
    optimizer: str | Callable[..., torch.optim.Optimizer] = "adam"
    learning_rate: float = 1e-3
    #: how the model is named in reports (default ``model-<i>``)
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelResult:
    """One model's run."""

    name: str
    #: the trained network
    module: nn.Module
    #: mean training loss per epoch
    losses: tuple[float, ...]
    #: validation loss per epoch
    validation: tuple[float, ...]
    #: validation accuracy per epoch (argmax against the label's most likely class)
    accuracy: tuple[float, ...]
    #: seconds from the start of the run to this model's last unit
    wall_s: float
    #: layers per shard
    stage_sizes: tuple[int, ...]
    #: stopped early by the rule in the module's docstring
    stopped: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ManyRun:
    """What :func:`train_many` made."""

    results: tuple[ModelResult, ...]
    #: the index of the model with the lowest last validation loss
    best: int
    #: seconds from the first unit to the last
    makespan_s: float
    #: per device: the fraction of the makespan it computed
    busy: tuple[float, ...]
    #: units run
    units: int


# --- the worker: run units against the host store -------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Model:
    """What a worker knows of one model."""

    sharded: ShardedModel
    folder: str


def _path(folder: str, kind: str, s: int) -> str:
    return os.path.join(folder, f"{kind}-{s}.npy")


def _save(path: str, tensor: torch.Tensor) -> None:
    tmp = f"{path}.tmp{os.getpid()}.npy"
    np.save(tmp, tensor.detach().contiguous().numpy())
    os.replace(tmp, path)


def _load(path: str) -> torch.Tensor:
    return torch.from_numpy(np.load(path))


def _units(k: int) -> list[tuple[str, int]]:
    """One step's units: forwards, the last shard's forward-loss-backward, backwards."""
    return (
        [("F", s) for s in range(k - 1)] + [("L", k - 1)] + [("B", s) for s in range(k - 2, -1, -1)]
    )


def run_unit(model: _Model, x: torch.Tensor, y: torch.Tensor, kind: str, s: int) -> float | None:
    """Run one shard unit on the step's mini-batch ``x, y``; the loss for an ``"L"`` unit."""
    sharded, folder = model.sharded, model.folder
    k = len(sharded.skeletons)
    resident = sharded.promote(s)
    inp = x if s == 0 else _load(_path(folder, "act", s))
    state = _load(os.path.join(folder, "rng.npy"))
    if kind == "F":
        _save(_path(folder, "rng", s), state)
        with _rng(state), torch.no_grad():
            out = resident.module(inp)
            after = torch.get_rng_state()
        _save(_path(folder, "act", s + 1), out)
        _save(os.path.join(folder, "rng.npy"), after)
        if any(True for _ in resident.module.buffers()):
            sharded.write_back(resident)
        return None
    loss: float | None = None
    inp = inp.detach().requires_grad_(s > 0)
    if kind == "L":
        _save(_path(folder, "rng", s), state)
        with _rng(state):
            logits = resident.module(inp)
            value = soft_cross_entropy(logits, y) / len(x)
            after = torch.get_rng_state()
        value.backward()  # type: ignore[no-untyped-call]  # torch's stub is untyped
        loss = float(value.detach())
        _save(os.path.join(folder, "rng.npy"), after)
    else:
        out = _recompute(resident, inp, _load(_path(folder, "rng", s)), MemoryTracker(0))
        torch.autograd.backward(out, _load(_path(folder, "grad", s + 1)))
    if s > 0 and inp.grad is not None:
        _save(_path(folder, "grad", s), inp.grad)
    _step_shard(resident)
    sharded.write_back(resident)
    del k
    return loss


def _step_shard(resident: _Resident) -> None:
    if resident.optimizer is not None:
        resident.optimizer.step()
        resident.optimizer.zero_grad(set_to_none=True)


def _worker(rank: int, conn: Connection, payload: bytes, path: Sequence[str]) -> None:
    """Take ``(model, step, kind, shard)`` tasks until ``None``; answer each."""
    try:
        sys.path[:] = list(path)
        models, data_path = pickle.loads(payload)  # written by this process's parent
        torch.set_num_threads(1)
        from safetensors.torch import load_file

        data = load_file(data_path)
        bounds = data["bounds"].tolist()
        conn.send(("ready", rank))
    except BaseException as exc:  # every failure becomes one line for the parent
        conn.send(("error", rank, -1, f"{type(exc).__name__}: {exc}"))
        return
    while True:
        task = conn.recv()
        if task is None:
            return
        m, step, kind, s = task
        started = time.perf_counter()
        try:
            x = data["x"][bounds[step] : bounds[step + 1]]
            y = data["y"][bounds[step] : bounds[step + 1]]
            loss = run_unit(models[m], x, y, kind, s)
        except BaseException as exc:  # the parent stops every worker
            last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
            text = " ".join(str(exc).split())
            conn.send(("error", rank, m, f"shard {s}: {type(exc).__name__}: {text}{where}"))
            return
        conn.send(("done", rank, m, loss, time.perf_counter() - started))


# --- the parent: data, plans, the scheduler ---------------------------------------------------


def _encode(
    source: object,
    schema: Schema,
    label: str,
    dtype: torch.dtype,
    exclude: Sequence[str],
    reader: ReaderOptions | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The valid, labeled rows of ``source`` encoded as :func:`train` encodes them."""
    valid: list[pa.RecordBatch] = []

    def keep(checked: CheckedBatch) -> None:
        if checked.batch.num_rows and checked.valid.num_rows:
            valid.append(checked.valid)

    stats = StatsOptions(reader=reader if reader is not None else schema.reader)
    check = check_dataset(source, schema, on_quarantine=keep, stats_options=stats)
    profile = generate_statistics(pa.Table.from_batches(valid)) if valid else check.profile
    encoder = TensorEncoder.from_schema(schema, profile, label=label, exclude=exclude)
    x_np = stack(encoder, valid)
    parts = [encoder.labels(b) for b in valid]
    y_np = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 1))
    has = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool)
    return torch.from_numpy(x_np[has]).to(dtype), torch.from_numpy(y_np[has]).to(dtype)


def _evaluate(sharded: ShardedModel, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Validation loss and accuracy, one shard resident at a time."""
    if not len(x):
        return math.nan, math.nan
    out = x
    for s in range(len(sharded.skeletons)):
        resident = sharded.promote(s)
        resident.module.eval()
        with torch.no_grad():
            out = resident.module(out)
        del resident
    loss = float(soft_cross_entropy(out, y)) / len(x)
    accuracy = float((out.argmax(-1) == y.argmax(-1)).double().mean())
    return loss, accuracy


@dataclass(slots=True)
class _Progress:
    """A model's place in its chain of units, and what it has reported."""

    plan: SpillPlan
    costs: list[float]
    units: list[tuple[str, int]]
    total_units: int
    done_units: int = 0
    remaining: float = 0.0
    running: bool = False
    stopped: bool = False
    losses: list[float] = field(default_factory=list)
    validation: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    epoch_loss: float = 0.0
    epoch_rows: int = 0
    finished_s: float = 0.0

    @property
    def finished(self) -> bool:
        return self.stopped or self.done_units == self.total_units


def _optimizer(candidate: Candidate) -> Callable[..., torch.optim.Optimizer]:
    from datacheck_training._train import _optimizer as named

    factory: Callable[..., torch.optim.Optimizer] = named(
        candidate.optimizer, candidate.learning_rate
    )
    return factory


def train_many(
    models: Sequence[nn.Module | Candidate],
    source: object,
    *,
    schema: Schema,
    label: str,
    devices: int = 2,
    memory_budget: int | str,
    epochs: int = 1,
    batch_size: int = 64,
    validation: float = 0.2,
    stop_ratio: float | None = None,
    min_epochs: int = 1,
    dtype: str = "float32",
    exclude: Sequence[str] = (),
    reader: ReaderOptions | None = None,
    progress: Callable[[str, int, float, float], None] | None = None,
) -> ManyRun:
    """Train every model on the valid rows of ``source``, spilled, on ``devices`` workers.

    Args:
        models: Networks (``nn.Sequential``; Adam at 1e-3) or :class:`Candidate` objects.
        source: The data, as for :func:`train`.
        schema: Rows that fail it are never trained on.
        label: The label column.
        devices: Worker processes (each a device with ``memory_budget``).
        memory_budget: Each device's memory, bytes or a size such as ``"64MiB"``.
        epochs: Passes over the training rows.
        batch_size: Rows per mini-batch.
        validation: The fraction of rows held out (at random, seed 0) for the validation
            metric.
        stop_ratio: Early stopping (see the module docstring); None: every model trains to
            the end.
        min_epochs: Epochs every model trains before it can be stopped.
        dtype: ``"float32"`` or ``"float64"``.
        exclude: Columns not to use as features.
        reader: How data files are read.
        progress: Called with (model name, epoch, training loss, validation loss) at the end
            of each model's epoch.

    Raises:
        OptionError: A bad option, a model that is not an ``nn.Sequential``, a budget under
            a model's largest layer.
        WorkerError: A unit raised or a worker died; every worker was stopped.
    """
    budget = parse_bytes(memory_budget)
    if devices < 1:
        raise OptionError("at least 1", parameter="devices", value=devices)
    if not models:
        raise OptionError("at least one model", parameter="models", value=[])
    if not 0 <= validation < 1:
        raise OptionError("a fraction in [0, 1)", parameter="validation", value=validation)
    if dtype not in ("float32", "float64"):
        raise OptionError("float32 or float64", parameter="dtype", value=dtype)
    candidates = [m if isinstance(m, Candidate) else Candidate(model=m) for m in models]
    for i, c in enumerate(candidates):
        if not isinstance(c.model, nn.Sequential):
            raise OptionError(
                f"model {i} is a {type(c.model).__name__}; spilling needs an nn.Sequential",
                parameter="models",
                value=type(c.model).__name__,
            )
    names = [c.name or f"model-{i}" for i, c in enumerate(candidates)]
    torch_dtype = getattr(torch, dtype)
    x_all, y_all = _encode(source, schema, label, torch_dtype, exclude, reader)
    # held-out rows drawn at random (a fixed seed: files are often sorted by the label);
    # the training rows keep their order
    held = int(len(x_all) * validation)
    order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(0))
    kept = torch.ones(len(x_all), dtype=torch.bool)
    kept[order[:held]] = False
    x, y = x_all[kept], y_all[kept]
    x_val, y_val = x_all[~kept], y_all[~kept]
    if not len(x):
        raise OptionError("no labeled valid rows to train on", parameter="source", value="")
    rng = torch.get_rng_state()
    with tempfile.TemporaryDirectory(prefix="datacheck-many-") as tmp:
        write_data(tmp, x, y, batch_size, 1)
        from safetensors.torch import load_file

        bounds = load_file(os.path.join(tmp, "data.safetensors"))["bounds"].tolist()
        steps = len(bounds) - 1
        worker_models: list[_Model] = []
        progress_of: list[_Progress] = []
        for i, c in enumerate(candidates):
            module = copy.deepcopy(c.model).to(torch_dtype)
            assert isinstance(module, nn.Sequential)
            factory = _optimizer(c)
            plan = plan_spill(module, x[:batch_size], factory, budget, prefetch=False)
            folder = os.path.join(tmp, f"m{i}")
            sharded = ShardedModel.create(module, plan.sizes, factory, os.path.join(folder, "host"))
            _save(os.path.join(folder, "rng.npy"), rng)
            worker_models.append(_Model(sharded=sharded, folder=folder))
            shard_costs, first = [], 0
            for size in plan.sizes:
                shard_costs.append(float(sum(plan.costs[first : first + size])))
                first += size
            units = _units(len(plan.sizes))
            unit_costs = [shard_costs[s] * (1 if kind == "F" else 2) for kind, s in units]
            total = steps * epochs * len(units)
            progress_of.append(
                _Progress(
                    plan=plan,
                    costs=unit_costs,
                    units=units,
                    total_units=total,
                    remaining=float(sum(unit_costs)) * steps * epochs,
                )
            )
        payload = pickle.dumps((worker_models, os.path.join(tmp, "data.safetensors")))
        busy, makespan, count = _schedule(
            progress_of,
            worker_models,
            names,
            payload,
            devices,
            steps,
            bounds,
            (x_val, y_val),
            stop_ratio,
            min_epochs,
            progress,
        )
        results = []
        for i, c in enumerate(candidates):
            module = copy.deepcopy(c.model).to(torch_dtype)
            module.load_state_dict(worker_models[i].sharded.weights())
            module.eval()
            p = progress_of[i]
            results.append(
                ModelResult(
                    name=names[i],
                    module=module,
                    losses=tuple(p.losses),
                    validation=tuple(p.validation),
                    accuracy=tuple(p.accuracy),
                    wall_s=p.finished_s,
                    stage_sizes=p.plan.sizes,
                    stopped=p.stopped,
                )
            )
    scores = [r.validation[-1] if r.validation else math.inf for r in results]
    best = min(range(len(results)), key=lambda i: (math.isnan(scores[i]), scores[i], i))
    return ManyRun(
        results=tuple(results),
        best=best,
        makespan_s=makespan,
        busy=tuple(busy),
        units=count,
    )


def _schedule(
    progress_of: list[_Progress],
    worker_models: list[_Model],
    names: list[str],
    payload: bytes,
    devices: int,
    steps: int,
    bounds: list[int],
    held_out: tuple[torch.Tensor, torch.Tensor],
    stop_ratio: float | None,
    min_epochs: int,
    progress: Callable[[str, int, float, float], None] | None,
) -> tuple[list[float], float, int]:
    """Run Sharded-LRTF over worker processes. Returns busy fractions, makespan, units."""
    context = _context()
    pipes = [context.Pipe() for _ in range(devices)]
    processes = [
        context.Process(
            target=_worker, args=(rank, pipes[rank][1], payload, list(sys.path)), daemon=True
        )
        for rank in range(devices)
    ]
    conns = [p[0] for p in pipes]
    busy = [0.0] * devices
    best_at: dict[int, float] = {}
    count = 0
    try:
        for p in processes:
            p.start()
        for rank, conn in enumerate(conns):  # start the clock once every worker is up
            wait([conn, processes[rank].sentinel])
            message = conn.recv() if conn.poll() else ("error", rank, -1, "it died")
            if message[0] != "ready":
                raise WorkerError(f"training worker {rank} could not start: {message[3]}")
        started = time.monotonic()
        free = list(range(devices))
        while not all(p.finished for p in progress_of):
            ready = [m for m, p in enumerate(progress_of) if not p.finished and not p.running]
            remaining = [p.remaining for p in progress_of]
            while free and ready:
                m = pick(ready, remaining)
                ready.remove(m)
                rank = free.pop(0)
                p = progress_of[m]
                kind, s = p.units[p.done_units % len(p.units)]
                step = (p.done_units // len(p.units)) % steps
                conns[rank].send((m, step, kind, s))
                p.running = True
            waiting = [conns[r] for r in range(devices) if r not in free]
            sentinels = [p.sentinel for p in processes]
            for ready_conn in wait(waiting + sentinels):
                if isinstance(ready_conn, int):
                    dead = sentinels.index(ready_conn)
                    if conns[dead].poll():
                        continue  # its message explains it: read below
                    raise WorkerError(
                        f"training worker {dead} died with exit code {processes[dead].exitcode}"
                    )
            for rank in range(devices):
                if rank in free or not conns[rank].poll():
                    continue
                message = conns[rank].recv()
                if message[0] == "error":
                    _, _, m, text = message
                    which = f" training {names[m]}" if m >= 0 else ""
                    raise WorkerError(f"training worker {rank}{which} failed: {text}")
                _, _, m, loss, seconds = message
                busy[rank] += seconds
                count += 1
                free.append(rank)
                _finish_unit(
                    progress_of[m],
                    m,
                    names[m],
                    worker_models[m],
                    loss,
                    steps,
                    bounds,
                    held_out,
                    stop_ratio,
                    min_epochs,
                    best_at,
                    progress,
                    time.monotonic() - started,
                    progress_of,
                )
            free.sort()
        for conn in conns:
            conn.send(None)
        for p in processes:
            p.join(5.0)
    finally:
        _stop(processes)
        for a, b in pipes:
            a.close()
            b.close()
    makespan = time.monotonic() - started
    return [b / makespan if makespan else 0.0 for b in busy], makespan, count


def _finish_unit(
    p: _Progress,
    m: int,
    name: str,
    model: _Model,
    loss: float | None,
    steps: int,
    bounds: list[int],
    held_out: tuple[torch.Tensor, torch.Tensor],
    stop_ratio: float | None,
    min_epochs: int,
    best_at: dict[int, float],
    progress: Callable[[str, int, float, float], None] | None,
    now: float,
    everyone: Sequence[_Progress],
) -> None:
    """Account for a finished unit; at an epoch's end, validate and maybe stop the model."""
    p.running = False
    p.remaining -= p.costs[p.done_units % len(p.units)]
    step = (p.done_units // len(p.units)) % steps
    p.done_units += 1
    if loss is not None:
        rows = bounds[step + 1] - bounds[step]
        p.epoch_loss += loss * rows
        p.epoch_rows += rows
    p.finished_s = now
    if p.done_units % (len(p.units) * steps):
        return
    epoch = len(p.losses)
    p.losses.append(p.epoch_loss / max(p.epoch_rows, 1))
    p.epoch_loss, p.epoch_rows = 0.0, 0
    value, accuracy = _evaluate(model.sharded, *held_out)
    p.validation.append(value)
    p.accuracy.append(accuracy)
    if progress is not None:
        progress(name, epoch, p.losses[-1], value)
    if math.isnan(value):
        return
    best_at[epoch] = min(best_at.get(epoch, math.inf), value)
    if stop_ratio is None or epoch + 1 < min_epochs:
        return
    # every model that has reached this epoch is judged against the best so far, so the
    # order in which models reach it does not matter
    for other in everyone:
        if (
            not other.finished
            and len(other.validation) > epoch
            and other.validation[epoch] > stop_ratio * best_at[epoch]
        ):
            other.stopped = True
