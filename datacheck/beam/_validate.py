"""ValidateStatistics and ValidateBatches: dataset-level and row-level checks in a pipeline.

Bad rows are data, never an exception: :class:`ValidateBatches` sends them to its
``quarantine`` output (a dead-letter output) with a reason per row, and every input row comes
out of exactly one of its two outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
import pyarrow as pa

from datacheck.beam._keys import CheckRowsAndKeys, active_keys
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile
from datacheck.validate import ValidationOptions, validate_batches, validate_statistics

__all__ = ["QUARANTINE", "VALID", "ValidateBatches", "ValidateStatistics"]

#: the tag of :class:`ValidateBatches`' output of rows that pass every check
VALID = "valid"
#: the tag of its dead-letter output: failed rows plus a ``datacheck_reasons`` column
QUARANTINE = "quarantine"


def _side(value: DatasetProfile | Any | None) -> Any:
    """A profile given as a value stays one; a one-element PCollection becomes a side input."""
    if isinstance(value, beam.pvalue.PCollection):
        return beam.pvalue.AsSingleton(value)
    return value


def _validate(
    profile: DatasetProfile,
    schema: Schema,
    baseline: DatasetProfile | None,
    serving: DatasetProfile | None,
    environment: str | None,
    options: ValidationOptions | None,
) -> Any:
    return validate_statistics(
        profile,
        schema,
        baseline=baseline,
        serving=serving,
        environment=environment,
        options=options,
    )


class ValidateStatistics(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Check each profile against a schema (and measure drift and skew) into a report.

    Runs :func:`datacheck.validate.validate_statistics`; ``baseline`` and ``serving`` are
    profiles, given either as values or as one-element ``PCollection`` s (side inputs).

    Example::

        with beam.Pipeline() as p:
            baseline = p | "Baseline" >> ReadBatches("day1/") | "S1" >> GenerateStatistics()
            _ = (
                p
                | "Read" >> ReadBatches("day2/")
                | "Stats" >> GenerateStatistics()
                | "Validate" >> ValidateStatistics(load_schema("schema.json"), baseline=baseline)
                | "Write" >> WriteReport("report.json")
            )

    Args:
        schema: What the data must look like.
        baseline: The profile of an earlier span, to measure drift against.
        serving: The profile of serving data, to measure skew against.
        environment: Validate as in this environment (one the schema defines).
        options: See :class:`datacheck.validate.ValidationOptions`.
    """

    def __init__(
        self,
        schema: Schema,
        baseline: DatasetProfile | Any | None = None,
        serving: DatasetProfile | Any | None = None,
        environment: str | None = None,
        options: ValidationOptions | None = None,
    ) -> None:
        super().__init__()
        self._schema = schema
        self._baseline = baseline
        self._serving = serving
        self._environment = environment
        self._options = options

    def expand(self, profiles: Any) -> Any:
        return profiles | "ValidateStatistics" >> beam.Map(
            _validate,
            self._schema,
            _side(self._baseline),
            _side(self._serving),
            self._environment,
            self._options,
        )


class _CheckRows(beam.DoFn):  # type: ignore[misc]  # Beam ships no type hints
    """Each batch's passing rows to the main output, the others to ``quarantine``."""

    def __init__(self, schema: Schema, environment: str | None, strict_columns: bool) -> None:
        super().__init__()
        self._schema = schema
        self._environment = environment
        self._strict_columns = strict_columns

    def process(self, batch: pa.RecordBatch) -> Iterator[Any]:
        for checked in validate_batches(
            [batch],
            self._schema,
            environment=self._environment,
            strict_columns=self._strict_columns,
        ):
            if checked.valid.num_rows:
                yield checked.valid
            if checked.quarantined.num_rows:
                yield beam.pvalue.TaggedOutput(QUARANTINE, checked.quarantined)


class ValidateBatches(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Check every row; passing rows go to ``valid``, failing ones to ``quarantine``.

    Runs :func:`datacheck.validate.validate_batches` on each batch. A bad row is never an
    exception: it goes to the dead-letter output ``quarantine`` with its original columns and
    a ``datacheck_reasons`` column (one ``{code, feature}`` entry per failed check) and its
    source (``datacheck_source_file``, ``datacheck_source_row``: the file and the row number
    within it, as :class:`ReadBatches` read it). Every input row is in exactly one output;
    zero-row batches are not emitted. A schema's unique keys are checked across all batches by
    a keyed combine (``_keys.py``): the row with a key's smallest (file, row number) passes,
    later ones are quarantined (``DUPLICATE_KEY``), as in memory; the batches must come from
    :class:`ReadBatches`, which tags each row's file and row number.

    Example::

        with beam.Pipeline() as p:
            checked = (
                p
                | "Read" >> ReadBatches("incoming/*.csv")
                | "Check" >> ValidateBatches(load_schema("schema.json"))
            )
            good_rows = checked.valid | "CountValid" >> beam.Map(lambda b: b.num_rows)
            bad_rows = checked.quarantine | "CountBad" >> beam.Map(lambda b: b.num_rows)

    Args:
        schema: The schema to check against.
        environment: Check only the features expected in this environment.
        strict_columns: Also quarantine every row for a column the schema expects that the
            data lacks (by default a missing column is a dataset-level anomaly only).

    Raises:
        OptionError: ``environment`` is not defined by the schema (when the pipeline is
            built); in the running pipeline, an input that already has a
            ``datacheck_reasons`` column.
    """

    def __init__(
        self, schema: Schema, environment: str | None = None, *, strict_columns: bool = False
    ) -> None:
        super().__init__()
        # Runs the request checks (the environment exists) now, not on a worker.
        list(validate_batches([], schema, environment=environment))
        self._schema = schema
        self._environment = environment
        self._strict_columns = strict_columns

    def expand(self, batches: Any) -> Any:
        if active_keys(self._schema, self._environment):
            # Unique keys span batches: a keyed combine finds the duplicates (see _keys.py).
            return batches | "CheckRowsAndKeys" >> CheckRowsAndKeys(
                self._schema, self._environment, self._strict_columns, QUARANTINE, VALID
            )
        return batches | "CheckRows" >> beam.ParDo(
            _CheckRows(self._schema, self._environment, self._strict_columns)
        ).with_outputs(QUARANTINE, main=VALID)
