"""Apache Beam transforms over datacheck's readers, generators and checks (``datacheck-ml[beam]``).

The same code that runs in memory runs inside a pipeline, so the DirectRunner, Flink, Spark and
Dataflow give the profile :func:`datacheck.generate_statistics` gives::

    import apache_beam as beam
    from datacheck.beam import GenerateStatistics, ReadBatches, WriteProfile

    with beam.Pipeline() as p:
        _ = (
            p
            | "Read" >> ReadBatches("data/*.parquet")
            | "Stats" >> GenerateStatistics()
            | "Write" >> WriteProfile("profile.json")
        )

Importing this package without Apache Beam installed raises
:class:`~datacheck.errors.MissingExtraError` (an ``ImportError``) naming
``pip install 'datacheck-ml[beam]'``.
"""

from __future__ import annotations

from datacheck.beam import _extra  # noqa: F401  # first: fails without Apache Beam
from datacheck.beam._io import ReadBatches
from datacheck.beam._runner import (
    RUNNERS,
    beam_pipeline_options,
    check_dataset_on_beam,
    file_paths,
    profile_on_beam,
    run_pipeline,
)
from datacheck.beam._schema import InferSchema
from datacheck.beam._stats import (
    GenerateStatistics,
    GeneratorCombineFn,
    ProfileCombineFn,
    RunGenerator,
)
from datacheck.beam._validate import QUARANTINE, VALID, ValidateBatches, ValidateStatistics
from datacheck.beam._write import WriteProfile, WriteReport

__all__ = [
    "QUARANTINE",
    "RUNNERS",
    "VALID",
    "GenerateStatistics",
    "GeneratorCombineFn",
    "InferSchema",
    "ProfileCombineFn",
    "ReadBatches",
    "RunGenerator",
    "ValidateBatches",
    "ValidateStatistics",
    "WriteProfile",
    "WriteReport",
    "beam_pipeline_options",
    "check_dataset_on_beam",
    "file_paths",
    "profile_on_beam",
    "run_pipeline",
]
