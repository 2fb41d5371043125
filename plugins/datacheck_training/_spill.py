"""Hydra-style model spilling: train an ``nn.Sequential`` larger than the device's memory.

The model is cut into contiguous shards that fit a memory budget (the exact partitioner of
:mod:`._partition`, on each layer's measured memory cost). Every shard's parameters, buffers
and optimizer state live in a host store: on CPU, one memory-mapped ``.npy`` file per tensor
in a private folder (:class:`HostStore`). The "device" is a bounded pool inside this process:
at most two shards are resident (the one computing and the one being prefetched).

One step (one mini-batch), for K shards:

1. Forward, shards 0..K-2 in order, without autograd; each shard's input (the checkpoint) is
   kept in host memory, not on the device, with the random-number state it started from.
2. The last shard's forward with autograd, the loss, its backward; then for shards K-2..0 in
   reverse: recompute the shard's forward from its checkpointed input (same random state,
   batch-norm buffers put back afterwards, so that running statistics move once per step as in
   plain training), backward with the gradient the next shard sent, step the shard's own
   optimizer while it is resident, write it back to the host store, evict it.
3. While one shard computes, the next in the order is read from the store on a background
   thread (the double buffer). Shard 0 stays resident from one step's backward to the next
   step's forward.

The arithmetic is the plain model's, operation for operation (same kernels on the same
tensors; optimizers keep per-parameter state, so one optimizer per shard equals one for the
whole model), so spilled training equals plain training bit for bit (a test checks SGD with
momentum and Adam, with and without prefetch).

Memory is measured, not assumed: :class:`MemoryTracker` adds up, at every point where it can
grow, the bytes of every resident tensor (parameters, buffers, gradients, optimizer state), of
the activations autograd saved (``saved_tensors_hooks``), of the shard's input, output and
gradient tensors, and the full size of a shard being prefetched from the moment its read
starts. The plan keeps each shard's cost under half the budget when prefetching (two shards
resident), under the whole budget otherwise; a test asserts the measured peak stays under.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck_training._engine import Job, _batches, _report, _save_part, soft_cross_entropy
from datacheck_training._launch import WorkerError
from datacheck_training._partition import partition, stage_cost

__all__ = [
    "HostStore",
    "MemoryTracker",
    "ShardedModel",
    "SpillPlan",
    "SpillStats",
    "check_spill_options",
    "format_bytes",
    "parse_bytes",
    "plan_spill",
    "spill_costs",
    "train_spilled",
]

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*$")


def parse_bytes(value: int | str, parameter: str = "memory_budget") -> int:
    """Bytes from an int or a size such as ``"64MiB"``, ``"2GiB"``, ``"1.5GB"``, ``"4096"``.

    Raises:
        OptionError: Not a positive size (the message names ``parameter``).
    """
    if isinstance(value, bool):
        raise OptionError("a positive size such as 64MiB", parameter=parameter, value=value)
    if isinstance(value, int):
        if value <= 0:
            raise OptionError("a positive number of bytes", parameter=parameter, value=value)
        return value
    match = _SIZE.match(str(value))
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise OptionError(
            "a size such as 64MiB, 2GiB or 1.5GB (units B, kB, MB, GB, KiB, MiB, GiB)",
            parameter=parameter,
            value=value,
        )
    out = int(float(match.group(1)) * unit)
    if out <= 0:
        raise OptionError("a positive size", parameter=parameter, value=value)
    return out


def check_spill_options(model: nn.Module, *, devices: Sequence[str], micro_batches: int) -> None:
    """Refuse what spilling cannot do: a model that is not an ``nn.Sequential``, several
    devices (:func:`~datacheck_training.train_many` spreads several models), micro-batches.

    Raises:
        OptionError: The option named in the message.
    """
    if not isinstance(model, nn.Sequential):
        raise OptionError(
            f"spilling cuts an nn.Sequential into shards; this model is a "
            f"{type(model).__name__}: write it as nn.Sequential",
            parameter="model",
            value=type(model).__name__,
        )
    if len(devices) != 1:
        raise OptionError(
            "a spilled model trains on one device; train_many spreads several models",
            parameter="devices",
            value=list(devices),
        )
    if micro_batches != 1:
        raise OptionError(
            "spilling trains whole mini-batches (lower batch_size to save memory)",
            parameter="micro_batches",
            value=micro_batches,
        )


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, for messages."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover  # the loop always returns


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _optimizer_slots(factory: Callable[[Any], torch.optim.Optimizer], dtype: torch.dtype) -> float:
    """Optimizer state bytes per parameter byte, measured on a throwaway parameter."""
    p = nn.Parameter(torch.zeros(64, dtype=dtype))
    p.grad = torch.ones_like(p)
    optimizer = factory([p])
    optimizer.step()
    state = sum(_nbytes(v) for v in optimizer.state[p].values() if isinstance(v, torch.Tensor))
    return state / _nbytes(p)


def spill_costs(
    model: nn.Sequential, sample: torch.Tensor, factory: Callable[[Any], torch.optim.Optimizer]
) -> list[float]:
    """Each layer's resident bytes while it trains on ``sample`` (one mini-batch).

    Parameters and buffers, their gradients and the optimizer's state (measured per parameter
    byte), the activations autograd saves in the layer's forward (measured), its output and
    that output's gradient.
    """
    slots = _optimizer_slots(factory, sample.dtype) if sample.is_floating_point() else 2.0
    saved_buffers = {name: b.clone() for name, b in model.named_buffers()}
    costs: list[float] = []
    x = sample.detach()
    for layer in model:
        params = {p.untyped_storage().data_ptr() for p in layer.parameters()}
        seen: dict[int, int] = {}

        def pack(t: torch.Tensor, params: set[int] = params, seen: dict[int, int] = seen) -> Any:
            storage = t.untyped_storage()
            if storage.data_ptr() not in params:
                seen[storage.data_ptr()] = storage.nbytes()
            return t

        inp = x.clone().requires_grad_(x.is_floating_point())
        try:
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                out = layer(inp)
        except Exception as exc:  # the model's own error: one line, naming the layer
            text = " ".join(str(exc).split())
            raise WorkerError(
                f"layer {len(costs)} ({type(layer).__name__}) failed while its memory was "
                f"measured: {type(exc).__name__}: {text}"
            ) from exc
        weights = sum(_nbytes(p) for p in layer.parameters())
        buffers = sum(_nbytes(b) for b in layer.buffers())
        costs.append(float(weights * (2 + slots) + buffers + sum(seen.values()) + 2 * _nbytes(out)))
        x = out.detach()
    with torch.no_grad():
        for name, b in model.named_buffers():
            b.copy_(saved_buffers[name])
    return costs


@dataclass(frozen=True, slots=True, kw_only=True)
class SpillPlan:
    """How a model is spilled: its shards and the budget they fit."""

    #: layers per shard, in order
    sizes: tuple[int, ...]
    #: each layer's measured cost in bytes
    costs: tuple[float, ...]
    #: the budget in bytes
    budget: int
    #: whether the next shard is read while one computes (two resident at once)
    prefetch: bool

    @property
    def largest_shard(self) -> float:
        """The largest shard's cost in bytes."""
        return stage_cost(self.costs, self.sizes)


