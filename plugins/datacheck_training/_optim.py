"""The optimizer's state in a checkpoint: tensors in safetensors, the rest in the record.

A resumed run must continue as if it had never stopped, so the checkpoint holds the
optimizer's state as well as the weights: SGD's momentum buffers, Adam's moments and step
counts. ``optimizer.state_dict()`` is split in two, and nothing is pickled:

- its tensors go into a safetensors file, keyed ``state.<param index>.<slot>``
  (``state.0.momentum_buffer``, ``state.3.exp_avg_sq``, ``state.3.step``);
- its other parts (each param group's hyper-parameters and parameter indices, and the slots
  that are not tensors) go into the record's ``"optimizer"`` entry, with the file's name and
  SHA-256, so that a file changed or swapped after it was written is refused.

The single and data-parallel strategies hold one optimizer over the whole model
(:data:`OPTIMIZER_FILE`; data parallelism saves rank 0's, the same on every rank); the
pipeline strategy holds one per stage, over that stage's parameters, saved as
``optimizer.stage<k>.safetensors``. A worker writes its optimizer's state beside its weights
(``optim-<rank>.safetensors`` in the run's private folder, the non-tensor parts as the file's
metadata); the parent copies them into the model folder after every epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load, save, save_file

from datacheck.errors import InputError
from datacheck.io import write_bytes_atomic

__all__ = [
    "OPTIMIZER_FILE",
    "check_fits",
    "join_state",
    "read_optimizer",
    "read_optimizer_part",
    "save_optimizer",
    "split_state",
    "write_optimizer_part",
]

#: the optimizer's tensors in a model folder (one optimizer; per stage: ``.stage<k>``)
OPTIMIZER_FILE = "optimizer.safetensors"
_META_KEY = "datacheck_optimizer"


def _file_name(stage: int, stages: int) -> str:
    return OPTIMIZER_FILE if stages == 1 else f"optimizer.stage{stage}.safetensors"


def _plain(value: Any, where: str) -> Any:
    """``value`` as JSON (tuples become lists); anything else is refused."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v, where) for v in value]
    raise TypeError(f"the optimizer's {where} is a {type(value).__name__}, not JSON or a tensor")


def split_state(state: Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An ``optimizer.state_dict()`` as its tensors and the rest (JSON)."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, slots in state["state"].items():
        for slot, value in slots.items():
            key = f"state.{int(index)}.{slot}"
            if isinstance(value, torch.Tensor):
                tensors[key] = value.detach().cpu().contiguous()
            else:
                scalars[key] = _plain(value, key)
    groups = [
        {k: _plain(v, f"param group's {k}") for k, v in group.items()}
        for group in state["param_groups"]
    ]
    return tensors, {"param_groups": groups, "scalars": scalars}


def join_state(tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any]) -> dict[str, Any]:
    """The ``optimizer.state_dict()`` that :func:`split_state` split."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in [*tensors.items(), *meta["scalars"].items()]:
        head, _, rest = key.partition(".")
        index, _, slot = rest.partition(".")
        if head != "state" or not index.isdigit() or not slot:
            raise ValueError(f"not an optimizer state key: {key!r}")
        state.setdefault(int(index), {})[slot] = value
    groups = [dict(g) for g in meta["param_groups"]]
    return {"state": dict(sorted(state.items())), "param_groups": groups}


def write_optimizer_part(path: str, optimizer: torch.optim.Optimizer) -> None:
    """A worker's optimizer state, for the parent: safetensors with the rest as metadata."""
    tensors, meta = split_state(optimizer.state_dict())
    tmp = f"{path}.tmp{os.getpid()}"
    save_file(tensors, tmp, metadata={_META_KEY: json.dumps(meta)})
    os.replace(tmp, path)


def read_optimizer_part(path: str) -> dict[str, Any]:
    """The ``optimizer.state_dict()`` a worker wrote with :func:`write_optimizer_part`."""
    tensors: dict[str, torch.Tensor] = {}
    with safe_open(path, framework="pt") as f:
        meta = json.loads((f.metadata() or {})[_META_KEY])
        for key in f.keys():  # noqa: SIM118  # safe_open is not a mapping
            tensors[key] = f.get_tensor(key)
    return join_state(tensors, meta)


def save_optimizer(folder: str | os.PathLike[str], states: Sequence[Mapping[str, Any]]) -> Any:
    """Write each stage's optimizer state into ``folder``; the record's ``"optimizer"`` entry.

    Each file is written atomically; the entry (written with the record, after the files)
    holds the non-tensor parts and each file's SHA-256.
    """
    stages = []
    for k, state in enumerate(states):
        tensors, meta = split_state(state)
        data = save(tensors)
        name = _file_name(k, len(states))
        write_bytes_atomic(Path(folder) / name, data)
        stages.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(), **meta})
    return {"stages": stages}


def read_optimizer(
    folder: str | os.PathLike[str], record: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    """Each stage's ``optimizer.state_dict()`` saved in a model folder; None before any step.

    Raises:
        InputError: The record names no optimizer state though epochs were trained (a
            checkpoint from before it was saved), or a file is missing, changed since it was
            written, or not safetensors.
    """
    entry = record.get("optimizer")
    if entry is None:
        if int(record.get("epochs_done", 0)) == 0:
            return None
        raise InputError(
            "the checkpoint holds no optimizer state (written by an older version, or by the "
            "spill strategy), so a resumed run would not continue exactly; train again from "
            "the start",
            path=folder,
        )
    states = []
    for stage in entry["stages"]:
        path = Path(folder) / str(stage["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the optimizer state: {exc}", path=path) from None
        if hashlib.sha256(data).hexdigest() != stage["sha256"]:
            raise InputError(
                "the optimizer state is not the one the record was written with (the file "
                "changed after the checkpoint)",
                path=path,
            )
        try:
            states.append(join_state(load(data), stage))
        except (SafetensorError, ValueError, KeyError) as exc:
            raise InputError(f"cannot read the optimizer state: {exc}", path=path) from None
    return states


def check_fits(
    factory: Any, parameters: Sequence[torch.nn.Parameter], state: Mapping[str, Any], path: Any
) -> None:
    """Refuse, before any process starts, a saved state that the optimizer cannot load.

    Raises:
        InputError: The optimizer (from the factory, over ``parameters``) refuses ``state``.
    """
    optimizer = factory(list(parameters))
    saved = [set(g) for g in state["param_groups"]]
    if saved != [set(g) for g in optimizer.state_dict()["param_groups"]]:
        raise InputError(
            f"the saved optimizer state is of another optimizer (its hyper-parameters are "
            f"{', '.join(sorted(set().union(*saved) - {'params'}))}); resume with the optimizer "
            f"the checkpoint was trained with",
            path=path,
        )
    try:
        optimizer.load_state_dict(dict(state))
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        text = " ".join(str(exc).split())
        raise InputError(
            f"the saved optimizer state does not fit this optimizer and model: {text}", path=path
        ) from None
