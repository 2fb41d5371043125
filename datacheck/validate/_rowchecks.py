"""The schema's row checks at validation: each one's failing rows, and their share in the report.

A row check (``Schema.row_checks``) is a row expression or a custom check. Here each becomes a
plan with the same face as a feature's checks in ``_rows.py`` (``check(table, failures)``), so
:func:`validate_batches` quarantines a failing row with a reason naming the check
(``ROW_CHECK_FAILED`` or ``CUSTOM_CHECK_FAILED``, the check's name where a feature's path goes).
:class:`RowCheckTally` counts the failing rows over a dataset, for the dataset-level anomaly
that states the failing share.

An expression's columns are read as their features' types first (the same coercion as the
feature checks: a number written as text is a number, an unreadable value is null), so the
expression sees the values the feature checks see. An expression naming a feature that is not
expected in the validated environment (or is deprecated) is not checked there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import resolve_path
from datacheck._types import FeatureType
from datacheck.errors import RowCheckError
from datacheck.schema import Feature, RowCheck, Schema
from datacheck.validate._codes import DEFAULT_SEVERITY, AnomalyCode, Severity
from datacheck.validate._custom import CheckFunction, check_mask, lookup_check
from datacheck.validate._report import Anomaly
from datacheck.validate._rows import REASONS_COLUMN, CheckedBatch, _coerce

if TYPE_CHECKING:
    from datacheck.schema.expression import Node
    from datacheck.validate._expr import Value

__all__ = ["RowCheckPlan", "RowCheckTally", "row_check_plans"]

#: the Arrow type an expression computes each kind of feature in
_TARGET: dict[FeatureType, pa.DataType] = {
    FeatureType.INT: pa.float64(),
    FeatureType.FLOAT: pa.float64(),
    FeatureType.DECIMAL: pa.float64(),
    FeatureType.STRING: pa.string(),
    FeatureType.BYTES: pa.binary(),
    FeatureType.BOOL: pa.bool_(),
}


class _Sink(Protocol):
    def add(self, code: AnomalyCode, feature: str, failed: pa.Array | pa.ChunkedArray) -> None: ...


def _prepared(table: pa.Table, feature: Feature) -> Value:
    """The feature's column as the expression computes with it (nulls when it is absent)."""
    n = table.num_rows
    target = _TARGET.get(feature.type)
    column = resolve_path(table, feature.name)
    if column is None:
        return pa.nulls(n, target or pa.null())
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    coerced, _, _ = _coerce(column, feature.type)
    if coerced is None or pa.types.is_null(coerced.type):
        return pa.nulls(n, target or pa.null())
    if target is not None and target == pa.float64() and coerced.type != target:
        return pc.cast(coerced, target, safe=False)  # ints past 2**53 round, as documented
    return coerced


class RowCheckPlan:
    """One row check, ready to run on tables of rows (thread-safe: it holds no state)."""

    __slots__ = ("code", "features", "function", "node", "row_check")

    def __init__(self, row_check: RowCheck, schema: Schema) -> None:
        self.row_check = row_check
        self.node: Node | None = None
        self.function: CheckFunction | None = None
        self.features: tuple[Feature, ...] = ()
        if row_check.expression is not None:
            # Imported here: validation without expressions never loads the parser.
            from datacheck.schema.expression import column_names, parse_expression

            self.code = AnomalyCode.ROW_CHECK_FAILED
            self.node = parse_expression(row_check.expression)
            by_name = {f.name: f for f in schema.features}
            unknown = [c for c in column_names(self.node) if c not in by_name]
            if unknown:
                # A schema built in code skips the load-time checks that catch this.
                raise RowCheckError(
                    f"row check {row_check.name!r}: column {unknown[0]!r} in "
                    f"{row_check.expression!r} is not a feature of the schema; add the feature "
                    "or fix the name"
                )
            self.features = tuple(by_name[c] for c in column_names(self.node))
        else:
            assert row_check.check is not None
            self.code = AnomalyCode.CUSTOM_CHECK_FAILED
            self.function = lookup_check(row_check.check, row_check=row_check.name)

    def passed(self, table: pa.Table) -> pa.Array | pa.ChunkedArray:
        """True where a row passes, false where it fails, null where the outcome is unknown."""
        if self.function is not None:
            assert self.row_check.check is not None
            masks = [
                check_mask(
                    self.function, b, name=self.row_check.check, row_check=self.row_check.name
                )
                for b in table.to_batches()
                if b.num_rows
            ]
            return pa.chunked_array(masks, type=pa.bool_())
        from datacheck.validate._expr import as_mask, evaluate

        assert self.node is not None
        columns = {f.name: _prepared(table, f) for f in self.features}
        try:
            return as_mask(evaluate(self.node, columns, self.row_check.tolerance), table.num_rows)
        except pa.ArrowException as error:
            raise RowCheckError(
                f"row check {self.row_check.name!r}: {self.row_check.expression!r} cannot be "
                f"computed on these columns' values: {error}"
            ) from error

    def failed(self, table: pa.Table) -> pa.Array | pa.ChunkedArray:
        """True where a row fails (null, read as no failure, where it passes on a null)."""
        passed = self.passed(table)
        if self.row_check.on_null == "fail":
            passed = pc.fill_null(passed, False)
        return pc.invert(passed)

    def check(self, table: pa.Table, failures: _Sink) -> None:
        """Add this check's failing rows of ``table`` to ``failures``."""
        failures.add(self.code, self.row_check.name, self.failed(table))


