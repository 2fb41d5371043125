"""Factories the prediction tests and the README name as ``module:function``."""

from __future__ import annotations

import time

import torch
from torch import nn


def penguin_net() -> nn.Sequential:
    """19 encoded penguin columns to 3 species."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(19, 32), nn.ReLU(), nn.Linear(32, 3))


class Failing(nn.Module):
    """A model that raises on every batch."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(19, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("CUDA out of memory (simulated)")


class Slow(nn.Module):
    """A model slower than any request's time limit."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(19, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(4.0)
        return self.linear(x)


def failing() -> nn.Module:
    return Failing()


def slow() -> nn.Module:
    return Slow()
