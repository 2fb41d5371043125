"""A pipeline stage's module: activation checkpointing by mode, and deferred batch norm.

GPipe's two memory and correctness devices, as torchgpipe implements them, rewritten on
``torch.utils.checkpoint``:

- Checkpointing (``checkpoint="always" | "except_last" | "never"``): a checkpointed
  micro-batch keeps only the stage's input for backward and recomputes the stage's forward
  then. ``except_last`` skips the last micro-batch of each step, whose backward starts right
  after its forward, so recomputing it would buy no memory (GPipe's default).
- Deferred batch norm: with micro-batches, an ordinary ``BatchNorm`` would update its running
  statistics once per micro-batch, from micro-batch statistics. :class:`DeferredBatchNorm`
  normalizes each micro-batch by its own statistics (the same as gradient accumulation over
  those micro-batches on one device) but accumulates the count, mean and sum of squared
  deviations over the whole mini-batch (Chan's parallel merge, stable in fp32), and updates
  the running statistics once per step from them (:func:`commit_batch_norms`). A recomputed
  forward (checkpointing) is not counted twice. Its state-dict keys are ``BatchNorm``'s, so
  trained weights load into the plain model for serving.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch._subclasses.fake_tensor import FakeTensor
from torch.utils.checkpoint import checkpoint

__all__ = [
    "CHECKPOINT_MODES",
    "DeferredBatchNorm",
    "GroupBatchNorm",
    "StageModule",
    "commit_batch_norms",
    "defer_batch_norms",
    "sync_batch_norms",
]

#: the activation-checkpointing modes
CHECKPOINT_MODES = ("never", "except_last", "always")

# True while a checkpointed forward is being recomputed in backward. A process-wide flag, not
# a thread-local: on CUDA, backward (and so the recompute) runs on autograd's device thread.
_RECOMPUTING = [False]


def _is_real(x: torch.Tensor) -> bool:
    """False for the meta or fake tensors torch's pipelining runs a stage on to learn shapes."""
    return not (x.is_meta or isinstance(x, FakeTensor))


@contextmanager
def _recomputing(value: bool) -> Iterator[None]:
    previous = _RECOMPUTING[0]
    _RECOMPUTING[0] = value
    try:
        yield
    finally:
        _RECOMPUTING[0] = previous


class DeferredBatchNorm(nn.Module):
    """Batch norm whose running statistics are those of the whole mini-batch."""

    running_mean: torch.Tensor
    running_var: torch.Tensor
    num_batches_tracked: torch.Tensor

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm) -> None:
        super().__init__()
        self.eps = bn.eps
        self.momentum = bn.momentum
        self.affine = bn.affine
        self.weight = bn.weight
        self.bias = bn.bias
        self.register_buffer("running_mean", bn.running_mean)
        self.register_buffer("running_var", bn.running_var)
        self.register_buffer("num_batches_tracked", bn.num_batches_tracked)
        self._count = 0
        self._mean: torch.Tensor | None = None
        self._m2: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        if not _RECOMPUTING[0] and _is_real(x):
            self._track(x.detach())
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)

    def _track(self, x: torch.Tensor) -> None:
        dims = [0, *range(2, x.dim())]
        n = x.numel() // x.shape[1]
        mean = x.mean(dim=dims)
        m2 = ((x - mean.view(1, -1, *([1] * (x.dim() - 2)))) ** 2).sum(dim=dims)
        if self._mean is None or self._m2 is None:
            self._count, self._mean, self._m2 = n, mean, m2
            return
        total = self._count + n
        delta = mean - self._mean
        self._mean = self._mean + delta * (n / total)
        self._m2 = self._m2 + m2 + delta**2 * (self._count * n / total)
        self._count = total

    def commit(self) -> None:
        """Update the running statistics from the micro-batches seen since the last commit."""
        if self._mean is None or self._m2 is None or self._count < 2:
            self._count, self._mean, self._m2 = 0, None, None
            return
        var = self._m2 / (self._count - 1)
        momentum = 0.1 if self.momentum is None else self.momentum
        with torch.no_grad():
            self.running_mean.mul_(1 - momentum).add_(self._mean, alpha=momentum)
            self.running_var.mul_(1 - momentum).add_(var, alpha=momentum)
            self.num_batches_tracked.add_(1)
        self._count, self._mean, self._m2 = 0, None, None


