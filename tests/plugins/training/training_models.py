"""Models, data and worker functions the training tests share (importable by spawned workers)."""

from __future__ import annotations

import os
import time
from typing import Any

import torch
from torch import nn


def mlp(
    features: int = 6, classes: int = 3, seed: int = 0, dtype: Any = torch.float64
) -> nn.Sequential:
    """Eight layers, so that it splits into 2 or 4 stages."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(features, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.Linear(16, classes),
    ).to(dtype)


def bn_mlp(
    features: int = 6, classes: int = 3, seed: int = 0, dtype: Any = torch.float64
) -> nn.Sequential:
    """Batch norm in both halves of a two-stage split."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(features, 16),
        nn.BatchNorm1d(16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.BatchNorm1d(16),
        nn.Tanh(),
        nn.Linear(16, classes),
    ).to(dtype)


def penguin_mlp() -> nn.Sequential:
    """The README's model for the penguins (19 encoded columns, 3 species)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(19, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3)
    )


def tiny() -> nn.Sequential:
    """Two layers: cannot be split into more than two stages."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(19, 4), nn.Linear(4, 3))


class Explodes(nn.Module):
    """A layer that raises in its forward on the stage that holds it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise ValueError("this layer always fails")


def exploding() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(19, 8), nn.ReLU(), Explodes(), nn.Linear(8, 3))


def record_pid(rank: int, world: int, device: Any, messages: Any, folder: str) -> None:
    """Write this worker's pid; rank 1 raises, the others wait on a collective."""
    with open(os.path.join(folder, f"pid-{rank}"), "w") as f:
        f.write(str(os.getpid()))
    if rank == 1:
        time.sleep(0.5)
        raise ValueError("worker 1 cannot go on")
    import torch.distributed as dist

    dist.barrier()  # waits for rank 1, which never comes: the parent must stop us


def dies(rank: int, world: int, device: Any, messages: Any, folder: str) -> None:
    """Rank 0 exits without a word (as if killed); rank 1 waits on a collective."""
    with open(os.path.join(folder, f"pid-{rank}"), "w") as f:
        f.write(str(os.getpid()))
    if rank == 0:
        os._exit(3)
    import torch.distributed as dist

    dist.barrier()


class FailsInWorker(nn.Module):
    """Identity in the calling process (so a plan can measure it); raises in a worker."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            raise ValueError("this shard fails on a device")
        return x


def fails_in_worker() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(19, 8), nn.ReLU(), FailsInWorker(), nn.Linear(8, 3))


class FailsOnThirdCall(nn.Module):
    """Identity twice (a memory measurement, a forward), then raises (the recomputation).

    The count is the class's: spilling copies the module at every promotion."""

    calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        FailsOnThirdCall.calls += 1
        if FailsOnThirdCall.calls >= 3:
            raise ValueError("this shard fails in its backward")
        return x


def fails_later() -> nn.Sequential:
    torch.manual_seed(0)
    FailsOnThirdCall.calls = 0
    return nn.Sequential(
        nn.Linear(19, 32), nn.ReLU(), FailsOnThirdCall(), nn.Linear(32, 32), nn.Linear(32, 3)
    )
