"""The device cache of ``train_many``'s workers, in this process: shards kept resident under
the budget (least recently used out, written back only then), units of several models
interleaved on one cache equal each model trained alone bit for bit; Sharded-LRTF with
affinity stays within its tolerance of LRTF."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from datacheck_training._engine import soft_cross_entropy
from datacheck_training._many import _Cache, _Model, _path, _Scratch, _units, run_unit
from datacheck_training._sharp import pick, pick_affine
from datacheck_training._spill import ShardedModel, plan_spill, spill_costs

OPTIMIZERS = {
    "sgd-momentum": functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9),
    "adam": functools.partial(torch.optim.Adam, lr=1e-2),
}


def _net(seed: int) -> nn.Sequential:
    """Dropout (random state replayed) and batch norm (statistics once a step)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, 32),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(32, 32),
        nn.BatchNorm1d(32),
        nn.Tanh(),
        nn.Linear(32, 32),
        nn.Linear(32, 3),
    )


def _data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(80, 6, generator=g)
    y = torch.softmax(torch.randn(80, 3, generator=g), dim=-1)
    return [(x[i : i + 32], y[i : i + 32]) for i in range(0, 80, 32)]  # 32, 32, 16 rows


def _plain(seed: int, optimizer: Any, epochs: int) -> dict[str, torch.Tensor]:
    model = _net(seed)
    opt = optimizer(model.parameters())
    torch.manual_seed(7)
    for _ in range(epochs):
        for x, y in _data():
            opt.zero_grad(set_to_none=True)
            (soft_cross_entropy(model(x), y) / len(x)).backward()  # type: ignore[no-untyped-call]
            opt.step()
    return model.state_dict()


def _models(tmp: Path, optimizer: Any, budget_share: float) -> tuple[list[_Model], int]:
    x = _data()[0][0]
    models, budget = [], 0
    for seed in (0, 1):
        net = _net(seed)
        costs = spill_costs(net, x, optimizer)
        budget = max(budget, int(sum(costs) * budget_share), int(max(costs)) + 1)
    for seed in (0, 1):
        net = _net(seed)
        plan = plan_spill(net, x, optimizer, budget, prefetch=False)
        folder = str(tmp / f"m{seed}")
        sharded = ShardedModel.create(net, plan.sizes, optimizer, os.path.join(folder, "host"))
        first, shard_costs = 0, []
        for size in plan.sizes:
            shard_costs.append(float(sum(plan.costs[first : first + size])))
            first += size
        models.append(_Model(sharded=sharded, folder=folder, costs=tuple(shard_costs)))
    return models, budget


@pytest.mark.parametrize("budget_share", [0.3, 0.8])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_interleaved_units_on_one_cache_equal_each_model_alone(
    tmp_path: Path, name: str, budget_share: float
) -> None:
    optimizer = OPTIMIZERS[name]
    models, budget = _models(tmp_path, optimizer, budget_share)
    assert all(len(m.costs) >= 2 for m in models)
    scratch = _Scratch()
    torch.manual_seed(7)
    for model in models:
        scratch.put(_path(model.folder, "rng"), torch.get_rng_state())
    cache = _Cache(models, budget)
    chains = [
        [(k, s) for _ in range(2) for _x in _data() for k, s in _units(len(m.costs))]
        for m in models
    ]
    steps = [
        [(x, y) for _ in range(2) for x, y in _data() for _u in _units(len(m.costs))]
        for m in models
    ]
    for i in range(max(len(c) for c in chains)):  # model 0's unit, model 1's, in turn
        for m in range(len(models)):
            if i < len(chains[m]):
                kind, s = chains[m][i]
                x, y = steps[m][i]
                run_unit(cache, scratch, m, x, y, kind, s, 32)
    assert cache.peak <= budget
    assert cache.misses > 0
    if budget_share > 0.5:  # room for more than the running shard: some units hit
        assert cache.hits > 0
    cache.flush()
    assert not cache.resident and not cache.dirty
    for m, model in enumerate(models):
        expected = _plain(m, optimizer, 2)
        got = model.sharded.weights()
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(got[key], value), (m, key)


def test_an_evicted_shard_keeps_its_module_and_optimizer(tmp_path: Path) -> None:
    optimizer = OPTIMIZERS["adam"]
    models, budget = _models(tmp_path, optimizer, 0.3)
    cache = _Cache(models, budget)
    scratch = _Scratch()
    scratch.put(_path(models[0].folder, "rng"), torch.get_rng_state())
    x, y = _data()[0]
    k = len(models[0].costs)
    run_unit(cache, scratch, 0, x, y, "F", 0, 32) if k > 1 else None
    built = cache.built[(0, 0)]
    module, opt = built.module, built.optimizer
    cache.flush()
    assert all(p.numel() == 0 for p in module.parameters())  # no tensors while evicted
    assert cache.take_evicted() == [(0, 0)]
    again = cache.get((0, 0))
    assert again.module is module and again.optimizer is opt
    assert torch.equal(again.module.state_dict()["0.weight"], _net(0).state_dict()["0.weight"])


def test_the_scratch_grows_a_file_and_readers_follow(tmp_path: Path) -> None:
    path = str(tmp_path / "act-1.npy")
    writer, reader = _Scratch(), _Scratch()
    writer.put(path, torch.arange(6.0).reshape(3, 2), capacity=4)
    assert torch.equal(reader.get(path, 3), torch.arange(6.0).reshape(3, 2))
    writer.put(path, torch.ones(2, 2))  # fits: written in place
    assert torch.equal(reader.get(path, 2), torch.ones(2, 2))
    writer.put(path, torch.full((6, 2), 5.0))  # does not fit: a new file the reader maps
    assert torch.equal(reader.get(path, 6), torch.full((6, 2), 5.0))


remaining_st = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=8)


@given(remaining_st, st.data(), st.floats(0, 0.5))
def test_affinity_never_takes_a_model_far_behind(
    remaining: list[float], data: st.DataObject, tolerance: float
) -> None:
    ready = data.draw(st.lists(st.sampled_from(range(len(remaining))), min_size=1, unique=True))
    affinity = data.draw(st.dictionaries(st.sampled_from(ready), st.integers(0, 2)))
    chosen = pick_affine(ready, remaining, affinity, tolerance)
    top = max(remaining[m] for m in ready)
    assert chosen in ready
    assert remaining[chosen] >= top - tolerance * top - 1e-12
    near = [m for m in ready if remaining[m] >= top - tolerance * top]
    assert affinity.get(chosen, 0) == max(affinity.get(m, 0) for m in near)


@given(remaining_st, st.data())
def test_without_affinity_or_tolerance_it_is_lrtf(
    remaining: list[float], data: st.DataObject
) -> None:
    ready = data.draw(st.lists(st.sampled_from(range(len(remaining))), min_size=1, unique=True))
    assert pick_affine(ready, remaining, {}, 0.0) == pick(ready, remaining)
    chosen = pick_affine(ready, remaining, {m: 1 for m in ready}, 0.0)
    assert remaining[chosen] == max(remaining[m] for m in ready)