def defer_batch_norms(module: nn.Module) -> nn.Module:
    """``module`` with every batch norm replaced by a :class:`DeferredBatchNorm` (in place)."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return DeferredBatchNorm(module)
    for name, child in module.named_children():
        setattr(module, name, defer_batch_norms(child))
    return module


def commit_batch_norms(module: nn.Module) -> None:
    """End a step: every deferred batch norm in ``module`` updates its running statistics."""
    for m in module.modules():
        if isinstance(m, DeferredBatchNorm):
            m.commit()


class _Clock(torch.autograd.Function):
    """Identity that times a stage's backward: started at its output, stopped at its input."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, stage: StageModule, start: bool) -> torch.Tensor:
        ctx.stage, ctx.start = stage, start
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        stage: StageModule = ctx.stage
        if ctx.start:
            stage._backward_started = time.perf_counter()
        else:
            stage.busy += time.perf_counter() - stage._backward_started
        return grad, None, None


class StageModule(nn.Module):
    """Consecutive layers of a model, run with activation checkpointing by mode.

    Call :meth:`start_step` before each step's micro-batches; the forward calls that follow are
    micro-batches 0, 1, ... of the step (every schedule runs a stage's forwards in order).
    """

    def __init__(self, layers: nn.Sequential, *, mode: str = "never", micro_batches: int = 1):
        super().__init__()
        self.layers = layers
        self.mode = mode
        self.micro_batches = micro_batches
        self._calls = 0
        #: when set, :attr:`busy` adds up the seconds spent in forward and backward
        self.timed = False
        #: seconds computing (forward, backward, recomputation) while :attr:`timed`
        self.busy = 0.0
        self._backward_started = 0.0

    def start_step(self) -> None:
        self._calls = 0

    def _checkpointed(self, index: int) -> bool:
        if not (self.training and torch.is_grad_enabled()) or self.mode == "never":
            return False
        return self.mode == "always" or index < self.micro_batches - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _is_real(x):  # torch's shape inference: not a micro-batch
            shapes: torch.Tensor = self.layers(x)
            return shapes
        if not self.timed:
            return self._forward(x)
        if not x.requires_grad:  # the first stage: a graph edge to stop the backward clock at
            x = x.detach().requires_grad_(torch.is_grad_enabled())
        start = time.perf_counter()
        out = self._forward(_Clock.apply(x, self, False))  # type: ignore[no-untyped-call]  # untyped in torch
        self.busy += time.perf_counter() - start
        result: torch.Tensor = _Clock.apply(out, self, True)  # type: ignore[no-untyped-call]  # untyped in torch
        return result

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        index = self._calls
        self._calls += 1
        if not self._checkpointed(index):
            out: torch.Tensor = self.layers(x)
            return out
        calls = [0]

        def run(inp: torch.Tensor) -> torch.Tensor:
            calls[0] += 1
            with _recomputing(calls[0] > 1):
                result: torch.Tensor = self.layers(inp)
                return result

        result: torch.Tensor = checkpoint(run, x, use_reentrant=False)
        return result


