"""Counts of the quarantined rows, in all and per reason, for the report's summary.

A row that fails several checks of one code (two features out of range) counts once for that
code; a row that fails checks of two codes counts once for each. So the per-code counts add
up to at least the quarantined rows, and to exactly that when every row has one reason.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from datacheck.validate._report import ValidationReport
from datacheck.validate._rows import REASONS_COLUMN, CheckedBatch

__all__ = ["QuarantineTally"]


class QuarantineTally:
    """Adds up the quarantined rows of checked batches (mutable; one per validation)."""

    def __init__(self) -> None:
        #: rows quarantined so far
        self.rows = 0
        self._by_code: dict[str, int] = {}

    def add(self, checked: CheckedBatch) -> None:
        """Count ``checked``'s quarantined rows and their reasons."""
        quarantined = checked.quarantined
        if not quarantined.num_rows:
            return
        self.rows += quarantined.num_rows
        reasons = quarantined.column(REASONS_COLUMN)
        pairs = pa.table(
            {
                "row": pc.list_parent_indices(reasons),
                "code": pc.struct_field(pc.list_flatten(reasons), "code"),
            }
        )
        counted = pairs.group_by("code").aggregate([("row", "count_distinct")])
        for code, count in zip(
            counted.column("code").to_pylist(),
            counted.column("row_count_distinct").to_pylist(),
            strict=True,
        ):
            self._by_code[code] = self._by_code.get(code, 0) + count

    def by_code(self) -> dict[str, int]:
        """Anomaly code -> rows quarantined with that code, most rows first, then by code."""
        return dict(sorted(self._by_code.items(), key=lambda item: (-item[1], item[0])))

    def summarize(self, report: ValidationReport) -> ValidationReport:
        """``report`` with these counts in its summary."""
        summary = replace(
            report.summary, quarantined_rows=self.rows, quarantined_by_code=self.by_code()
        )
        return replace(report, summary=summary)
