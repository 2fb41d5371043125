"""``train_many``: a grid of models trained at once on a few devices, Hydra's way.

Every candidate model is spilled (:mod:`._spill`) into shards that fit the per-device budget;
its training becomes a chain of shard units, per mini-batch: the forwards of shards 0..K-2,
the last shard's forward, loss and backward, then the backwards of shards K-2..0 (each
recomputing its forward from the checkpointed input and stepping the shard's optimizer); at
the end of each epoch, when rows are held out, one validation forward per shard (``V``).
Devices are worker processes (forked from the training plugin's forkserver); whenever one is
free, the scheduler gives it the next unit of a ready model chosen by Sharded-LRTF
(:func:`._sharp.pick_affine`). A model's units run in order, one at a time, so each model's
arithmetic is its single-model spilled run's, and its weights equal that run's bit for bit
(a test checks it).

**The device cache.** Each worker keeps the shard modules and optimizers it has built, keyed
by (model, shard). A shard whose tensors are loaded is *resident*; the resident shards' bytes
at rest (parameters, buffers, optimizer state) plus the planned cost of the shard a unit is
running stay under ``memory_budget``, the worker's device memory: the least recently used
resident shard is evicted first, and written back to the host store only then (and only if a
unit changed it). An evicted shard keeps its module and optimizer objects (no tensors), so
loading it again is a copy out of the store's mapped files, not a module and optimizer build.
The parent mirrors which worker holds which shard (each answer names the shards evicted
during the unit) and keeps the host store coherent: a unit whose shard is resident on a busy
worker waits for it; one whose shard is resident on a free worker goes to that worker. At
the end every worker writes back what it holds.

**Affinity.** Among ready models within ``affinity`` (a fraction, default 0.05) of the most
remaining work, a worker takes the one it is already running, then one whose next shard it
holds, then one it ran last: locality where LRTF is indifferent or nearly so; LRTF's order
elsewhere.

**Look-ahead.** Each worker is sent its next unit while it runs one (two in flight), so it
never waits for the scheduler between units; a model's units stay on one worker while any is
in flight, in order, so the chain stays sequential.

State between units lives in files every worker maps once and writes in place: per model,
the activations between shards (``act-<s>.npy``, ``vact-<s>.npy`` for validation), the
gradient a shard sends back (``grad-<s>.npy``) and the random state each shard's forward
started from (``rng-<s>.npy``, the current one in ``rng.npy``). No tensor travels through a
pipe, only ``(model, step, unit)`` tuples and the unit's loss and seconds.

Remaining work is estimated from the spill plan: a unit costs its shard's measured bytes
(parameters, optimizer state, activations), twice that for a backward, the held-out rows'
share of it for a validation forward; the same proxy for every model, which is all LRTF's
order needs.

Early stopping (``stop_ratio``): whenever a model ends epoch ``e`` (counting from 1, with
``e >= min_epochs``), every model that has ended epoch ``e`` with a validation loss above
``stop_ratio`` times the best validation loss any model had at the end of epoch ``e`` stops;
its remaining units leave the queue (a unit already running finishes). Off by default.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import pickle
import sys
import tempfile
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck.io import ReaderOptions
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics
from datacheck.validate import CheckedBatch, check_dataset
from datacheck_training._encoder import TensorEncoder, stack
from datacheck_training._engine import soft_cross_entropy, write_data
from datacheck_training._launch import WorkerError, _context, _stop
from datacheck_training._sharp import pick_affine
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

__all__ = ["Candidate", "ManyRun", "ModelResult", "ModelStatus", "train_many"]

#: a shard of a model: (model index, shard index)
Key = tuple[int, int]
#: units a worker has been sent and not answered: the one it runs and the next (so that it
#: does not wait for the scheduler between units)
_LOOKAHEAD = 2


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
    #: seconds its units computed on a device (``busy_s / wall_s``: how much of its wall time
    #: it had a device)
    busy_s: float = 0.0
    #: units it ran
    units: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelStatus:
    """Where one model stands during a run (what a progress display shows)."""

    name: str
    units_done: int
    units_total: int
    #: the loss of its latest mini-batch (NaN before the first)
    loss: float
    #: epochs ended
    epochs: int
    #: the validation loss at its latest epoch's end (NaN before the first, or with no
    #: held-out rows)
    validation: float
    stopped: bool
    finished: bool


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
    #: per device: units whose shard was already resident (no read from the host store)
    cache_hits: tuple[int, ...] = ()
    #: per device: units that loaded their shard from the host store
    cache_misses: tuple[int, ...] = ()
    #: per device: the most bytes its cache accounted at once (resident shards at rest plus
    #: the running shard's planned cost); never above the budget
    cache_peak: tuple[int, ...] = ()
    #: the encoder the rows were turned into tensors with (for saving the models)
    encoder: TensorEncoder | None = None
    #: the profile of the valid rows the encoder was built from
    profile: DatasetProfile | None = None
    #: rows read, quarantined, unlabeled, trained on and held out
    rows: dict[str, int] = field(default_factory=dict)


# --- the worker: run units against its cache and the host store -----------------------------


@dataclass(slots=True, kw_only=True)
class _Model:
    """What a worker knows of one model."""

    sharded: ShardedModel
    folder: str
    #: each shard's planned cost in bytes (its working set while a unit runs)
    costs: tuple[float, ...] = ()


def _path(folder: str, kind: str, s: int | None = None) -> str:
    return os.path.join(folder, f"{kind}.npy" if s is None else f"{kind}-{s}.npy")


class _Scratch:
    """Tensors passed between units: one ``.npy`` file each, sized for the largest batch,
    mapped once per process and written in place (no new file, no rename, per unit).

    A file is made again only when a tensor does not fit it; a reader notices by the file's
    inode and maps the new one. The pipe messages order the writes before the reads.
    """

    def __init__(self) -> None:
        self.maps: dict[str, tuple[int, np.ndarray[Any, Any]]] = {}

    def _open(self, path: str) -> np.ndarray[Any, Any] | None:
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            return None
        cached = self.maps.get(path)
        if cached is not None and cached[0] == inode:
            return cached[1]
        mapped: np.ndarray[Any, Any] = np.load(path, mmap_mode="r+")
        self.maps[path] = (inode, mapped)
        return mapped

    def put(self, path: str, tensor: torch.Tensor, capacity: int = 0) -> None:
        """Write ``tensor`` (rows first) into the file, making it for ``capacity`` rows."""
        array = tensor.detach().contiguous().numpy()
        rows = array.shape[0]
        mapped = self._open(path)
        if (
            mapped is None
            or mapped.dtype != array.dtype
            or mapped.shape[1:] != array.shape[1:]
            or mapped.shape[0] < rows
        ):
            tmp = f"{path}.tmp{os.getpid()}.npy"
            shape = (max(capacity, rows), *array.shape[1:])
            mapped = np.lib.format.open_memmap(tmp, mode="w+", dtype=array.dtype, shape=shape)
            os.replace(tmp, path)
            self.maps[path] = (os.stat(path).st_ino, mapped)
        mapped[:rows] = array

    def get(self, path: str, rows: int | None = None) -> torch.Tensor:
        """The first ``rows`` rows of the file (all of them for None), copied out."""
        mapped = self._open(path)
        if mapped is None:
            raise FileNotFoundError(path)
        return torch.from_numpy(np.array(mapped if rows is None else mapped[:rows]))


def _attach(resident: _Resident, tensors: dict[str, torch.Tensor]) -> None:
    """Put the store's tensors into a shard's kept module and optimizer (same objects)."""
    module = resident.module
    params = dict(module.named_parameters())
    for name, p in params.items():
        p.data = tensors[name]
    for name, b in module.named_buffers():
        b.data = tensors[name]
    if resident.optimizer is None:
        return
    for name, value in tensors.items():
        if name.startswith("opt."):
            param, _, key = name[4:].rpartition(".")
            resident.optimizer.state[params[param]][key] = value


def _detach(resident: _Resident) -> None:
    """Drop a shard's tensors, keeping its module and optimizer objects."""
    for p in resident.module.parameters():
        p.data = torch.empty(0, dtype=p.dtype)
        p.grad = None
    for b in resident.module.buffers():
        b.data = torch.empty(0, dtype=b.dtype)
    if resident.optimizer is not None:
        resident.optimizer.state.clear()


