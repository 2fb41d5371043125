"""``datacheck train``: real data end to end on two pipelined processes; bad requests as one
line and exit 2."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from palmerpenguins import load_penguins

from datacheck import generate_statistics, infer_schema, save_schema
from datacheck.cli import main
from datacheck_training import load_model, predict


@pytest.fixture(scope="module")
def penguins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """Penguins shuffled: 260 rows to train on (a CSV and its inferred schema), 84 held out."""
    frame = load_penguins().sample(frac=1.0, random_state=0).reset_index(drop=True)
    folder = tmp_path_factory.mktemp("penguins")
    data = folder / "train.csv"
    frame.iloc[:260].to_csv(data, index=False)
    schema = folder / "schema.json"
    save_schema(infer_schema(generate_statistics(str(data))), schema)
    return data, schema, frame.iloc[260:]


def _train(*args: object) -> int:
    return main(["train", *map(str, args)])


@pytest.mark.slow
def test_real_data_pipeline_on_two_processes(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, held_out = penguins
    started = time.monotonic()
    code = _train(
        data,
        "--schema",
        schema,
        "--model",
        "training_models:penguin_mlp",
        "--label",
        "species",
        "--devices",
        2,
        "--strategy",
        "pipeline",
        "--micro-batches",
        4,
        "--schedule",
        "1f1b",
        "--checkpoint",
        "except_last",
        "--balance",
        "time",
        "--epochs",
        8,
        "--batch-size",
        32,
        "--lr",
        0.01,
        "-o",
        tmp_path / "model",
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert time.monotonic() - started < 60
    record = json.loads((tmp_path / "model" / "record.json").read_text())
    assert record["strategy"] == "pipeline" and record["devices"] == ["cpu", "cpu"]
    assert len(record["stage_sizes"]) == 2 and sum(record["stage_sizes"]) == 5
    assert record["schedule"] == "1f1b" and record["checkpoint"] == "except_last"
    losses = record["losses"]
    assert len(losses) == 8 and losses[-1] < 0.5 * losses[0]
    assert "epoch 8: loss" in printed and "model written to" in printed
    model = load_model(tmp_path / "model")
    test = pa.Table.from_pandas(held_out, preserve_index=False)
    y, has = model.encoder.labels(test)
    accuracy = float((predict(model, test).argmax(1) == y.argmax(1))[has].mean())
    assert accuracy > 0.9


def test_label_missing_from_the_schema(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, _ = penguins
    code = _train(
        data,
        "--schema",
        schema,
        "--model",
        "training_models:penguin_mlp",
        "--label",
        "kind",
        "-o",
        tmp_path / "m",
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--label kind: not a feature of the schema" in err


def test_more_devices_than_layers(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, _ = penguins
    code = _train(
        data,
        "--schema",
        schema,
        "--model",
        "training_models:tiny",
        "--label",
        "species",
        "--devices",
        3,
        "--strategy",
        "pipeline",
        "-o",
        tmp_path / "m",
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "2 layers and cannot be split into 3 stages" in err


@pytest.mark.slow
def test_a_worker_that_raises(
    penguins: tuple[Path, Path, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    new_children: Callable[[], list[Any]],
) -> None:
    data, schema, _ = penguins
    code = _train(
        data,
        "--schema",
        schema,
        "--model",
        "training_models:exploding",
        "--label",
        "species",
        "--devices",
        2,
        "--strategy",
        "pipeline",
        "--micro-batches",
        2,
        "-o",
        tmp_path / "m",
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "on cpu failed: ValueError: this layer always fails" in err
    assert new_children() == []
    assert not (tmp_path / "m" / "model.safetensors").exists()


def test_single_device_json_record(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, _ = penguins
    code = _train(
        data,
        "--schema",
        schema,
        "--model",
        "training_models:penguin_mlp",
        "--label",
        "species",
        "--epochs",
        2,
        "--format",
        "json",
        "-o",
        tmp_path / "m",
    )
    record = json.loads(capsys.readouterr().out)
    assert code == 0
    assert record["strategy"] == "single" and len(record["losses"]) == 2
    assert record["rows"]["used"] + record["rows"]["left_over"] == 260
    assert np.isfinite(record["losses"]).all()
