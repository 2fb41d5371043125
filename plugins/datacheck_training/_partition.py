"""Splitting an ``nn.Sequential`` into K contiguous stages: the exact balance, and layer costs.

:func:`partition` is the linear-partition dynamic program: ``best[k][j]`` is the smallest
possible maximum stage cost when the first ``j`` layers form ``k`` stages, and
``best[k][j] = min over i < j of max(best[k-1][i], cost(i, j))``. It is exact, O(K·n²) with
prefix sums, and n is a model's layer count (tens to hundreds), so it costs nothing next to
training. torchgpipe's ``balance_by_time`` uses a greedy block partition that can miss the
optimum by a whole layer's cost; this one cannot (a property test checks it against brute
force). Ties are broken towards the earliest cut, so the answer is deterministic.

Costs are either measured time per layer (forward and backward of a sample batch, median of
a few runs) or memory per layer: parameter bytes plus the bytes of the layer's output
activation for a sample batch (what GPipe keeps between forward and backward).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
from torch import nn

from datacheck.errors import OptionError

__all__ = ["BALANCES", "layer_costs", "partition", "stage_cost"]

#: how stages can be balanced (None: equal layer counts)
BALANCES = ("time", "memory")


def stage_cost(costs: Sequence[float], sizes: Sequence[int]) -> float:
    """The largest stage cost of the split of ``costs`` into consecutive ``sizes``."""
    out, start = 0.0, 0
    for size in sizes:
        out = max(out, float(sum(costs[start : start + size])))
        start += size
    return out


def partition(costs: Sequence[float], stages: int) -> list[int]:
    """The sizes of ``stages`` contiguous non-empty stages minimizing the largest stage cost.

    Args:
        costs: Each layer's cost (time, bytes), non-negative, in model order.
        stages: How many stages (devices).

    Returns:
        The number of layers in each stage, in order; they sum to ``len(costs)``.

    Raises:
        OptionError: Fewer layers than stages, fewer than one stage, or a negative cost.
    """
    n = len(costs)
    if stages < 1:
        raise OptionError("at least one stage", parameter="devices", value=stages)
    if n < stages:
        raise OptionError(
            f"the model has {n} layers and cannot be split into {stages} non-empty stages; "
            f"use at most {n} devices",
            parameter="devices",
            value=stages,
        )
    if any(c < 0 for c in costs):
        raise OptionError("layer costs must be non-negative", parameter="costs", value=costs)
    prefix = [0.0]
    for c in costs:
        prefix.append(prefix[-1] + float(c))
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(stages + 1)]
    cut = [[0] * (n + 1) for _ in range(stages + 1)]
    best[0][0] = 0.0
    for k in range(1, stages + 1):
        # j layers in k stages: each stage non-empty, and the rest must fit the later stages
        for j in range(k, n - (stages - k) + 1):
            for i in range(k - 1, j):
                value = max(best[k - 1][i], prefix[j] - prefix[i])
                if value < best[k][j]:
                    best[k][j], cut[k][j] = value, i
    sizes: list[int] = []
    j = n
    for k in range(stages, 0, -1):
        i = cut[k][j]
        sizes.append(j - i)
        j = i
    return sizes[::-1]


def layer_costs(
    model: nn.Sequential, sample: torch.Tensor, *, by: str = "time", repeats: int = 3
) -> list[float]:
    """Each layer's cost on ``sample`` (a batch of inputs): ``"time"`` or ``"memory"``.

    Time: seconds of forward plus backward per layer, the median of ``repeats`` runs.
    Memory: parameter bytes plus output activation bytes.
    """
    if by not in ("time", "memory"):
        raise OptionError("'time' or 'memory'", parameter="balance", value=by)
    costs: list[float] = []
    # Measuring runs the layers in training mode; batch norm's running statistics must not
    # remember the sample, so the buffers are put back afterwards.
    saved = {name: b.clone() for name, b in model.named_buffers()}
    x = sample.detach()
    for layer in model:
        if by == "memory":
            with torch.no_grad():
                out = layer(x)
            params = sum(p.numel() * p.element_size() for p in layer.parameters())
            costs.append(float(params + out.numel() * out.element_size()))
            x = out
            continue
        runs: list[float] = []
        for _ in range(repeats):
            inp = x.clone().requires_grad_(x.is_floating_point())
            start = time.perf_counter()
            out = layer(inp)
            if out.requires_grad:
                out.sum().backward()
            runs.append(time.perf_counter() - start)
        layer.zero_grad(set_to_none=True)
        costs.append(sorted(runs)[len(runs) // 2])
        x = out.detach()
    with torch.no_grad():
        for name, b in model.named_buffers():
            b.copy_(saved[name])
    return costs
