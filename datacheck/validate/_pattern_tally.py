"""Patterns and unique keys over a dataset: the dataset-level anomalies, from the rows.

:class:`PatternKeyTally` counts the rows the pattern and key checks quarantined, from the
checked batches' reasons (in input order), and the keys a tracker gave up on;
:meth:`PatternKeyTally.anomalies` turns them into anomalies: a pattern whose non-matching share
of present values is over its ``max_mismatch_fraction``, a key with duplicates (error), a key
that could not be checked on every row (``KEY_NOT_CHECKED``, a warning). ``check_dataset`` runs
it on every row, also when the caller does not want the rows, with a schema of only those
checks (:func:`pattern_key_schema`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacheck._regex import key_name
from datacheck.schema import Feature, Presence, Schema
from datacheck.stats import DatasetProfile
from datacheck.validate._codes import DEFAULT_SEVERITY, AnomalyCode, Severity
from datacheck.validate._report import Anomaly, ValidationReport
from datacheck.validate._rows import REASONS_COLUMN, CheckedBatch, validate_batches

__all__ = ["PatternKeyTally", "pattern_key_schema", "with_anomalies"]

_COUNTED = frozenset({str(AnomalyCode.STRING_PATTERN_MISMATCH), str(AnomalyCode.DUPLICATE_KEY)})


def pattern_key_schema(schema: Schema) -> Schema | None:
    """``schema`` with only its patterns and unique keys (the features that have a pattern or
    are part of a key, with no other check), or None when it has neither."""
    if not schema.unique_keys and all(f.pattern is None for f in schema.features):
        return None
    keyed = {name for key in schema.unique_keys for name in key}
    features = tuple(
        Feature(
            name=f.name,
            type=f.type,
            presence=Presence(),
            pattern=f.pattern,
            in_environments=f.in_environments,
            not_in_environments=f.not_in_environments,
            lifecycle=f.lifecycle,
            arrow_type=f.arrow_type,
        )
        for f in schema.features
        if f.pattern is not None or f.name in keyed
    )
    return replace(schema, features=features, row_checks=())


class PatternKeyTally:
    """Failed rows per (code, feature) over the checked batches, and the keys not checked."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        #: key name -> the row (counted from the first) from which it was not checked
        self.unchecked: dict[str, int] = {}
        #: rows counted
        self.rows = 0

    def add(self, checked: CheckedBatch) -> None:
        """Count one checked batch's failures (called in input order)."""
        for name in checked.unchecked_keys:
            self.unchecked.setdefault(name, self.rows)
        self.rows += checked.batch.num_rows
        if not checked.quarantined.num_rows:
            return
        entries = pc.list_flatten(checked.quarantined.column(REASONS_COLUMN))
        codes = entries.field("code").to_pylist()
        features = entries.field("feature").to_pylist()
        self.counts.update((c, f) for c, f in zip(codes, features, strict=True) if c in _COUNTED)

    def observe(
        self,
        batches: Iterable[pa.RecordBatch],
        schema: Schema,
        environment: str | None,
        max_keys: int,
    ) -> Iterator[pa.RecordBatch]:
        """The batches, passed on as they come, once the pattern and key checks counted them
        (for a caller that does not want the rows)."""
        only = pattern_key_schema(schema)
        if only is None:
            yield from batches
            return
        for checked in validate_batches(batches, only, environment=environment, max_keys=max_keys):
            self.add(checked)
            yield checked.batch

    def anomalies(
        self, schema: Schema, profile: DatasetProfile, environment: str | None
    ) -> list[Anomaly]:
        """The dataset-level anomalies of the patterns and unique keys."""
        out: list[Anomaly] = []
        for f in schema.features_in(environment):
            if f.pattern is None:
                continue
            failed = self.counts[(str(AnomalyCode.STRING_PATTERN_MISMATCH), f.name)]
            stats = profile.features.get(f.name)
            present = stats.num_present if stats is not None else self.rows
            share = failed / present if present else 0.0
            if failed and share > f.pattern.max_mismatch_fraction:
                out.append(
                    _anomaly(
                        schema,
                        AnomalyCode.STRING_PATTERN_MISMATCH,
                        f.name,
                        f"{failed} of {present} present values of {f.name!r} ({share:.2%}) do "
                        f"not match the pattern {f.pattern.regex!r}; at most "
                        f"{f.pattern.max_mismatch_fraction:.2%} may",
                        measured=share,
                        expected=f.pattern.max_mismatch_fraction,
                    )
                )
        for key in schema.unique_keys:
            out += self._key_anomalies(schema, key)
        return out

    def finish(
        self,
        report: ValidationReport,
        schema: Schema,
        profile: DatasetProfile,
        environment: str | None,
    ) -> ValidationReport:
        """``report`` with the dataset-level anomalies of the patterns and unique keys."""
        return with_anomalies(report, self.anomalies(schema, profile, environment))

    def _key_anomalies(self, schema: Schema, key: tuple[str, ...]) -> list[Anomaly]:
        name = key_name(key)
        shown = json.dumps(list(key), ensure_ascii=False)
        out = []
        duplicates = self.counts[(str(AnomalyCode.DUPLICATE_KEY), name)]
        if duplicates:
            rows = "1 row repeats" if duplicates == 1 else f"{duplicates} rows repeat"
            out.append(
                _anomaly(
                    schema,
                    AnomalyCode.DUPLICATE_KEY,
                    name,
                    f"{rows} the key {shown} of an earlier row; a key must be unique (the "
                    "first row with it passes, later ones are quarantined)",
                    measured=duplicates,
                    expected=0,
                )
            )
        if name in self.unchecked:
            start = self.unchecked[name]
            out.append(
                _anomaly(
                    schema,
                    AnomalyCode.KEY_NOT_CHECKED,
                    name,
                    f"the uniqueness of key {shown} was not checked from row {start} on: more "
                    "distinct keys than max_keys (16 bytes each); raise max_keys to check "
                    "every row",
                    measured=start,
                )
            )
        return out


def _anomaly(
    schema: Schema, code: AnomalyCode, path: str | None, message: str, **values: Any
) -> Anomaly:
    override = schema.severity_override(str(code), path)
    severity = Severity(override) if override is not None else DEFAULT_SEVERITY[code]
    return Anomaly(code=code, severity=severity, path=path, message=message, **values)


def with_anomalies(report: ValidationReport, extra: list[Anomaly]) -> ValidationReport:
    """``report`` with ``extra`` anomalies after its own."""
    return replace(report, anomalies=(*report.anomalies, *extra)) if extra else report
