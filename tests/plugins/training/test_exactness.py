"""Pipelined and data-parallel training equal single-device training, step for step.

Each test starts its processes once and runs many configurations in them one after another
(``sweep_worker``), then compares every configuration's weights and last gradients after
three optimizer steps with a single-device reference computed here, by a plain loop: fp64
within 1e-12 and fp32 within 1e-6 of each tensor's scale.
"""

from __future__ import annotations

import copy
import functools
import itertools
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from training_models import bn_mlp, mlp

from datacheck_training._engine import (
    Job,
    read_parts,
    soft_cross_entropy,
    sweep_worker,
    write_data,
    write_shards,
)
from datacheck_training._launch import launch

pytestmark = pytest.mark.slow

ROWS, BATCH = 48, 16  # three optimizer steps
OPTIMIZER = functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)
TOLERANCE = {torch.float64: 1e-12, torch.float32: 1e-6}
#: the (micro-batches, schedule) pairs checked beyond the plain fp64 model, every checkpoint
#: mode each (batch norm: recomputation must not count a micro-batch twice)
KEPT = {"bn": ((4, "gpipe"), (8, "1f1b")), "mlp32": ((4, "gpipe"), (8, "1f1b"))}


def _data(dtype: torch.dtype, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(ROWS, 6, generator=g, dtype=torch.float64) * 2 + 0.5
    y = torch.softmax(torch.randn(ROWS, 3, generator=g, dtype=torch.float64) * 2, dim=-1)
    return x.to(dtype), y.to(dtype)


def reference(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batches: int
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """One device, gradient accumulation over the same micro-batches; and the running
    statistics batch norm would have from whole mini-batch statistics."""
    model = copy.deepcopy(model).train()
    optimizer = OPTIMIZER(model.parameters())
    norms = {n: m for n, m in model.named_modules() if isinstance(m, nn.BatchNorm1d)}
    running = {n: (m.running_mean.clone(), m.running_var.clone()) for n, m in norms.items()}
    seen: dict[str, list[torch.Tensor]] = {n: [] for n in norms}
    for name, m in norms.items():
        m.register_forward_pre_hook(lambda _m, a, name=name: seen[name].append(a[0].detach()))
    for start in range(0, ROWS, BATCH):
        xb, yb = x[start : start + BATCH], y[start : start + BATCH]
        optimizer.zero_grad()
        for xs, ys in zip(xb.chunk(micro_batches), yb.chunk(micro_batches), strict=True):
            (soft_cross_entropy(model(xs), ys) / len(xb)).backward()
        optimizer.step()
        for name in norms:
            whole = torch.cat(seen[name])
            seen[name].clear()
            mean, var = running[name]
            running[name] = (0.9 * mean + 0.1 * whole.mean(0), 0.9 * var + 0.1 * whole.var(0))
    weights = {k: v.detach() for k, v in model.state_dict().items()}
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    stats = {}
    for name, (mean, var) in running.items():
        stats[f"{name}.running_mean"], stats[f"{name}.running_var"] = mean, var
    return weights, grads, stats


def assert_scaled_close(
    actual: torch.Tensor, expected: torch.Tensor, tol: float, what: str, floor: float = 0.0
) -> None:
    scale = float(expected.abs().max()) if expected.numel() else 0.0
    error = float((actual.to(expected.dtype) - expected).abs().max()) if expected.numel() else 0.0
    # A tensor that is zero in exact arithmetic (the gradient of a bias right before batch
    # norm) holds only rounding noise: it is compared at the scale of the model's gradients.
    if scale < 1e-10:
        scale = floor
    assert error <= tol * scale, f"{what}: error {error:.3g} at scale {scale:.3g}"


def _compare(job: Job, world: int, micro_batches: int, x: torch.Tensor, y: torch.Tensor) -> None:
    weights, grads = read_parts(job.out_dir, world)
    want_w, want_g, want_stats = reference(job.model, x, y, micro_batches)
    tol = TOLERANCE[x.dtype]
    label = f"{job.strategy} K={world} M={micro_batches} {job.schedule} {job.checkpoint}"
    assert set(grads) == set(want_g), label
    floor = max(float(g.abs().max()) for g in want_g.values())
    for name, value in want_g.items():
        assert_scaled_close(grads[name], value, tol, f"{label} grad {name}", floor)
    params = {n: v for n, v in want_w.items() if "running" not in n and "num_batches" not in n}
    floor = max(float(v.abs().max()) for v in params.values())
    for name, value in params.items():
        assert_scaled_close(weights[name], value, tol, f"{label} weight {name}", floor)
    for name, value in want_stats.items():
        assert_scaled_close(weights[name], value, tol, f"{label} {name}", floor)


def _job(tmp: Path, name: str, **fields: Any) -> Job:
    out = tmp / name
    out.mkdir()
    return Job(optimizer=OPTIMIZER, out_dir=str(out), record_grads=True, **fields)


def _pipeline_configs(world: int) -> list[tuple[int, str, str]]:
    configs = []
    for m, schedule, mode in itertools.product(
        (1, 4, 8), ("gpipe", "1f1b"), ("never", "except_last", "always")
    ):
        if schedule == "1f1b" and m < world:
            continue  # 1F1B needs at least as many micro-batches as stages
        configs.append((m, schedule, mode))
    return configs


def _sweep(
    tmp: Path, world: int, models: list[tuple[str, Any, torch.dtype]], data_parallel: bool
) -> list[tuple[Job, int, torch.Tensor, torch.Tensor]]:
    jobs: list[tuple[Job, int, torch.Tensor, torch.Tensor]] = []
    for model_name, factory, dtype in models:
        x, y = _data(dtype)
        for m, schedule, mode in _pipeline_configs(world):
            if model_name != "mlp" and (m, schedule) not in KEPT.get(model_name, ()):
                continue  # the plain fp64 model covers the whole grid; the others a part of it
            data = tmp / f"data-{model_name}-{m}"
            if not data.exists():
                data.mkdir()
                write_data(str(data), x, y, BATCH, m)
            model = factory(dtype=dtype)
            sizes = [len(model) // world] * world
            sizes[-1] += len(model) - sum(sizes)
            job = _job(
                tmp,
                f"{model_name}-{m}-{schedule}-{mode}",
                strategy="pipeline",
                model=model,
                stage_sizes=sizes,
                micro_batches=m,
                schedule=schedule,
                checkpoint=mode,
                data_dir=str(data),
            )
            jobs.append((job, m, x, y))
        if data_parallel:
            data = tmp / f"shards-{model_name}"
            data.mkdir()
            bounds, _ = write_data(str(data), x, y, BATCH, world)
            write_shards(str(data), x, y, bounds, world)
            job = _job(
                tmp,
                f"{model_name}-ddp",
                strategy="data",
                model=factory(dtype=dtype),
                data_dir=str(data),
            )
            jobs.append((job, 1, x, y))
    return jobs


def test_two_processes_equal_one_device(tmp_path: Path) -> None:
    models = [
        ("mlp", mlp, torch.float64),
        ("bn", bn_mlp, torch.float64),
        ("mlp32", mlp, torch.float32),
    ]
    jobs = _sweep(tmp_path, 2, models, data_parallel=True)
    launch(sweep_worker, ["cpu", "cpu"], ([job for job, *_ in jobs],))
    for job, m, x, y in jobs:
        _compare(job, 2 if job.strategy == "pipeline" else 1, m, x, y)


def test_four_stages_equal_one_device(tmp_path: Path) -> None:
    jobs = _sweep(tmp_path, 4, [("mlp", mlp, torch.float64)], data_parallel=False)
    jobs = [j for j in jobs if j[0].micro_batches != 1 or j[0].checkpoint == "never"]
    launch(sweep_worker, ["cpu"] * 4, ([job for job, *_ in jobs],))
    for job, m, x, y in jobs:
        _compare(job, 4, m, x, y)


def test_uneven_shards_join(tmp_path: Path) -> None:
    """Rank 1's shard has one step fewer: Join shadows its all-reduce, nothing hangs, and the
    result is one device on the combined mini-batches."""
    x, y = _data(torch.float64)
    data = tmp_path / "uneven"
    data.mkdir()
    # steps of 16 rows, 16 rows, then 1 row that only rank 0 holds
    x, y = x[:33], y[:33]
    bounds = [0, 16, 32, 33]
    write_shards(str(data), x, y, bounds, 2)
    job = _job(tmp_path, "join", strategy="data", model=mlp(), data_dir=str(data))
    launch(sweep_worker, ["cpu", "cpu"], ([job],))
    weights, _ = read_parts(job.out_dir, 1)
    model = copy.deepcopy(mlp()).train()
    optimizer = OPTIMIZER(model.parameters())
    for start, end in itertools.pairwise(bounds):
        optimizer.zero_grad()
        (soft_cross_entropy(model(x[start:end]), y[start:end]) / (end - start)).backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        assert_scaled_close(weights[name], value, 1e-12, f"join {name}")
