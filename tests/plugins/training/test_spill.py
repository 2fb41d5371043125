"""Spilling: shards that fit a budget, promoted one at a time, equal plain training bit for
bit; the measured resident bytes stay under the budget; bad budgets fail with the reason."""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from torch import nn
from training_models import penguin_mlp

from datacheck import generate_statistics, infer_schema, save_schema
from datacheck.cli import main
from datacheck.errors import OptionError
from datacheck.schema import Schema
from datacheck_training import train
from datacheck_training._engine import Job, read_parts, train_single, write_data
from datacheck_training._spill import (
    HostStore,
    parse_bytes,
    plan_spill,
    spill_costs,
    train_spilled,
)

OPTIMIZERS = {
    "sgd-momentum": functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9),
    "adam": functools.partial(torch.optim.Adam, lr=1e-2),
}


def _model() -> nn.Sequential:
    """Dropout (random state replayed on recompute) and batch norm (statistics once a step)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(6, 48),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(48, 48),
        nn.BatchNorm1d(48),
        nn.Tanh(),
        nn.Linear(48, 48),
        nn.ReLU(),
        nn.Linear(48, 3),
    )


def _data(folder: Path) -> tuple[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(96, 6, generator=g)
    y = torch.softmax(torch.randn(96, 3, generator=g), dim=-1)
    data = folder / "data"
    data.mkdir()
    write_data(str(data), x, y, 32, 1)  # three steps an epoch
    return str(data), x


def _run(folder: Path, data: str, optimizer: Any, plan: Any = None) -> dict[str, torch.Tensor]:
    out = folder / ("spilled" if plan is not None else "plain")
    out.mkdir()
    job = Job(
        strategy="single",
        model=_model(),
        optimizer=optimizer,
        epochs=2,
        data_dir=data,
        out_dir=str(out),
    )
    torch.manual_seed(7)  # dropout's masks
    if plan is None:
        train_single(job, torch.device("cpu"))
    else:
        train_spilled(job, plan)
    return read_parts(str(out), 1)[0]


@pytest.mark.parametrize("prefetch", [True, False])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_spilled_equals_plain_bit_for_bit(tmp_path: Path, name: str, prefetch: bool) -> None:
    data, x = _data(tmp_path)
    optimizer = OPTIMIZERS[name]
    costs = spill_costs(_model(), x[:32], optimizer)
    budget = int(sum(costs) / 4) * (2 if prefetch else 1)
    plan = plan_spill(_model(), x[:32], optimizer, budget, prefetch=prefetch)
    assert len(plan.sizes) >= 3 and plan.prefetch is prefetch
    plain = _run(tmp_path, data, optimizer)
    spilled = _run(tmp_path, data, optimizer, plan)
    assert plain.keys() == spilled.keys()
    for key, value in plain.items():
        assert torch.equal(value, spilled[key]), key
    # the weights moved: six steps happened
    assert not torch.equal(plain["0.weight"], _model().state_dict()["0.weight"])


def test_a_model_four_times_the_budget_trains_under_it(tmp_path: Path) -> None:
    data, x = _data(tmp_path)
    optimizer = OPTIMIZERS["adam"]
    costs = spill_costs(_model(), x[:32], optimizer)
    budget = int(sum(costs) / 4)
    plan = plan_spill(_model(), x[:32], optimizer, budget, prefetch=False)
    out = tmp_path / "out"
    out.mkdir()
    job = Job(strategy="single", model=_model(), optimizer=optimizer, epochs=1, data_dir=data)
    job.out_dir = str(out)
    stats = train_spilled(job, plan)
    assert sum(costs) >= 4 * budget
    assert stats.samples > 10
    # measured, not planned: at least the largest layer was resident at some moment
    assert max(costs) / 2 < stats.peak_bytes <= budget


def test_the_host_store_round_trips_and_overwrites_in_place(tmp_path: Path) -> None:
    store = HostStore(str(tmp_path))
    a = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "s": torch.tensor(2.0)}
    store.write(0, a)
    files = sorted(os.listdir(tmp_path))
    store.write(0, {"w": a["w"] * 2, "s": torch.tensor(3.0)})
    assert sorted(os.listdir(tmp_path)) == files
    back = store.read(0)
    assert torch.equal(back["w"], a["w"] * 2) and back["s"].shape == () and float(back["s"]) == 3
    assert store.nbytes(0) == 6 * 4 + 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [("64MiB", 64 * 2**20), ("2GiB", 2 * 2**30), ("1.5GB", 1_500_000_000), ("4096", 4096)],
)
def test_sizes_parse(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@given(st.integers(1, 10**6), st.sampled_from(["B", "kB", "KiB", "MB", "MiB", "GiB"]))
def test_a_size_is_its_number_times_its_unit(n: int, unit: str) -> None:
    scale = {"B": 1, "kB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20, "GiB": 2**30}[unit]
    assert parse_bytes(f"{n}{unit}") == parse_bytes(f"{n} {unit.lower()}") == n * scale


@pytest.mark.parametrize("bad", ["lots", "12 parsecs", "-1MiB", "0", 0, -5, True])
def test_a_bad_budget_names_the_parameter(bad: Any) -> None:
    with pytest.raises(OptionError, match="memory_budget"):
        parse_bytes(bad)


def test_a_budget_under_the_largest_layer_names_it(tmp_path: Path) -> None:
    _, x = _data(tmp_path)
    optimizer = OPTIMIZERS["adam"]
    costs = spill_costs(_model(), x[:32], optimizer)
    largest = max(range(len(costs)), key=lambda i: costs[i])
    with pytest.raises(OptionError, match=rf"memory_budget.*layer {largest} \(Linear\).*KiB"):
        plan_spill(_model(), x[:32], optimizer, int(costs[largest]) - 1)


@pytest.fixture(scope="module")
def penguins() -> tuple[pa.Table, Schema]:
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    return table, infer_schema(generate_statistics(table))


def test_train_with_the_spill_strategy_equals_single(penguins: tuple[pa.Table, Schema]) -> None:
    table, schema = penguins
    common: dict[str, Any] = {
        "schema": schema,
        "label": "species",
        "epochs": 2,
        "batch_size": 32,
        "learning_rate": 0.01,
    }
    single = train(penguin_mlp(), table, **common)
    spilled = train(penguin_mlp(), table, strategy="spill", memory_budget="64KiB", **common)
    spill = spilled.record["spill"]
    assert len(spilled.record["stage_sizes"]) >= 2
    assert 0 < spill["peak_resident_bytes"] <= spill["memory_budget"] == 64 * 1024
    assert spilled.record["losses"] == single.record["losses"]
    for key, value in single.model.module.state_dict().items():
        assert torch.equal(value, spilled.model.module.state_dict()[key]), key


def test_train_refuses_spilling_without_a_fitting_budget(
    penguins: tuple[pa.Table, Schema],
) -> None:
    table, schema = penguins
    with pytest.raises(OptionError, match="memory_budget"):
        train(penguin_mlp(), table, schema=schema, label="species", strategy="spill")
    with pytest.raises(OptionError, match=r"memory_budget.*a size such as"):
        train(
            penguin_mlp(),
            table,
            schema=schema,
            label="species",
            strategy="spill",
            memory_budget="much",
        )
    with pytest.raises(OptionError, match=r"layer \d \(Linear\) alone needs"):
        train(
            penguin_mlp(),
            table,
            schema=schema,
            label="species",
            strategy="spill",
            memory_budget="1KiB",
        )


@pytest.fixture(scope="module")
def penguins_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("penguins")
    data = folder / "train.csv"
    load_penguins().to_csv(data, index=False)
    schema = folder / "schema.json"
    save_schema(infer_schema(generate_statistics(str(data))), schema)
    return data, schema


def _cli(data: Path, schema: Path, model: str, out: Path, *extra: str) -> int:
    args = ["train", str(data), "--schema", str(schema), "--model", f"training_models:{model}"]
    return main([*args, "--label", "species", "-o", str(out), "--strategy", "spill", *extra])


def test_the_command_trains_spilled(
    penguins_csv: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema = penguins_csv
    code = _cli(data, schema, "penguin_mlp", tmp_path / "m", "--memory-budget", "64KiB")
    assert code == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "m" / "record.json").read_text())
    assert record["strategy"] == "spill" and len(record["stage_sizes"]) >= 2
    assert record["spill"]["memory_budget"] == 64 * 1024
    assert 0 < record["spill"]["peak_resident_bytes"] <= 64 * 1024


@pytest.mark.parametrize(
    ("model", "budget", "expected"),
    [
        ("penguin_mlp", "lots", "memory-budget lots: a size such as 64MiB"),
        ("penguin_mlp", "1KiB", r"layer \d \(Linear\) alone needs"),
        ("exploding", "64KiB", r"layer 2 \(Explodes\) failed"),
        ("fails_later", "64KiB", "ValueError: this shard fails in its backward"),
    ],
)
def test_the_command_fails_in_one_line_and_leaves_nothing_running(
    penguins_csv: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model: str,
    budget: str,
    expected: str,
    new_children: Callable[[], list[Any]],
) -> None:
    data, schema = penguins_csv
    code = _cli(data, schema, model, tmp_path / "m", "--memory-budget", budget)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(expected, err), err
    assert not [t for t in threading.enumerate() if t.name.startswith("datacheck-prefetch")]
    assert new_children() == []
