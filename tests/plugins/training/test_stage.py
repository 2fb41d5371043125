"""A stage's module: checkpointing changes memory, not gradients; deferred batch norm keeps
the whole mini-batch's statistics; the simulated bubble is GPipe's."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from datacheck_training import DeferredBatchNorm, StageModule, simulate_pipeline
from datacheck_training._simulate import gpipe_bubble
from datacheck_training._stage import (
    commit_batch_norms,
    defer_batch_norms,
    saved_activation_bytes,
)


def _layers() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(8, 16),
        nn.BatchNorm1d(16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.ReLU(),
        nn.Linear(16, 3),
    ).double()


def _grads(mode: str, chunks: list[torch.Tensor]) -> tuple[dict[str, torch.Tensor], StageModule]:
    stage = StageModule(_layers(), mode=mode, micro_batches=len(chunks))
    defer_batch_norms(stage)
    stage.start_step()
    for x in chunks:
        stage(x).square().sum().backward()
    commit_batch_norms(stage)
    grads = {n: p.grad.clone() for n, p in stage.named_parameters() if p.grad is not None}
    return grads, stage


@pytest.mark.parametrize("mode", ["except_last", "always"])
def test_checkpointing_gives_the_same_gradients(mode: str) -> None:
    chunks = list(torch.randn(16, 8, dtype=torch.float64).chunk(4))
    want, plain = _grads("never", chunks)
    got, stage = _grads(mode, chunks)
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, rtol=0, atol=1e-14)
    # the recomputed forwards were not counted: one update from the 16 rows
    bn = stage.layers[1]
    assert isinstance(bn, DeferredBatchNorm)
    assert int(bn.num_batches_tracked) == 1
    torch.testing.assert_close(bn.running_mean, plain.layers[1].running_mean, rtol=0, atol=1e-15)


def test_deferred_statistics_are_the_whole_mini_batch() -> None:
    torch.manual_seed(1)
    x = torch.randn(24, 5, dtype=torch.float64) * 3 + 2
    deferred = DeferredBatchNorm(nn.BatchNorm1d(5).double())
    for chunk in x.chunk(6):
        deferred(chunk)
    deferred.commit()
    whole = nn.BatchNorm1d(5).double()
    whole(x)
    torch.testing.assert_close(deferred.running_mean, whole.running_mean, rtol=0, atol=1e-15)
    torch.testing.assert_close(deferred.running_var, whole.running_var, rtol=0, atol=1e-14)


def test_deferred_batch_norm_normalizes_each_micro_batch_by_its_own_statistics() -> None:
    x = torch.randn(8, 3, dtype=torch.float64)
    bn = nn.BatchNorm1d(3).double()
    deferred = DeferredBatchNorm(copy.deepcopy(bn))
    for chunk in x.chunk(2):
        torch.testing.assert_close(deferred(chunk), bn(chunk))


def test_checkpointing_saves_fewer_activation_bytes() -> None:
    sizes = {}
    for mode in ("never", "except_last", "always"):
        layers = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(64, 64), nn.ReLU())])
        stage = StageModule(layers, mode=mode, micro_batches=4)
        xs = [torch.randn(32, 64, requires_grad=True) for _ in range(4)]
        sizes[mode] = saved_activation_bytes(stage, xs)
    one = 32 * 64 * 4  # one activation of one micro-batch
    assert sizes["always"] == 4 * one  # only each micro-batch's input
    assert sizes["never"] == 4 * 5 * one  # every layer's saved tensor
    assert sizes["except_last"] == 3 * one + 5 * one


@given(
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["gpipe", "1f1b"]),
)
def test_simulated_bubble_is_gpipes(stages: int, micro_batches: int, schedule: str) -> None:
    if schedule == "1f1b" and micro_batches < stages:
        micro_batches = stages
    timeline = simulate_pipeline(
        stages, micro_batches, schedule=schedule, forward=1.0, backward=2.0
    )
    for s in range(stages):
        assert timeline.idle_fraction(s) == pytest.approx(gpipe_bubble(stages, micro_batches))
    assert timeline.makespan == pytest.approx(3.0 * (micro_batches + stages - 1))


def test_unbalanced_stages_wait_for_the_slowest() -> None:
    timeline = simulate_pipeline(2, 4, forward=[1.0, 3.0], backward=[2.0, 6.0])
    assert timeline.idle_fraction(1) < timeline.idle_fraction(0)
