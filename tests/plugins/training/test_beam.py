"""``Train`` as a Beam stage: the valid output of the gate in, one model folder out."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

pytestmark = pytest.mark.beam
beam = pytest.importorskip("apache_beam")

from apache_beam.testing.util import assert_that  # noqa: E402  # Beam is optional
from palmerpenguins import load_penguins  # noqa: E402

from datacheck import generate_statistics, infer_schema  # noqa: E402
from datacheck_training import load_model, read_record  # noqa: E402
from datacheck_training.beam import Train  # noqa: E402


def test_train_stage_writes_a_model(tmp_path: Path) -> None:
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    schema = infer_schema(generate_statistics(table))
    out = tmp_path / "model"

    def check(elements: list[tuple[str, dict[str, object]]]) -> None:
        assert len(elements) == 1
        path, record = elements[0]
        assert path == str(out) and len(record["losses"]) == 2  # type: ignore[arg-type]

    with beam.Pipeline() as p:
        batches = p | beam.Create(table.to_batches(max_chunksize=50))
        result = batches | Train(
            "training_models:penguin_mlp", schema=schema, label="species", output=str(out), epochs=2
        )
        assert_that(result, check)
    record = read_record(out)
    assert record["rows"]["read"] == 344 and len(record["losses"]) == 2
    assert len(list((out / "shards").glob("*.parquet"))) == 7
    assert record["factory"] == "training_models:penguin_mlp"
    assert load_model(out).encoder.num_classes == 3
