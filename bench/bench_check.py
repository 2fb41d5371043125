"""check_dataset (one pass: profile and row checks share each batch) against the two passes the
command made before (profile the file, then read it again for the row checks).

Both sides compute the same thing: the profile, its validation report, and every quarantined
row with its reasons. 1,000,000 rows x 20 columns from ``bench/_dataset.py`` (seed 0), as CSV
and as Parquet; the contenders run in turn, ``--runs`` times, and the medians are compared.

    .venv/bin/python bench/bench_check.py [--rows 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _dataset import write_dataset
from bench_validate import _race as race  # interleaved runs, medians: one rule for both

from datacheck.io import read_batches
from datacheck.schema import Schema, infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import CheckedBatch, check_dataset, validate_batches, validate_statistics


def one_pass(path: Path, schema: Schema) -> int:
    bad = [0]

    def count(checked: CheckedBatch) -> None:
        bad[0] += checked.quarantined.num_rows

    check_dataset(path, schema, on_quarantine=count)
    return bad[0]


def two_passes(path: Path, schema: Schema) -> int:
    validate_statistics(generate_statistics(path), schema)
    return sum(c.quarantined.num_rows for c in validate_batches(read_batches(path), schema))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    csv_path, parquet_path = write_dataset(args.rows)
    schema = infer_schema(generate_statistics(parquet_path))
    print(f"{args.rows:,} rows x 20 columns; {args.runs} runs each, medians")
    print(f"{'file':<8} {'one pass':>10} {'two passes':>11} {'one / two':>10}  quarantined")
    for label, path in (("parquet", parquet_path), ("csv", csv_path)):
        assert one_pass(path, schema) == two_passes(path, schema)
        t = race(
            {
                "one": lambda p=path: one_pass(p, schema),
                "two": lambda p=path: two_passes(p, schema),
            },
            args.runs,
        )
        print(
            f"{label:<8} {t['one']:>9.3f}s {t['two']:>10.3f}s {t['one'] / t['two']:>10.2f}  "
            f"{one_pass(path, schema):,}"
        )


if __name__ == "__main__":
    main()