class _Cache:
    """A worker's shards: built once, resident under the budget, least recently used out."""

    def __init__(self, models: Sequence[_Model], budget: int) -> None:
        self.models, self.budget = models, budget
        self.built: dict[Key, _Resident] = {}
        #: resident shards, least recently used first, with their bytes at rest
        self.resident: OrderedDict[Key, int] = OrderedDict()
        self.dirty: set[Key] = set()
        self.evicted: list[Key] = []
        self.hits = self.misses = self.peak = 0

    def _held(self, but: Key | None = None) -> int:
        return sum(n for key, n in self.resident.items() if key != but)

    def get(self, key: Key) -> _Resident:
        """The shard, resident; others evicted first while they and it would not fit."""
        m, s = key
        need = int(self.models[m].costs[s]) if self.models[m].costs else 0
        hit = key in self.resident
        if hit:
            self.hits += 1
            self.resident.move_to_end(key)
        else:
            self.misses += 1
        while self._held(but=key) + need > self.budget:
            self.evict(next(k for k in self.resident if k != key))
        if not hit:
            sharded = self.models[m].sharded
            resident = self.built.get(key)
            if resident is None:
                self.built[key] = sharded.promote(s)
            else:
                _attach(resident, sharded.store.read(s))
            self.resident[key] = 0
        self.peak = max(self.peak, self._held(but=key) + need)
        return self.built[key]

    def done(self, key: Key, changed: bool) -> None:
        """After a unit: mark the shard changed, recount it (its optimizer state appears at
        its first step), and evict others until the resident shards fit again."""
        if changed:
            self.dirty.add(key)
        self.resident[key] = self.built[key].nbytes()
        while self._held() > self.budget and len(self.resident) > 1:
            self.evict(next(k for k in self.resident if k != key))
        self.peak = max(self.peak, self._held())

    def evict(self, key: Key) -> None:
        resident = self.built[key]
        if key in self.dirty:
            self.models[key[0]].sharded.write_back(resident)
            self.dirty.discard(key)
        _detach(resident)
        del self.resident[key]
        self.evicted.append(key)

    def flush(self) -> None:
        """Write back and evict every resident shard."""
        for key in list(self.resident):
            self.evict(key)

    def take_evicted(self) -> list[Key]:
        out, self.evicted = self.evicted, []
        return out