def plan_spill(
    model: nn.Sequential,
    sample: torch.Tensor,
    factory: Callable[[Any], torch.optim.Optimizer],
    budget: int,
    *,
    prefetch: bool = True,
    costs: Sequence[float] | None = None,
) -> SpillPlan:
    """The fewest shards whose largest cost fits the budget (half of it when prefetching).

    A layer that fits the budget but not half of it turns prefetching off (one resident shard
    at a time) rather than failing.

    Raises:
        OptionError: A layer alone needs more than the budget (named, with its size).
    """
    layer_costs = list(costs) if costs is not None else spill_costs(model, sample, factory)
    largest = max(range(len(layer_costs)), key=lambda i: layer_costs[i])
    if layer_costs[largest] > budget:
        raise OptionError(
            f"layer {largest} ({type(model[largest]).__name__}) alone needs "
            f"{format_bytes(layer_costs[largest])} for its parameters, gradients, optimizer "
            f"state and activations on a mini-batch, more than the budget of "
            f"{format_bytes(budget)}; raise the budget or lower batch_size",
            parameter="memory_budget",
            value=budget,
        )
    if prefetch and layer_costs[largest] > budget // 2:
        prefetch = False
    capacity = budget // 2 if prefetch else budget
    # the largest shard's cost does not grow with more shards: binary search on the count
    low, high = 1, len(layer_costs)
    while low < high:
        middle = (low + high) // 2
        if stage_cost(layer_costs, partition(layer_costs, middle)) <= capacity:
            high = middle
        else:
            low = middle + 1
    sizes = partition(layer_costs, low)
    return SpillPlan(sizes=tuple(sizes), costs=tuple(layer_costs), budget=budget, prefetch=prefetch)


