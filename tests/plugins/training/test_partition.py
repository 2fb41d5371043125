"""The partitioner returns the optimal balance; layer costs are measured without side effects."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from datacheck.errors import OptionError
from datacheck_training import layer_costs, partition
from datacheck_training._partition import stage_cost


def brute_force(costs: list[float], k: int) -> float:
    n = len(costs)
    best = float("inf")
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        sizes = [b - a for a, b in itertools.pairwise(bounds)]
        best = min(best, stage_cost(costs, sizes))
    return best


@given(
    costs=st.lists(st.integers(min_value=0, max_value=50).map(float), min_size=1, max_size=9),
    data=st.data(),
)
def test_partition_is_optimal(costs: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(costs)))
    sizes = partition(costs, k)
    assert len(sizes) == k and all(s >= 1 for s in sizes) and sum(sizes) == len(costs)
    assert stage_cost(costs, sizes) == brute_force(costs, k)


def test_partition_beats_even_split() -> None:
    assert partition([8, 1, 1, 1, 1, 1, 1, 1, 1], 2) == [1, 8]


def test_more_stages_than_layers_is_refused() -> None:
    with pytest.raises(OptionError, match="3 layers and cannot be split into 4"):
        partition([1.0, 1.0, 1.0], 4)


def test_layer_costs_leave_batch_norm_statistics_alone() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    sample = torch.randn(16, 4)
    for by in ("time", "memory"):
        costs = layer_costs(model, sample, by=by)
        assert len(costs) == 3 and all(c > 0 for c in costs)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_memory_cost_counts_parameters_and_activations() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    costs = layer_costs(model, torch.randn(10, 4), by="memory")
    assert costs == [(4 * 8 + 8) * 4 + 10 * 8 * 4, 10 * 8 * 4]
