"""``datacheck train-many``: a grid on real data end to end (model folders, summary, the best
model loads and predicts); bad requests as one line, exit 2, and no worker left behind."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from palmerpenguins import load_penguins

from datacheck import generate_statistics, infer_schema, save_schema
from datacheck.cli import main
from datacheck_training import load_model, predict

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def penguins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    frame = load_penguins().sample(frac=1.0, random_state=0).reset_index(drop=True)
    folder = tmp_path_factory.mktemp("penguins")
    data = folder / "train.csv"
    frame.iloc[:260].to_csv(data, index=False)
    schema = folder / "schema.json"
    save_schema(infer_schema(generate_statistics(str(data))), schema)
    return data, schema, frame.iloc[260:]


def _many(data: Path, schema: Path, model: str, *args: object) -> int:
    return main(
        ["train-many", str(data), "--schema", str(schema), "--model", model, "--label", "species"]
        + [str(a) for a in args]
    )


def test_a_grid_trains_and_writes_every_model_and_a_summary(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, held_out = penguins
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"lr": [0.01, 0.001]}))
    out = tmp_path / "out"
    code = _many(
        data,
        schema,
        "grid_models:penguin_net",
        "--grid",
        grid,
        "--param",
        "width=16,32",
        "--memory-budget",
        "48KiB",
        "--epochs",
        2,
        "--progress-every",
        0,
        "-o",
        out,
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    summary = json.loads((out / "summary.json").read_text())
    models = summary["models"]
    assert [m["hyper_parameters"] for m in models] == [
        {"lr": lr, "width": w} for lr in (0.01, 0.001) for w in (16, 32)
    ]
    for m in models:
        assert len(m["losses"]) == len(m["validation"]) == 2
        assert 0 < m["busy_fraction"] <= 1 and m["wall_s"] > 0
        assert len(m["stage_sizes"]) >= 2  # spilled: more than one shard
    best = min(models, key=lambda m: m["validation"][-1])
    assert summary["best"]["name"] == best["name"]
    assert summary["best"]["validation"] == best["validation"][-1]
    assert len(summary["devices"]) == 2
    for device in summary["devices"]:
        assert 0 < device["busy_fraction"] <= 1
        assert 0 < device["cache_peak_bytes"] <= summary["memory_budget"] == 48 * 1024
    # progress off a terminal: periodic lines and each epoch's end, then the one-line result
    assert "units" in printed.out and f"{best['name']} epoch 2: loss" in printed.out
    assert "trained 4 models" in printed.out and f"best: {summary['best']['name']}" in printed.out
    model = load_model(out / summary["best"]["name"])  # the factory rebuilt with its width
    assert model.record["factory_kwargs"]["width"] in (16, 32)
    test = pa.Table.from_pandas(held_out, preserve_index=False)
    y, has = model.encoder.labels(test)
    accuracy = float((predict(model, test).argmax(1) == y.argmax(1))[has].mean())
    assert math.isfinite(accuracy) and accuracy > 0.5


def test_json_format_prints_the_summary_alone(
    penguins: tuple[Path, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema, _ = penguins
    code = _many(
        data,
        schema,
        "training_models:penguin_mlp",
        "--param",
        "lr=0.01,0.001",
        "--param",
        "optimizer=sgd",
        "--memory-budget",
        "64KiB",
        "--format",
        "json",
        "-o",
        tmp_path / "out",
    )
    printed = capsys.readouterr().out
    assert code == 0
    summary = json.loads(printed)
    assert [m["hyper_parameters"] for m in summary["models"]] == [
        {"lr": 0.01, "optimizer": "sgd"},
        {"lr": 0.001, "optimizer": "sgd"},
    ]


@pytest.mark.parametrize(
    ("model", "args", "expected"),
    [
        (
            "grid_models:penguin_net",
            ["--param", "width=8,512", "--memory-budget", "64KiB"],
            r"--memory-budget 65536: model-1: layer 2 \(Linear\) alone needs 4\.\d MiB",
        ),
        (
            "grid_models:penguin_net",
            ["--param", "widht=8", "--memory-budget", "64KiB"],
            r"--grid widht: unknown hyper-parameter; known: .*depth, width",
        ),
        (
            "training_models:fails_in_worker",
            ["--param", "lr=0.01,0.001", "--memory-budget", "64KiB"],
            r"training model-\d failed: shard \d: ValueError: this shard fails on a device",
        ),
    ],
)
def test_bad_requests_are_one_line_exit_2_and_no_worker_stays(
    penguins: tuple[Path, Path, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    new_children: Callable[[], list[Any]],
    model: str,
    args: list[str],
    expected: str,
) -> None:
    data, schema, _ = penguins
    code = _many(data, schema, model, *args, "-o", tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.search(expected, err), err
    assert new_children() == []
    assert not (tmp_path / "out" / "summary.json").exists()