class HostStore:
    """Shards' tensors in a folder: one ``.npy`` file per tensor, read and written memory-mapped.

    ``index-<shard>.json`` names each tensor's file, shape and dtype; it is replaced atomically
    after the files are written, so another process reading the store sees a whole shard.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        #: this process's open mappings: file -> (its index entry, the mapping); a mapping is
        #: used only while the index still names the same file, shape and dtype
        self._maps: dict[str, tuple[tuple[Any, ...], np.ndarray[Any, Any]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"folder": self.folder}  # mappings stay in the process that opened them

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.folder = state["folder"]
        self._maps = {}

    def _mapped(self, entry: dict[str, Any]) -> np.ndarray[Any, Any]:
        """The entry's file, mapped read-write once per process (no open and header parse
        per read: the store is read and written once per shard unit)."""
        key = (entry["file"], tuple(entry["shape"]), entry["dtype"])
        cached = self._maps.get(entry["file"])
        if cached is not None and cached[0] == key:
            return cached[1]
        mapped: np.ndarray[Any, Any] = np.load(
            os.path.join(self.folder, entry["file"]), mmap_mode="r+"
        )
        self._maps[entry["file"]] = (key, mapped)
        return mapped

    def _index_path(self, shard: int) -> str:
        return os.path.join(self.folder, f"index-{shard}.json")

    def index(self, shard: int) -> dict[str, Any]:
        """The shard's tensors: name to file, shape, dtype."""
        with open(self._index_path(shard), encoding="utf-8") as f:
            out: dict[str, Any] = json.load(f)
        return out

    def nbytes(self, shard: int) -> int:
        """The bytes the shard's tensors take once read."""
        total = 0
        for entry in self.index(shard).values():
            total += (
                int(np.prod(entry["shape"], dtype=np.int64)) * np.dtype(entry["dtype"]).itemsize
            )
        return total

    def write(self, shard: int, tensors: dict[str, torch.Tensor]) -> None:
        """Write (or overwrite in place) the shard's tensors."""
        path = self._index_path(shard)
        exists = os.path.exists(path)
        old = self.index(shard) if exists else {}
        index: dict[str, Any] = {}
        for i, (name, tensor) in enumerate(sorted(tensors.items())):
            array = tensor.detach().contiguous().reshape(-1).numpy()
            file = f"{shard}-{i}.npy"
            entry: dict[str, Any] = {
                "file": file,
                "shape": list(tensor.shape),
                "dtype": array.dtype.str,
            }
            target = os.path.join(self.folder, file)
            if old.get(name) == entry:
                # no msync (7 ms a file here): the folder is scratch, and other processes
                # mapping the file share the page cache
                self._mapped(entry)[:] = array
            else:
                self._maps.pop(file, None)
                np.save(target, array)
            index[name] = entry
        if exists and index == old:
            return  # same files, shapes and dtypes: the index on disk is still right
        tmp = f"{path}.tmp{os.getpid()}-{threading.get_ident()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(index, f)
        os.replace(tmp, path)

    def read(self, shard: int) -> dict[str, torch.Tensor]:
        """The shard's tensors, copied out of the mapped files (the copy is what's resident)."""
        out: dict[str, torch.Tensor] = {}
        for name, entry in self.index(shard).items():
            out[name] = torch.from_numpy(np.array(self._mapped(entry))).reshape(entry["shape"])
        return out


