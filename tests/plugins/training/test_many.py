"""``train_many``: several spilled models over two worker processes, scheduled by
Sharded-LRTF; each equals its single-model run bit for bit; a model far behind stops early;
a failing shard stops every worker."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
import torch
from palmerpenguins import load_penguins
from training_models import fails_in_worker, penguin_mlp

from datacheck import generate_statistics, infer_schema
from datacheck.errors import OptionError
from datacheck.schema import Schema
from datacheck_training import Candidate, WorkerError, train, train_many

pytestmark = pytest.mark.slow

RATES = (0.01, 0.003, 0.0003)


@pytest.fixture(scope="module")
def penguins() -> tuple[pa.Table, Schema]:
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    return table, infer_schema(generate_statistics(table))


def test_each_model_equals_its_single_run(penguins: tuple[pa.Table, Schema]) -> None:
    table, schema = penguins
    common = {"schema": schema, "label": "species", "memory_budget": "64KiB", "batch_size": 64}
    torch.manual_seed(3)
    run = train_many(
        [Candidate(model=penguin_mlp(), learning_rate=lr) for lr in RATES],
        table,
        devices=2,
        epochs=1,
        validation=0.0,
        **common,
    )
    steps = 6  # 342 labeled rows in mini-batches of 64
    assert run.units == sum(steps * (2 * len(r.stage_sizes) - 1) for r in run.results)
    assert len(run.busy) == 2 and all(0 < b <= 1 for b in run.busy)
    for result, lr in zip(run.results, RATES, strict=True):
        assert len(result.stage_sizes) >= 2
        torch.manual_seed(3)
        alone = train(penguin_mlp(), table, strategy="spill", learning_rate=lr, **common)
        assert list(result.losses) == alone.record["losses"]
        expected = alone.model.module.state_dict()
        for key, value in result.module.state_dict().items():
            assert torch.equal(value, expected[key]), key


def test_a_model_far_behind_stops_early_and_the_best_is_named(
    penguins: tuple[pa.Table, Schema],
) -> None:
    table, schema = penguins
    diverges = Candidate(
        model=penguin_mlp(),
        optimizer=functools.partial(torch.optim.SGD, lr=200.0),
        name="diverges",
    )
    good = Candidate(model=penguin_mlp(), learning_rate=0.01, name="good")
    seen: list[tuple[str, int]] = []
    run = train_many(
        [diverges, good],
        table,
        schema=schema,
        label="species",
        devices=2,
        memory_budget="64KiB",
        epochs=3,
        stop_ratio=1.5,
        progress=lambda name, epoch, loss, val: seen.append((name, epoch)),
    )
    by_name = {r.name: r for r in run.results}
    assert by_name["diverges"].stopped and len(by_name["diverges"].losses) < 3
    assert not by_name["good"].stopped and len(by_name["good"].validation) == 3
    assert run.results[run.best].name == "good"
    assert ("good", 2) in seen and ("diverges", 2) not in seen


def test_a_failing_shard_stops_every_worker(
    penguins: tuple[pa.Table, Schema], new_children: Callable[[], list[Any]]
) -> None:
    table, schema = penguins
    with pytest.raises(WorkerError, match=r"model-1 failed: shard \d: ValueError: this shard"):
        train_many(
            [penguin_mlp(), fails_in_worker()],
            table,
            schema=schema,
            label="species",
            devices=2,
            memory_budget="64KiB",
        )
    assert new_children() == []


def test_bad_requests_fail_before_any_worker_starts(
    penguins: tuple[pa.Table, Schema], new_children: Callable[[], list[Any]]
) -> None:
    table, schema = penguins
    with pytest.raises(OptionError, match="memory_budget"):
        train_many([penguin_mlp()], table, schema=schema, label="species", memory_budget="x")
    with pytest.raises(OptionError, match=r"memory_budget.*layer"):
        train_many([penguin_mlp()], table, schema=schema, label="species", memory_budget=100)
    with pytest.raises(OptionError, match="models"):
        train_many(
            [torch.nn.Linear(2, 2)], table, schema=schema, label="species", memory_budget="1MiB"
        )
    assert new_children() == []
