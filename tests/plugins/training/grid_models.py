"""A model factory with hyper-parameters, for the ``train-many`` tests (importable by workers)."""

from __future__ import annotations

import torch
from torch import nn


def penguin_net(width: int = 32, depth: int = 1) -> nn.Sequential:
    """An MLP over the penguins' 19 encoded columns: ``depth`` hidden blocks of ``width``."""
    torch.manual_seed(0)
    body: list[nn.Module] = []
    for _ in range(depth):
        body += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(nn.Linear(19, width), nn.ReLU(), *body, nn.Linear(width, 3))


def not_a_model(width: int = 32) -> str:
    """A factory that returns something else."""
    return f"width {width}"