def _units(k: int) -> list[tuple[str, int]]:
    """One step's units: forwards, the last shard's forward-loss-backward, backwards."""
    return (
        [("F", s) for s in range(k - 1)] + [("L", k - 1)] + [("B", s) for s in range(k - 2, -1, -1)]
    )


def run_unit(
    cache: _Cache,
    scratch: _Scratch,
    m: int,
    x: torch.Tensor,
    y: torch.Tensor,
    kind: str,
    s: int,
    capacity: int,
) -> Any:
    """Run one shard unit of model ``m`` on ``x, y`` (the step's mini-batch, or the held-out
    rows for ``"V"``). Returns the loss of an ``"L"`` unit, ``(loss, accuracy)`` of the last
    ``"V"`` unit, else None."""
    model = cache.models[m]
    folder = model.folder
    k = len(model.sharded.skeletons)
    resident = cache.get((m, s))
    rows = len(x)
    changed = False
    result: Any = None
    try:
        if kind == "V":
            inp = x if s == 0 else scratch.get(_path(folder, "vact", s), rows)
            resident.module.eval()
            try:
                with torch.no_grad():
                    out = resident.module(inp)
            finally:
                resident.module.train()
            if s < k - 1:
                scratch.put(_path(folder, "vact", s + 1), out, rows)
                return None
            loss = float(soft_cross_entropy(out, y)) / rows
            return loss, float((out.argmax(-1) == y.argmax(-1)).double().mean())
        inp = x if s == 0 else scratch.get(_path(folder, "act", s), rows)
        state = scratch.get(_path(folder, "rng"))
        if kind == "F":
            scratch.put(_path(folder, "rng", s), state)
            with _rng(state), torch.no_grad():
                out = resident.module(inp)
                after = torch.get_rng_state()
            scratch.put(_path(folder, "act", s + 1), out, capacity)
            scratch.put(_path(folder, "rng"), after)
            changed = any(True for _ in resident.module.buffers())
            return None
        inp = inp.detach().requires_grad_(s > 0)
        changed = True
        if kind == "L":
            scratch.put(_path(folder, "rng", s), state)
            with _rng(state):
                logits = resident.module(inp)
                value = soft_cross_entropy(logits, y) / rows
                after = torch.get_rng_state()
            value.backward()  # type: ignore[no-untyped-call]  # torch's stub is untyped
            result = float(value.detach())
            scratch.put(_path(folder, "rng"), after)
        else:
            rng = scratch.get(_path(folder, "rng", s))
            out = _recompute(resident, inp, rng, MemoryTracker(0))
            torch.autograd.backward(out, scratch.get(_path(folder, "grad", s + 1), rows))
        if s > 0 and inp.grad is not None:
            scratch.put(_path(folder, "grad", s), inp.grad, capacity)
        _step_shard(resident)
        return result
    finally:
        cache.done((m, s), changed)