def row_check_plans(schema: Schema, environment: str | None) -> tuple[RowCheckPlan, ...]:
    """A plan per row check that applies in ``environment``.

    Raises:
        RowCheckError: a custom check is not registered (raised here, before any data).
    """
    expected = {f.name for f in schema.features_in(environment)}
    plans = (RowCheckPlan(c, schema) for c in schema.row_checks)
    return tuple(p for p in plans if all(f.name in expected for f in p.features))


class _Counter:
    """A :class:`_Sink` that counts failing rows per check."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def add(self, code: AnomalyCode, feature: str, failed: pa.Array | pa.ChunkedArray) -> None:
        self.counts[feature] += pc.sum(failed).as_py() or 0


class RowCheckTally:
    """Failing rows per row check over a dataset, and the anomalies that state their share.

    Feed it every batch, either as a :class:`CheckedBatch` (its reasons are counted) or as a
    plain batch (the row checks alone run on it).
    """

    def __init__(self, schema: Schema, environment: str | None) -> None:
        self.schema = schema
        self.plans = row_check_plans(schema, environment)
        self.rows = 0
        self.counts: dict[str, int] = {p.row_check.name: 0 for p in self.plans}

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Run the row checks on ``batch`` and count its failing rows."""
        self.rows += batch.num_rows
        table = pa.Table.from_batches([batch])
        counter = _Counter(self.counts)
        for plan in self.plans:
            plan.check(table, counter)

    def add_checked(self, checked: CheckedBatch) -> None:
        """Count the failing rows of a batch :func:`validate_batches` checked."""
        self.rows += checked.batch.num_rows
        if not checked.quarantined.num_rows or not self.counts:
            return
        entries = pc.list_flatten(checked.quarantined.column(REASONS_COLUMN))
        codes = entries.field("code")
        ours = pc.is_in(codes, pa.array([str(p.code) for p in self.plans]))
        names = pc.filter(entries.field("feature"), ours)
        for item in pc.value_counts(names).to_pylist():
            if item["values"] in self.counts:
                self.counts[item["values"]] += item["counts"]

    def checked_schema(self, base: Schema | None) -> Schema:
        """A schema that checks the row checks, for a pass over rows only wanted for counts:
        ``base`` (a schema of other such checks) with them added, or the schema's features
        without their own constraints (only their types, which expressions read)."""
        if base is not None:
            return replace(base, row_checks=self.schema.row_checks)
        features = tuple(
            Feature(
                name=f.name,
                type=f.type,
                in_environments=f.in_environments,
                not_in_environments=f.not_in_environments,
                lifecycle=f.lifecycle,
                arrow_type=f.arrow_type,
            )
            for f in self.schema.features
        )
        return Schema(
            features=features,
            default_environments=self.schema.default_environments,
            row_checks=self.schema.row_checks,
        )

    def anomalies(self, rows: int | None = None) -> Iterator[Anomaly]:
        """One anomaly per row check with failing rows, stating their share of ``rows`` (by
        default, the rows counted)."""
        total = self.rows if rows is None else rows
        for plan in self.plans:
            c = plan.row_check
            failed = self.counts[c.name]
            if not failed:
                continue
            override = self.schema.severity_override(str(plan.code))
            severity = Severity(override) if override is not None else DEFAULT_SEVERITY[plan.code]
            what = (
                f"expression {c.expression!r}"
                if c.expression is not None
                else f"custom check {c.check!r}"
            )
            share = failed / total if total else 0.0
            yield Anomaly(
                code=plan.code,
                severity=severity,
                path=None,
                message=(
                    f"row check {c.name!r} ({what}) fails on {failed} of {total} rows "
                    f"({share:.2%}); the failing rows are quarantined with its name"
                ),
                measured={"check": c.name, "failed_rows": failed, "share": share},
                expected=c.expression if c.expression is not None else c.check,
            )