class _SyncNorm(torch.autograd.Function):
    """Batch normalization over the rows of every process, for gloo (CPU) process groups."""

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        import torch.distributed as dist

        dims = [0, *range(2, x.dim())]
        shape = [1, -1, *([1] * (x.dim() - 2))]
        local = torch.cat([x.new_tensor([x.numel() // x.shape[1]]), x.sum(dim=dims)])
        dist.all_reduce(local)
        count, mean = local[0], local[1:] / local[0]
        # a second reduction of the squared deviations: exact where sum-of-squares cancels
        m2 = ((x - mean.view(shape)) ** 2).sum(dim=dims)
        dist.all_reduce(m2)
        var = m2 / count
        invstd = torch.rsqrt(var + eps)
        xhat = (x - mean.view(shape)) * invstd.view(shape)
        ctx.save_for_backward(xhat, weight, invstd, count)
        ctx.shape = shape
        return xhat * weight.view(shape) + bias.view(shape), mean, m2 / (count - 1)

    @staticmethod
    def backward(
        ctx: Any, dy: torch.Tensor, _mean: Any, _var: Any
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:
        import torch.distributed as dist

        xhat, weight, invstd, count = ctx.saved_tensors
        shape = ctx.shape
        dims = [0, *range(2, dy.dim())]
        sum_dy = dy.sum(dim=dims)
        sum_dy_xhat = (dy * xhat).sum(dim=dims)
        both = torch.cat([sum_dy, sum_dy_xhat])
        dist.all_reduce(both)
        g_dy, g_dy_xhat = both.chunk(2)
        dx = (weight * invstd).view(shape) * (
            dy - (g_dy / count).view(shape) - xhat * (g_dy_xhat / count).view(shape)
        )
        return dx, sum_dy_xhat, sum_dy, None


class GroupBatchNorm(nn.Module):
    """``SyncBatchNorm`` for CPU processes: statistics over every process's rows.

    torch's ``SyncBatchNorm`` runs on GPUs only; this one all-reduces the count, the sum and
    the squared deviations (forward) and the two gradient sums (backward) over the default
    process group, so data-parallel training with batch norm equals one device on the
    combined batch. Same state-dict keys as ``BatchNorm``.
    """

    running_mean: torch.Tensor
    running_var: torch.Tensor
    num_batches_tracked: torch.Tensor

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm) -> None:
        super().__init__()
        self.eps = bn.eps
        self.momentum = bn.momentum
        self.weight = bn.weight
        self.bias = bn.bias
        self.register_buffer("running_mean", bn.running_mean)
        self.register_buffer("running_var", bn.running_var)
        self.register_buffer("num_batches_tracked", bn.num_batches_tracked)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        out, mean, var = _SyncNorm.apply(x, self.weight, self.bias, self.eps)  # type: ignore[no-untyped-call]  # untyped in torch
        momentum = 0.1 if self.momentum is None else self.momentum
        with torch.no_grad():
            self.running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            self.running_var.mul_(1 - momentum).add_(var, alpha=momentum)
            self.num_batches_tracked.add_(1)
        result: torch.Tensor = out
        return result


def sync_batch_norms(module: nn.Module, device: torch.device) -> nn.Module:
    """Batch norms synchronized over the process group: torch's on GPUs, ours on CPUs."""
    if device.type == "cuda":
        converted: nn.Module = nn.SyncBatchNorm.convert_sync_batchnorm(module)  # type: ignore[no-untyped-call]  # untyped in torch
        return converted
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return GroupBatchNorm(module)
    for name, child in module.named_children():
        setattr(module, name, sync_batch_norms(child, device))
    return module


def saved_activation_bytes(stage: StageModule, micro_batches: list[torch.Tensor]) -> int:
    """Bytes of tensors held for backward after the forwards of ``micro_batches``.

    Counts every tensor autograd saves (``saved_tensors_hooks``), once per storage, leaving
    out the parameters: the memory GPipe's checkpointing saves. Runs the backward afterwards
    so that nothing is kept.
    """
    params = {p.untyped_storage().data_ptr() for p in stage.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    stage.start_step()
    outs = []
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        for x in micro_batches:
            outs.append(stage(x))
    total = sum(seen.values())
    torch.stack([o.sum() for o in outs]).sum().backward()  # type: ignore[no-untyped-call]  # untyped in torch
    return total