def _step_shard(resident: _Resident) -> None:
    if resident.optimizer is not None:
        resident.optimizer.step()
        resident.optimizer.zero_grad(set_to_none=True)


def _where(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    return f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""


def _worker(rank: int, conn: Connection, payload: bytes, path: Sequence[str]) -> None:
    """Take ``("run", model, step, kind, shard)`` and ``("flush",)`` tasks until ``None``."""
    try:
        sys.path[:] = list(path)
        models, data_path, budget = pickle.loads(payload)  # written by this process's parent
        torch.set_num_threads(1)
        from safetensors.torch import load_file

        data = load_file(data_path)
        bounds = data["bounds"].tolist()
        capacity = max((b - a for a, b in itertools.pairwise(bounds)), default=1)
        cache, scratch = _Cache(models, budget), _Scratch()
        conn.send(("ready", rank))
    except BaseException as exc:  # every failure becomes one line for the parent
        conn.send(("error", rank, -1, f"{type(exc).__name__}: {exc}"))
        return
    while True:
        task = conn.recv()
        if task is None:
            return
        if task[0] == "flush":
            try:
                cache.flush()
            except BaseException as exc:  # the parent stops every worker
                text = " ".join(str(exc).split())
                conn.send(("error", rank, -1, f"writing back: {type(exc).__name__}: {text}"))
                return
            stats = (cache.hits, cache.misses, cache.peak)
            conn.send(("flushed", rank, cache.take_evicted(), stats))
            continue
        _, m, step, kind, s = task
        started = time.perf_counter()
        try:
            if kind == "V":
                x, y = data["x_val"], data["y_val"]
            else:
                x = data["x"][bounds[step] : bounds[step + 1]]
                y = data["y"][bounds[step] : bounds[step + 1]]
            result = run_unit(cache, scratch, m, x, y, kind, s, capacity)
        except BaseException as exc:  # the parent stops every worker
            text = " ".join(str(exc).split())
            where = _where(exc)
            conn.send(("error", rank, m, f"shard {s}: {type(exc).__name__}: {text}{where}"))
            return
        seconds = time.perf_counter() - started
        conn.send(("done", rank, m, result, seconds, cache.take_evicted()))


# --- the parent: data, plans, the scheduler ---------------------------------------------------


@dataclass(slots=True)
class _Encoded:
    x: torch.Tensor
    y: torch.Tensor
    encoder: TensorEncoder
    profile: DatasetProfile
    rows: dict[str, int]


def _encode(
    source: object,
    schema: Schema,
    label: str,
    dtype: torch.dtype,
    exclude: Sequence[str],
    reader: ReaderOptions | None,
) -> _Encoded:
    """The valid, labeled rows of ``source`` encoded as :func:`train` encodes them."""
    valid: list[pa.RecordBatch] = []
    quarantined = [0]

    def keep(checked: CheckedBatch) -> None:
        if checked.batch.num_rows and checked.valid.num_rows:
            valid.append(checked.valid)
        quarantined[0] += int(checked.quarantined_rows.size)

    stats = StatsOptions(reader=reader if reader is not None else schema.reader)
    check = check_dataset(source, schema, on_quarantine=keep, stats_options=stats)
    profile = generate_statistics(pa.Table.from_batches(valid)) if valid else check.profile
    encoder = TensorEncoder.from_schema(schema, profile, label=label, exclude=exclude)
    x_np = stack(encoder, valid)
    parts = [encoder.labels(b) for b in valid]
    y_np = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 1))
    has = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool)
    rows = {
        "read": int(check.profile.num_rows),
        "quarantined": quarantined[0],
        "unlabeled": int((~has).sum()),
    }
    return _Encoded(
        x=torch.from_numpy(x_np[has]).to(dtype),
        y=torch.from_numpy(y_np[has]).to(dtype),
        encoder=encoder,
        profile=profile,
        rows=rows,
    )


