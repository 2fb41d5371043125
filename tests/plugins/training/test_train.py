"""``train`` on one device: only valid, labeled rows reach the model; the folder is the model
(safetensors plus a JSON record) and the checkpoint; bad requests fail before any work."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch
from palmerpenguins import load_penguins
from torch import nn
from training_models import exploding, penguin_mlp, tiny

from datacheck import generate_statistics, infer_schema
from datacheck.errors import InputError, OptionError
from datacheck.schema import Presence, Schema
from datacheck_training import WorkerError, load_model, predict, read_record, train


@pytest.fixture(scope="module")
def penguins() -> tuple[pa.Table, Schema]:
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    return table, infer_schema(generate_statistics(table))


def _corrupted(table: pa.Table) -> pa.Table:
    """Three rows from an island the schema does not know; two without a species."""
    island = table.column("island").to_pylist()
    species = table.column("species").to_pylist()
    for i in (0, 1, 2):
        island[i] = "Atlantis"
    for i in (10, 11):
        species[i] = None
    table = table.set_column(table.schema.get_field_index("island"), "island", pa.array(island))
    return table.set_column(table.schema.get_field_index("species"), "species", pa.array(species))


def _label_optional(schema: Schema) -> Schema:
    """The schema with the species allowed to be missing (rows the labeler did not cover)."""
    features = tuple(
        replace(f, presence=Presence(min_fraction=0.0)) if f.name == "species" else f
        for f in schema.features
    )
    return replace(schema, features=features)


def test_only_valid_labeled_rows_are_trained_on(
    penguins: tuple[pa.Table, Schema], tmp_path: Path
) -> None:
    table, schema = penguins
    schema = _label_optional(schema)
    run = train(
        penguin_mlp(),
        _corrupted(table),
        schema=schema,
        label="species",
        epochs=2,
        batch_size=32,
        learning_rate=0.01,
        output=tmp_path / "m",
        factory="training_models:penguin_mlp",
    )
    rows = run.record["rows"]
    assert rows["read"] == 344 and rows["quarantined"] == 3 and rows["unlabeled"] == 2
    assert rows["used"] + rows["left_over"] == 344 - 3 - 2
    assert len(run.record["losses"]) == 2 and run.record["epochs_done"] == 2
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {
        "model.safetensors",
        "record.json",
        "profile.json",
    }
    record = read_record(tmp_path / "m")
    assert record["encoder"] == run.model.encoder.to_dict() and record["schema"]["version"] == 1
    served = load_model(tmp_path / "m")  # rebuilt by the recorded factory
    np.testing.assert_allclose(predict(served, table), predict(run.model, table), rtol=1e-6)


def test_loss_goes_down_and_resume_continues(
    penguins: tuple[pa.Table, Schema], tmp_path: Path
) -> None:
    table, schema = penguins
    out = tmp_path / "m"
    first = train(
        penguin_mlp(),
        table,
        schema=schema,
        label="species",
        epochs=3,
        learning_rate=0.01,
        output=out,
    )
    losses = first.record["losses"]
    assert losses[-1] < losses[0]
    again = train(
        penguin_mlp(),
        table,
        schema=schema,
        label="species",
        epochs=2,
        learning_rate=0.01,
        output=out,
        resume=out,
    )
    assert again.record["epochs_done"] == 5 and again.record["losses"][:3] == losses
    assert again.record["losses"][3] < losses[0]


def test_micro_batches_on_one_device_equal_whole_batches(penguins: tuple[pa.Table, Schema]) -> None:
    table, schema = penguins
    kw = dict(
        schema=schema,
        label="species",
        epochs=1,
        batch_size=32,
        optimizer="sgd",
        learning_rate=0.1,
        dtype="float64",
    )
    one = train(penguin_mlp(), table, micro_batches=1, **kw)
    four = train(penguin_mlp(), table, micro_batches=4, **kw)
    for (name, a), b in zip(
        one.model.module.state_dict().items(), four.model.module.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12, msg=name)


def test_label_not_in_the_schema(penguins: tuple[pa.Table, Schema]) -> None:
    table, schema = penguins
    with pytest.raises(OptionError, match="label='kind': not a feature of the schema"):
        train(penguin_mlp(), table, schema=schema, label="kind")


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        (tiny, {"devices": 3}, "2 layers and cannot be split into 3 stages"),
        (lambda: nn.Linear(19, 3), {"devices": 2}, "splits an nn.Sequential into stages"),
        (
            penguin_mlp,
            {"devices": 4, "micro_batches": 2, "schedule": "1f1b"},
            "at least as many micro-batches",
        ),
        (penguin_mlp, {"devices": 2, "checkpoint": "sometimes"}, "checkpoint='sometimes'"),
    ],
)
def test_pipeline_requests_refused_before_any_work(
    penguins: tuple[pa.Table, Schema], model: object, options: dict[str, object], message: str
) -> None:
    table, schema = penguins
    with pytest.raises(OptionError, match=message):
        train(model(), table, schema=schema, label="species", strategy="pipeline", **options)  # type: ignore[operator]


def test_a_layer_that_raises_in_one_process(penguins: tuple[pa.Table, Schema]) -> None:
    table, schema = penguins
    with pytest.raises(
        WorkerError, match="training on cpu failed: ValueError: this layer always fails"
    ):
        train(exploding(), table, schema=schema, label="species")


def test_loading_refuses_a_pickle(penguins: tuple[pa.Table, Schema], tmp_path: Path) -> None:
    table, schema = penguins
    out = tmp_path / "m"
    train(penguin_mlp(), table, schema=schema, label="species", epochs=1, output=out)
    torch.save(penguin_mlp().state_dict(), out / "model.safetensors")  # a pickle in disguise
    with pytest.raises(InputError, match="safetensors"):
        load_model(out, model=penguin_mlp())
    (out / "record.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(InputError, match="not a training record"):
        load_model(out, model=penguin_mlp())


@pytest.mark.slow
def test_data_parallel_through_train(penguins: tuple[pa.Table, Schema], tmp_path: Path) -> None:
    table, schema = penguins
    run = train(
        penguin_mlp(),
        table,
        schema=schema,
        label="species",
        devices=2,
        strategy="data",
        epochs=3,
        learning_rate=0.01,
        output=tmp_path / "m",
    )
    record = run.record
    assert record["strategy"] == "data" and record["devices"] == ["cpu", "cpu"]
    assert record["rows"]["used"] == 344 and len(record["losses"]) == 3
    assert record["losses"][-1] < record["losses"][0]
    served = load_model(tmp_path / "m", model=penguin_mlp())
    np.testing.assert_allclose(predict(served, table), predict(run.model, table), rtol=1e-6)
