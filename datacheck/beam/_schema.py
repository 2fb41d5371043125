"""InferSchema: a profile into a proposed schema, inside a pipeline."""

from __future__ import annotations

from typing import Any

import apache_beam as beam

from datacheck.schema import InferOptions, infer_schema

__all__ = ["InferSchema"]


class InferSchema(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Infer a :class:`datacheck.Schema` from each profile, with :func:`infer_schema`.

    Example::

        with beam.Pipeline() as p:
            schema = (
                p
                | "Read" >> ReadBatches("train/*.parquet")
                | "Stats" >> GenerateStatistics()
                | "Infer" >> InferSchema()
            )

    Args:
        options: Inference options; the defaults infer no numeric ranges.
    """

    def __init__(self, options: InferOptions | None = None) -> None:
        super().__init__()
        self._options = options

    def expand(self, profiles: Any) -> Any:
        return profiles | "InferSchema" >> beam.Map(infer_schema, self._options)