@dataclass(slots=True)
class _Progress:
    """A model's place in its chain of units, and what it has reported."""

    plan: SpillPlan
    #: one epoch's units: (kind, shard, step); step -1 for validation
    epoch_units: list[tuple[str, int, int]]
    costs: list[float]
    total_units: int
    done_units: int = 0
    remaining: float = 0.0
    #: units sent to a worker (the next one to send is ``epoch_units[dispatched % ...]``)
    dispatched: int = 0
    #: units sent and not yet answered, all on worker ``inflight_rank``
    inflight: int = 0
    inflight_rank: int = -1
    #: the cost of the units not yet sent (what LRTF orders by)
    undispatched: float = 0.0
    stopped: bool = False
    losses: list[float] = field(default_factory=list)
    validation: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    epoch_loss: float = 0.0
    epoch_rows: int = 0
    last_loss: float = math.nan
    pending: tuple[float, float] = (math.nan, math.nan)
    finished_s: float = 0.0
    busy_s: float = 0.0
    #: the worker that ran its latest unit
    last_rank: int = -1

    @property
    def finished(self) -> bool:
        return self.stopped or self.done_units == self.total_units

    @property
    def to_send(self) -> bool:
        return not self.stopped and self.dispatched < self.total_units

    def next_unit(self) -> tuple[str, int, int]:
        """The next unit to send."""
        return self.epoch_units[self.dispatched % len(self.epoch_units)]


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
    monitor: Callable[[Sequence[ModelStatus]], None] | None = None,
    affinity: float = 0.05,
) -> ManyRun:
    """Train every model on the valid rows of ``source``, spilled, on ``devices`` workers.

    Args:
        models: Networks (``nn.Sequential``; Adam at 1e-3) or :class:`Candidate` objects.
        source: The data, as for :func:`train`.
        schema: Rows that fail it are never trained on.
        label: The label column.
        devices: Worker processes (each a device with ``memory_budget``).
        memory_budget: Each device's memory, bytes or a size such as ``"64MiB"``: the
            largest shard, and the shards a worker keeps resident between units, fit it.
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
        monitor: Called after every unit with every model's :class:`ModelStatus`.
        affinity: How near (a fraction of the most remaining work) a model must be to the
            front runner for a worker holding its shard to take it first; 0: ties only.

    Raises:
        OptionError: A bad option, a model that is not an ``nn.Sequential``, a budget under
            a model's largest layer (the model, the layer and its size named).
        WorkerError: A unit raised or a worker died; every worker was stopped.
    """
    budget = parse_bytes(memory_budget)
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise OptionError("at least 1", parameter="devices", value=devices)
    if not models:
        raise OptionError("at least one model", parameter="models", value=[])
    if not 0 <= validation < 1:
        raise OptionError("a fraction in [0, 1)", parameter="validation", value=validation)
    if dtype not in ("float32", "float64"):
        raise OptionError("float32 or float64", parameter="dtype", value=dtype)
    if epochs < 1 or batch_size < 1:
        raise OptionError("epochs >= 1 and batch_size >= 1", parameter="epochs", value=epochs)
    if not 0 <= affinity < 1:
        raise OptionError("a fraction in [0, 1)", parameter="affinity", value=affinity)
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
    encoded = _encode(source, schema, label, torch_dtype, exclude, reader)
    x_all, y_all = encoded.x, encoded.y
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
    rows = {**encoded.rows, "used": len(x), "held_out": len(x_val)}
    rng = torch.get_rng_state()
    with tempfile.TemporaryDirectory(prefix="datacheck-many-") as tmp:
        write_data(tmp, x, y, batch_size, 1)
        from safetensors.torch import load_file, save_file

        data_path = os.path.join(tmp, "data.safetensors")
        data = load_file(data_path)
        if len(x_val):
            save_file({**data, "x_val": x_val.contiguous(), "y_val": y_val.contiguous()}, data_path)
        bounds = data["bounds"].tolist()
        steps = len(bounds) - 1
        worker_models: list[_Model] = []
        progress_of: list[_Progress] = []
        scratch = _Scratch()
        for i, c in enumerate(candidates):
            module = copy.deepcopy(c.model).to(torch_dtype)
            assert isinstance(module, nn.Sequential)
            factory = _optimizer(c)
            try:
                plan = plan_spill(module, x[:batch_size], factory, budget, prefetch=False)
            except OptionError as exc:
                raise OptionError(
                    f"{names[i]}: {exc.reason}", parameter=exc.parameter, value=exc.value
                ) from None
            folder = os.path.join(tmp, f"m{i}")
            sharded = ShardedModel.create(module, plan.sizes, factory, os.path.join(folder, "host"))
            scratch.put(_path(folder, "rng"), rng)
            shard_costs, first = [], 0
            for size in plan.sizes:
                shard_costs.append(float(sum(plan.costs[first : first + size])))
                first += size
            worker_models.append(_Model(sharded=sharded, folder=folder, costs=tuple(shard_costs)))
            share = len(x_val) / max(batch_size, 1)
            epoch_units = [
                (kind, s, step) for step in range(steps) for kind, s in _units(len(plan.sizes))
            ]
            if len(x_val):
                epoch_units += [("V", s, -1) for s in range(len(plan.sizes))]
            weight = {"F": 1.0, "L": 2.0, "B": 2.0, "V": share}
            costs = [shard_costs[s] * weight[kind] for kind, s, _ in epoch_units]
            progress_of.append(
                _Progress(
                    plan=plan,
                    epoch_units=epoch_units,
                    costs=costs,
                    total_units=epochs * len(epoch_units),
                    remaining=float(sum(costs)) * epochs,
                    undispatched=float(sum(costs)) * epochs,
                )
            )
        payload = pickle.dumps((worker_models, data_path, budget))
        scheduler = _Scheduler(
            progress_of=progress_of,
            names=names,
            devices=devices,
            bounds=bounds,
            stop_ratio=stop_ratio,
            min_epochs=min_epochs,
            progress=progress,
            monitor=monitor,
            affinity=affinity,
        )
        scheduler.run(payload)
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
                    busy_s=p.busy_s,
                    units=p.done_units,
                )
            )
    scores = [r.validation[-1] if r.validation else math.inf for r in results]
    best = min(range(len(results)), key=lambda i: (math.isnan(scores[i]), scores[i], i))
    makespan = scheduler.makespan
    return ManyRun(
        results=tuple(results),
        best=best,
        makespan_s=makespan,
        busy=tuple(b / makespan if makespan else 0.0 for b in scheduler.busy),
        units=scheduler.count,
        cache_hits=tuple(scheduler.hits),
        cache_misses=tuple(scheduler.misses),
        cache_peak=tuple(scheduler.peak),
        encoder=encoded.encoder,
        profile=encoded.profile,
        rows=rows,
    )