class MemoryTracker:
    """The resident bytes on the device at each measured moment, and their peak."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.peak = 0
        self.samples = 0
        #: bytes of a shard being read right now (counted whole from the start of the read)
        self.reserved = 0
        #: bytes of activations saved for backward, alive now
        self.saved = 0

    def measure(self, resident: Sequence[_Resident], extra: Sequence[torch.Tensor] = ()) -> int:
        total = self.reserved + self.saved + sum(r.nbytes() for r in resident)
        total += sum(_nbytes(t) for t in extra)
        self.samples += 1
        self.peak = max(self.peak, total)
        return total


@dataclass(slots=True)
class _Resident:
    """A shard promoted to the device: its module and its optimizer."""

    index: int
    module: nn.Module
    #: None for a shard without parameters (activations only)
    optimizer: torch.optim.Optimizer | None

    def nbytes(self) -> int:
        total = sum(_nbytes(t) for t in self.module.state_dict().values())
        total += sum(_nbytes(p.grad) for p in self.module.parameters() if p.grad is not None)
        states = self.optimizer.state.values() if self.optimizer is not None else ()
        for state in states:
            total += sum(_nbytes(v) for v in state.values() if isinstance(v, torch.Tensor))
        return total

    def tensors(self) -> dict[str, torch.Tensor]:
        """Parameters, buffers and ``opt.<param>.<key>`` optimizer state, for the store."""
        out = {k: v.detach() for k, v in self.module.state_dict().items()}
        if self.optimizer is None:
            return out
        names = {id(p): n for n, p in self.module.named_parameters()}
        for p, state in self.optimizer.state.items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    out[f"opt.{names[id(p)]}.{key}"] = value
        return out


@dataclass(slots=True, kw_only=True)
class ShardedModel:
    """A model cut into shards whose state lives in a :class:`HostStore`."""

    #: each shard's layers on the meta device (structure only)
    skeletons: list[nn.Module]
    #: the first layer of each shard in the whole model
    firsts: list[int]
    factory: Callable[[Any], torch.optim.Optimizer]
    store: HostStore
    #: the random state each shard's forward started from in the current step
    rng: list[torch.Tensor] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        model: nn.Sequential,
        sizes: Sequence[int],
        factory: Callable[[Any], torch.optim.Optimizer],
        folder: str,
    ) -> ShardedModel:
        """Write each shard's starting weights to the store."""
        store = HostStore(folder)
        skeletons: list[nn.Module] = []
        firsts: list[int] = []
        first = 0
        for s, size in enumerate(sizes):
            layers = nn.Sequential(*list(model)[first : first + size])
            store.write(s, {k: v.detach().clone() for k, v in layers.state_dict().items()})
            skeletons.append(copy.deepcopy(layers).to("meta"))
            firsts.append(first)
            first += size
        return cls(skeletons=skeletons, firsts=firsts, factory=factory, store=store)

    def promote(self, shard: int) -> _Resident:
        """Read the shard from the store into fresh tensors, with its optimizer's state."""
        tensors = self.store.read(shard)
        module = copy.deepcopy(self.skeletons[shard])
        own = module.state_dict()
        module.load_state_dict({k: tensors[k] for k in own}, assign=True)
        module.train()
        params = dict(module.named_parameters())
        optimizer = self.factory(params.values()) if params else None
        for name, value in tensors.items():
            if optimizer is not None and name.startswith("opt."):
                param, _, key = name[4:].rpartition(".")
                optimizer.state[params[param]][key] = value
        return _Resident(index=shard, module=module, optimizer=optimizer)

    def write_back(self, resident: _Resident) -> None:
        self.store.write(resident.index, resident.tensors())

    def weights(self) -> dict[str, torch.Tensor]:
        """The whole model's state dict, named as in the ``nn.Sequential``."""
        out: dict[str, torch.Tensor] = {}
        for s, first in enumerate(self.firsts):
            for name, tensor in self.store.read(s).items():
                if name.startswith("opt."):
                    continue
                local, _, rest = name.partition(".")
                out[f"{first + int(local)}.{rest}"] = tensor
        return out


@contextmanager
def _rng(state: torch.Tensor) -> Iterator[None]:
    """Run with the CPU random state ``state``; the caller's state is put back after."""
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(state)
        yield


