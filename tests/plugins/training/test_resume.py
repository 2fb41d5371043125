"""Resuming from a checkpoint continues exactly: the optimizer's state (SGD momentum, Adam's
moments and steps) is saved with every checkpoint, so an interrupted run equals an
uninterrupted one bit for bit; a missing or changed optimizer file is refused."""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import torch
from palmerpenguins import load_penguins
from training_models import penguin_mlp

from datacheck import generate_statistics, infer_schema
from datacheck.errors import InputError, OptionError
from datacheck.schema import Schema
from datacheck_training import TrainingRun, train

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd_momentum": functools.partial(torch.optim.SGD, lr=0.05, momentum=0.9),
    "adam": functools.partial(torch.optim.Adam, lr=0.01),
}


@pytest.fixture(scope="module")
def penguins() -> tuple[pa.Table, Schema]:
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    return table, infer_schema(generate_statistics(table))


def _train(penguins: tuple[pa.Table, Schema], epochs: int, out: Path, **kw: Any) -> TrainingRun:
    table, schema = penguins
    kw.setdefault("optimizer", OPTIMIZERS["adam"])
    return train(
        penguin_mlp(),
        table,
        schema=schema,
        label="species",
        epochs=epochs,
        batch_size=32,
        output=out,
        **kw,
    )


def _assert_same_run(a: TrainingRun, b: TrainingRun) -> None:
    assert a.record["losses"] == b.record["losses"]
    assert a.record["epochs_done"] == b.record["epochs_done"]
    wa, wb = a.model.module.state_dict(), b.model.module.state_dict()
    assert wa.keys() == wb.keys()
    for name in wa:
        assert torch.equal(wa[name], wb[name]), name


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_resumed_run_equals_an_uninterrupted_one(
    penguins: tuple[pa.Table, Schema], tmp_path: Path, name: str
) -> None:
    kw = {"optimizer": OPTIMIZERS[name]}
    whole = _train(penguins, 2, tmp_path / "whole", **kw)
    _train(penguins, 1, tmp_path / "cut", **kw)
    resumed = _train(penguins, 1, tmp_path / "cut", resume=tmp_path / "cut", **kw)
    _assert_same_run(whole, resumed)
    # the checkpoint holds the state: momentum buffers, or Adam's moments and steps
    record = json.loads((tmp_path / "cut" / "record.json").read_text())
    (stage,) = record["optimizer"]["stages"]
    assert stage["file"] == "optimizer.safetensors"
    assert stage["param_groups"][0]["params"] == list(range(6))
    assert (tmp_path / "cut" / "optimizer.safetensors").is_file()


def test_resuming_with_no_epochs_keeps_the_state(
    penguins: tuple[pa.Table, Schema], tmp_path: Path
) -> None:
    """A resume that trains nothing carries the optimizer state into its own folder."""
    whole = _train(penguins, 2, tmp_path / "whole")
    _train(penguins, 1, tmp_path / "a")
    _train(penguins, 0, tmp_path / "b", resume=tmp_path / "a")
    resumed = _train(penguins, 1, tmp_path / "c", resume=tmp_path / "b")
    _assert_same_run(whole, resumed)


@pytest.fixture(scope="module")
def checkpoint(penguins: tuple[pa.Table, Schema], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("checkpoint") / "m"
    _train(penguins, 1, out)
    return out


def _copy(checkpoint: Path, tmp_path: Path) -> Path:
    out = tmp_path / "m"
    shutil.copytree(checkpoint, out)
    return out


def test_a_changed_optimizer_file_is_refused(
    penguins: tuple[pa.Table, Schema], checkpoint: Path, tmp_path: Path
) -> None:
    out = _copy(checkpoint, tmp_path)
    path = out / "optimizer.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # one bit of one moment
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="not the one the record was written with") as err:
        _train(penguins, 1, tmp_path / "next", resume=out)
    assert err.value.path == str(path)


def test_a_missing_optimizer_file_is_refused(
    penguins: tuple[pa.Table, Schema], checkpoint: Path, tmp_path: Path
) -> None:
    out = _copy(checkpoint, tmp_path)
    (out / "optimizer.safetensors").unlink()
    with pytest.raises(InputError, match="cannot read the optimizer state"):
        _train(penguins, 1, tmp_path / "next", resume=out)


def test_a_checkpoint_without_optimizer_state_is_refused(
    penguins: tuple[pa.Table, Schema], checkpoint: Path, tmp_path: Path
) -> None:
    """A checkpoint from before the state was saved: refused, not resumed inexactly."""
    out = _copy(checkpoint, tmp_path)
    record = json.loads((out / "record.json").read_text())
    del record["optimizer"]
    (out / "record.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match="holds no optimizer state"):
        _train(penguins, 1, tmp_path / "next", resume=out)


def test_another_optimizer_is_refused(
    penguins: tuple[pa.Table, Schema], checkpoint: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="another optimizer"):
        _train(
            penguins, 1, tmp_path / "next", resume=checkpoint, optimizer=OPTIMIZERS["sgd_momentum"]
        )


def test_another_strategy_is_refused(
    penguins: tuple[pa.Table, Schema], checkpoint: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        OptionError, match="resume a pipeline as a pipeline of as many stages"
    ) as err:
        _train(penguins, 1, tmp_path / "next", resume=checkpoint, strategy="pipeline", devices=2)
    assert err.value.parameter == "resume"
    with pytest.raises(OptionError, match="spill strategy cannot resume"):
        _train(
            penguins,
            1,
            tmp_path / "next",
            resume=checkpoint,
            strategy="spill",
            memory_budget="1MiB",
        )


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["pipeline", "data"])
def test_a_resumed_parallel_run_equals_an_uninterrupted_one(
    penguins: tuple[pa.Table, Schema], tmp_path: Path, strategy: str
) -> None:
    """Two gloo processes: one optimizer per pipeline stage, or rank 0's for data."""
    kw: dict[str, Any] = {
        "optimizer": OPTIMIZERS["adam"],
        "strategy": strategy,
        "devices": 2,
        "micro_batches": 2,
    }
    whole = _train(penguins, 2, tmp_path / "whole", **kw)
    _train(penguins, 1, tmp_path / "cut", **kw)
    resumed = _train(penguins, 1, tmp_path / "cut", resume=tmp_path / "cut", **kw)
    _assert_same_run(whole, resumed)
    files = sorted(p.name for p in (tmp_path / "cut").glob("optimizer*.safetensors"))
    if strategy == "pipeline":
        assert files == ["optimizer.stage0.safetensors", "optimizer.stage1.safetensors"]
    else:
        assert files == ["optimizer.safetensors"]