@dataclass(slots=True, kw_only=True)
class _Scheduler:
    """Sharded-LRTF over worker processes, with the device caches mirrored."""

    progress_of: list[_Progress]
    names: list[str]
    devices: int
    bounds: list[int]
    stop_ratio: float | None
    min_epochs: int
    progress: Callable[[str, int, float, float], None] | None
    monitor: Callable[[Sequence[ModelStatus]], None] | None
    affinity: float
    #: which worker holds each resident shard
    holder: dict[Key, int] = field(default_factory=dict)
    #: per worker: the units sent and not yet answered, in order
    outstanding: list[deque[Key]] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    misses: list[int] = field(default_factory=list)
    peak: list[int] = field(default_factory=list)
    best_at: dict[int, float] = field(default_factory=dict)
    count: int = 0
    makespan: float = 0.0
    started: float = 0.0

    def run(self, payload: bytes) -> None:
        context = _context()
        devices = self.devices
        pipes = [context.Pipe() for _ in range(devices)]
        processes = [
            context.Process(
                target=_worker, args=(rank, pipes[rank][1], payload, list(sys.path)), daemon=True
            )
            for rank in range(devices)
        ]
        conns = [p[0] for p in pipes]
        self.busy = [0.0] * devices
        self.hits, self.misses, self.peak = [0] * devices, [0] * devices, [0] * devices
        try:
            for p in processes:
                p.start()
            for rank, conn in enumerate(conns):  # start the clock once every worker is up
                wait([conn, processes[rank].sentinel])
                message = conn.recv() if conn.poll() else ("error", rank, -1, "it died")
                if message[0] != "ready":
                    raise WorkerError(f"training worker {rank} could not start: {message[3]}")
            self.started = time.monotonic()
            self.outstanding = [deque() for _ in range(devices)]
            while not all(p.finished and not p.inflight for p in self.progress_of):
                self._dispatch(conns)
                for rank, message in self._receive(conns, processes):
                    self._done(rank, message, self.outstanding[rank].popleft())
            self.makespan = time.monotonic() - self.started
            for conn in conns:  # every worker writes back what it holds
                conn.send(("flush",))
            for rank in range(devices):
                wait([conns[rank], processes[rank].sentinel])
                message = self._message(rank, conns, processes)
                _, _, evicted, (hits, misses, peak) = message
                self.hits[rank], self.misses[rank], self.peak[rank] = hits, misses, peak
                for key in evicted:
                    self.holder.pop(tuple(key), None)
            for conn in conns:
                conn.send(None)
            for p in processes:
                p.join(5.0)
        finally:
            _stop(processes)
            for a, b in pipes:
                a.close()
                b.close()

    def _message(self, rank: int, conns: list[Connection], processes: list[Any]) -> Any:
        """The worker's answer; its error or death as a WorkerError."""
        if not conns[rank].poll():
            raise WorkerError(
                f"training worker {rank} died with exit code {processes[rank].exitcode}"
            )
        message = conns[rank].recv()
        if message[0] == "error":
            _, _, m, text = message
            which = f" training {self.names[m]}" if m >= 0 else ""
            raise WorkerError(f"training worker {rank}{which} failed: {text}")
        return message

    def _dispatch(self, conns: list[Connection]) -> None:
        """Keep every worker's queue full (``_LOOKAHEAD`` units: the one it runs and the
        next, so that it never waits for this process between units), idle workers first."""
        progress_of = self.progress_of
        while True:
            open_ranks = [r for r in range(self.devices) if len(self.outstanding[r]) < _LOOKAHEAD]
            for rank in sorted(open_ranks, key=lambda r: (len(self.outstanding[r]), r)):
                m = self._choose(rank)
                if m is not None:
                    break
            else:
                return
            p = progress_of[m]
            kind, s, step = p.next_unit()
            conns[rank].send(("run", m, step, kind, s))
            self.outstanding[rank].append((m, s))
            self.holder[(m, s)] = rank
            p.undispatched -= p.costs[p.dispatched % len(p.epoch_units)]
            p.dispatched += 1
            p.inflight += 1
            p.inflight_rank = p.last_rank = rank

    def _choose(self, rank: int) -> int | None:
        """The model whose next unit worker ``rank`` takes: Sharded-LRTF over the models it
        may run (none of a model's units elsewhere in flight; its shard not resident on
        another worker), near ties to the one it already runs or holds."""
        ready: list[int] = []
        score: dict[int, int] = {}
        for m, p in enumerate(self.progress_of):
            if not p.to_send or (p.inflight and p.inflight_rank != rank):
                continue
            holder = self.holder.get((m, p.next_unit()[1]))
            if holder is not None and holder != rank:
                continue  # resident on another worker: it runs there, once that one is free
            ready.append(m)
            if p.inflight:
                score[m] = 3
            elif holder == rank:
                score[m] = 2
            elif p.last_rank == rank:
                score[m] = 1
        if not ready:
            return None
        undispatched = [p.undispatched for p in self.progress_of]
        return pick_affine(ready, undispatched, score, self.affinity)

    def _receive(self, conns: list[Connection], processes: list[Any]) -> list[tuple[int, Any]]:
        """Wait for at least one answer; return every answer there is."""
        waiting = [conns[r] for r in range(self.devices) if self.outstanding[r]]
        sentinels = [p.sentinel for p in processes]
        for ready_conn in wait(waiting + sentinels):
            if isinstance(ready_conn, int):
                dead = sentinels.index(ready_conn)
                if not self.outstanding[dead] or not conns[dead].poll():
                    raise WorkerError(
                        f"training worker {dead} died with exit code {processes[dead].exitcode}"
                    )
        out = []
        for rank in range(self.devices):
            if self.outstanding[rank] and conns[rank].poll():
                out.append((rank, self._message(rank, conns, processes)))
        return out

    def _done(self, rank: int, message: Any, key: Key) -> None:
        _, _, m, result, seconds, evicted = message
        for shard in evicted:
            if self.holder.get(tuple(shard)) == rank:
                del self.holder[tuple(shard)]
        self.holder[key] = rank  # resident after its unit (a queued unit may have reloaded it)
        self.busy[rank] += seconds
        self.count += 1
        p = self.progress_of[m]
        p.busy_s += seconds
        self._finish_unit(m, result, time.monotonic() - self.started)
        if self.monitor is not None:
            self.monitor(self.statuses())

    def statuses(self) -> list[ModelStatus]:
        """Every model's place now."""
        return [
            ModelStatus(
                name=self.names[m],
                units_done=p.done_units,
                units_total=p.total_units,
                loss=p.last_loss,
                epochs=len(p.losses),
                validation=p.validation[-1] if p.validation else math.nan,
                stopped=p.stopped,
                finished=p.finished,
            )
            for m, p in enumerate(self.progress_of)
        ]

    def _finish_unit(self, m: int, result: Any, now: float) -> None:
        """Account for a finished unit; at an epoch's end, record it and maybe stop models."""
        p = self.progress_of[m]
        p.inflight -= 1
        position = p.done_units % len(p.epoch_units)
        kind, _, step = p.epoch_units[position]
        p.remaining -= p.costs[position]
        p.done_units += 1
        p.finished_s = now
        if kind == "L":
            rows = self.bounds[step + 1] - self.bounds[step]
            p.epoch_loss += result * rows
            p.epoch_rows += rows
            p.last_loss = result
        elif kind == "V" and result is not None:
            p.pending = result
        if p.done_units % len(p.epoch_units):
            return
        epoch = len(p.losses)
        p.losses.append(p.epoch_loss / max(p.epoch_rows, 1))
        p.epoch_loss, p.epoch_rows = 0.0, 0
        value, accuracy = p.pending
        p.pending = (math.nan, math.nan)
        p.validation.append(value)
        p.accuracy.append(accuracy)
        if self.progress is not None:
            self.progress(self.names[m], epoch, p.losses[-1], value)
        if math.isnan(value):
            return
        self.best_at[epoch] = min(self.best_at.get(epoch, math.inf), value)
        if self.stop_ratio is None or epoch + 1 < self.min_epochs:
            return
        # every model that has reached this epoch is judged against the best so far, so the
        # order in which models reach it does not matter
        for other in self.progress_of:
            if (
                not other.finished
                and len(other.validation) > epoch
                and other.validation[epoch] > self.stop_ratio * self.best_at[epoch]
            ):
                other.stopped = True