def _recompute(
    resident: _Resident, inp: torch.Tensor, rng: torch.Tensor, tracker: MemoryTracker
) -> torch.Tensor:
    """The shard's forward again, with autograd, counting the activations it saves."""
    buffers = {n: b.clone() for n, b in resident.module.named_buffers()}
    params = {p.untyped_storage().data_ptr() for p in resident.module.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params and storage.data_ptr() not in seen:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with _rng(rng), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out: torch.Tensor = resident.module(inp)
    with torch.no_grad():  # running statistics move once per step, in the forward pass
        for n, b in resident.module.named_buffers():
            b.copy_(buffers[n])
    tracker.saved = sum(seen.values())
    return out


class _Prefetcher:
    """Reads the next shard on a background thread (or in line, when prefetch is off)."""

    def __init__(self, sharded: ShardedModel, tracker: MemoryTracker, enabled: bool) -> None:
        self.sharded, self.tracker, self.enabled = sharded, tracker, enabled
        self.pool = (
            ThreadPoolExecutor(1, thread_name_prefix="datacheck-prefetch") if enabled else None
        )
        self.pending: tuple[int, Future[_Resident]] | None = None

    def start(self, shard: int) -> None:
        if self.pool is None or not 0 <= shard < len(self.sharded.skeletons):
            return
        self.tracker.reserved = self.sharded.store.nbytes(shard)
        self.pending = (shard, self.pool.submit(self.sharded.promote, shard))

    def get(self, shard: int) -> _Resident:
        if self.pending is not None and self.pending[0] == shard:
            resident = self.pending[1].result()
            self.pending = None
            self.tracker.reserved = 0
            return resident
        return self.sharded.promote(shard)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _step(
    sharded: ShardedModel,
    x: torch.Tensor,
    y: torch.Tensor,
    box: list[_Resident],
    prefetcher: _Prefetcher,
    tracker: MemoryTracker,
) -> tuple[float, _Resident]:
    """One optimizer step of the spilled model; returns the loss and shard 0, resident.

    ``box`` holds the resident shard 0 and is emptied, so that no reference outlives eviction.
    """
    k = len(sharded.skeletons)
    inputs: list[torch.Tensor] = [x]  # the checkpoints, in host memory
    rng: list[torch.Tensor] = []
    current = box.pop()
    for s in range(k - 1):
        prefetcher.start(s + 1)
        rng.append(torch.get_rng_state())
        with torch.no_grad():
            out = current.module(inputs[-1])
        tracker.measure([current], [out])
        inputs.append(out)
        if any(True for _ in current.module.buffers()):
            sharded.write_back(current)  # batch norm's running statistics moved
        del current
        current = prefetcher.get(s + 1)
    # the last shard: forward with autograd, the loss, backward
    if k > 1:
        prefetcher.start(k - 2)
    rng.append(torch.get_rng_state())
    inp = inputs[-1].detach().requires_grad_(k > 1)
    saved: dict[int, int] = {}
    params = {p.untyped_storage().data_ptr() for p in current.module.parameters()}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params and storage.data_ptr() not in saved:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits = current.module(inp)
        value = soft_cross_entropy(logits, y) / len(x)
    tracker.saved = sum(saved.values())
    tracker.measure([current], [inp, logits])
    value.backward()  # type: ignore[no-untyped-call]  # torch's stub is untyped
    tracker.saved = 0
    grad = inp.grad
    tracker.measure([current], [inp] + ([grad] if grad is not None else []))
    del logits
    for s in range(k - 1, -1, -1):
        if s < k - 1:
            inp = inputs[s].detach().requires_grad_(s > 0)
            out = _recompute(current, inp, rng[s], tracker)
            assert grad is not None
            tracker.measure([current], [inp, out, grad])
            torch.autograd.backward(out, grad)
            tracker.saved = 0
            del out
            grad = inp.grad
            tracker.measure([current], [inp] + ([grad] if grad is not None else []))
        if current.optimizer is not None:
            current.optimizer.step()
            tracker.measure([current], [grad] if grad is not None else [])
            current.optimizer.zero_grad(set_to_none=True)
        sharded.write_back(current)
        inputs[s] = x if s == 0 else torch.empty(0)
        if s == 0:
            return float(value.detach()), current
        current = prefetcher.get(s - 1)  # shard s goes: it was written back
        prefetcher.start(s - 2)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True, kw_only=True)
class SpillStats:
    """What a spilled run measured."""

    #: the largest resident bytes measured
    peak_bytes: int
    #: how many moments were measured
    samples: int
    #: the plan it ran
    plan: SpillPlan


def train_spilled(
    job: Job,
    plan: SpillPlan,
    on_message: Callable[[tuple[Any, ...]], None] | None = None,
    *,
    store: str | None = None,
) -> SpillStats:
    """Train ``job.model`` spilled in this process, as :func:`train_single` would.

    Writes ``part-0.safetensors`` after every epoch and sends the same messages.
    """
    from safetensors.torch import load_file

    model = job.model
    assert isinstance(model, nn.Sequential)
    folder = store if store is not None else os.path.join(job.out_dir, "host")
    sharded = ShardedModel.create(model, plan.sizes, job.optimizer, folder)
    tracker = MemoryTracker(plan.budget)
    prefetcher = _Prefetcher(sharded, tracker, plan.prefetch)
    data = load_file(os.path.join(job.data_dir, "data.safetensors"))
    try:
        box = [sharded.promote(0)]
        for epoch in range(job.start_epoch, job.start_epoch + job.epochs):
            loss_sum, rows = 0.0, 0
            for x, y in _batches(data):
                loss, resident = _step(sharded, x, y, box, prefetcher, tracker)
                box.append(resident)
                del resident
                loss_sum += loss * len(x)
                rows += len(x)
                if on_message is not None:
                    on_message(("step", 0, len(x)))
            _save_part(
                os.path.join(job.out_dir, "part-0.safetensors"), iter(sharded.weights().items()), {}
            )
            if on_message is not None:
                _report(_Messages(on_message), epoch, loss_sum, rows)
    finally:
        prefetcher.close()
    return SpillStats(peak_bytes=tracker.peak, samples=tracker.samples, plan=plan)


class _Messages:
    def __init__(self, on_message: Callable[[tuple[Any, ...]], None]) -> None:
        self.on_message = on_message

    def put(self, message: tuple[Any, ...]) -> None:
        self.on_message(message)
