"""A/B of row-level validation with and without row checks (issue 13's 1.5x budget).

The table and the pandera-style schema of ``bench_validate.py`` (1M x 20: type, nullable, range,
1,000-value domains, string length), checked by ``validate_batches`` in 65,536-row batches:

- A: that schema, as ``bench_validate.py`` times it;
- B: plus one row expression over two int columns (``i_poisson + i_geometric >= 1``);
- C: plus a compound expression over three float columns with NaN among them, written so that
  a NaN passes, so that only evaluation is timed, not quarantining
  (``f_gamma is null or not (f_gamma + f_exponential < 0 or abs(f_uniform) > 1)``);
- D: plus one custom check (numpy over two columns, registered in process).

Runs are interleaved (A, B, C, D, A, ...), so that other load on the machine hits every
variant alike; medians of 7. Run: ``.venv/bin/python bench/bench_row_checks.py [ROWS]``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import make_table  # bench/ is not a package: the path is set above
from bench_validate import _bounds, _race, _vocabularies, datacheck_schema, run_datacheck

from datacheck.schema import RowCheck
from datacheck.validate import register_check

ONE = RowCheck(name="positive_sum", expression="i_poisson + i_geometric >= 1")
COMPOUND = RowCheck(
    name="compound",
    expression="f_gamma is null or not (f_gamma + f_exponential < 0 or abs(f_uniform) > 1)",
)


@register_check("bench.ids")
def _ids(batch: pa.RecordBatch) -> np.ndarray:
    ids = batch.column("i_id").to_numpy(zero_copy_only=False)
    return np.asarray(ids % 7919 == 0) & np.asarray(batch.column("i_geometric").to_numpy() >= 1)


CUSTOM = RowCheck(name="ids", check="bench.ids")


def main(rows: int) -> None:
    table = make_table(rows)
    schema = datacheck_schema(_bounds(table), _vocabularies(table))
    variants = {
        "A: no row check": schema,
        "B: + one expression": replace(schema, row_checks=(ONE,)),
        "C: + compound expression": replace(schema, row_checks=(COMPOUND,)),
        "D: + custom check": replace(schema, row_checks=(CUSTOM,)),
    }
    found = {label: run_datacheck(table, s) for label, s in variants.items()}
    times = _race(
        {label: (lambda s=s: run_datacheck(table, s)) for label, s in variants.items()}, runs=7
    )
    base = times["A: no row check"]
    print(f"row-level validation with row checks, {rows:,} rows x {table.num_columns} columns")
    for label, t in times.items():
        print(
            f"{label:26s} {t:.3f} s  ratio to A {t / base:.2f} (budget <= 1.5)  "
            f"quarantined {found[label]:,}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
