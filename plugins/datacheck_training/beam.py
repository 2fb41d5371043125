"""The training plugin's Beam stage: ``Train``, validated batches in, a model folder out.

Beam is not a trainer: the stage writes the incoming record batches (for example the
``valid`` output of :class:`datacheck.beam.ValidateBatches`) as Parquet shards beside the
model, gathers their paths into one element, and a single DoFn calls
:func:`datacheck_training.train` on them, which starts its own processes (one per device) and
validates again (so rows that did not come through a gate are checked too). The output is one
element: ``(model folder, training record)``::

    with beam.Pipeline() as p:
        valid = p | ReadBatches("data/*.parquet") | ValidateBatches(schema)
        model = valid.valid | Train("my_models:make_model", schema=schema, label="species",
                                    output="model/", devices=2, strategy="pipeline")

Importing this module without Apache Beam raises ``MissingExtraError`` naming
``pip install 'datacheck[beam]'``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datacheck.errors import MissingExtraError

try:
    import apache_beam as beam
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingExtraError("apache_beam", "beam") from exc

import pyarrow as pa
import pyarrow.parquet as pq

from datacheck.plugin import load_reference
from datacheck.schema import Schema

__all__ = ["Train"]

#: the folder, inside the model folder, the shards are written to
SHARDS = "shards"


def _write_shard(batch: pa.RecordBatch, folder: str) -> str | None:
    if batch.num_rows == 0:
        return None
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"part-{uuid.uuid4().hex}.parquet")
    tmp = f"{path}.tmp"
    pq.write_table(pa.Table.from_batches([batch]), tmp)
    os.replace(tmp, path)  # a retried bundle never leaves half a shard
    return path


def _train(
    paths: Iterable[str | None], model: str, options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    from datacheck_training._train import train

    shards = sorted(p for p in paths if p is not None)  # the same order on every run
    run = train(load_reference(model)(), shards, factory=model, **options)
    return str(options["output"]), run.record


class Train(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Train a model on record batches; one element out: ``(model folder, record)``.

    Args:
        model: ``"module:function"`` that builds the network (workers import it).
        schema: The rows' schema (the label must be one of its features).
        label: The label column.
        output: The model folder (a path every Beam worker can write: shards go inside).
        **options: Other arguments of :func:`datacheck_training.train` (devices, strategy,
            micro_batches, epochs, ...).
    """

    def __init__(
        self, model: str, *, schema: Schema, label: str, output: str, **options: Any
    ) -> None:
        super().__init__()
        self._model = model
        self._shards = str(Path(output) / SHARDS)
        self._options = {"schema": schema, "label": label, "output": output, **options}

    def expand(self, batches: Any) -> Any:
        return (
            batches
            | "WriteShards" >> beam.Map(_write_shard, self._shards)
            | "GatherShards" >> beam.combiners.ToList()
            | "TrainOnce" >> beam.Map(_train, self._model, self._options)
        )
