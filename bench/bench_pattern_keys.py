"""A/B of row validation with and without the pattern and unique-key checks (issue 13).

The baseline is bench_validate.py's schema on its 1M x 20 table (type, nullable, ranges, the
1,000-value domains, string lengths); B adds what a user would write for this table: a pattern
on each of the 6 categorical code columns (``c<i>_<letters><digits>``) and ``i_id`` as a
unique key; patterns on the 2 free-text columns (about 90 characters each) are timed apart.
Every value matches and every id is unique, so B quarantines exactly the rows A does: the
difference is the checks' cost. The runs are taken in turns and the medians compared.

Run: ``.venv/bin/python bench/bench_pattern_keys.py [ROWS] [RUNS]``.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import make_table  # bench/ is not a package: the path is set above
from bench_validate import _bounds, _vocabularies, corrupt, datacheck_schema, run_datacheck

from datacheck.schema import Schema, StringPattern

#: the codes of the 6 categorical columns (c0_ to c5_, letters, digits)
CODES = {f"cat_{i}": rf"c{i}_[a-z]+\d+" for i in range(6)}
#: the 2 free-text columns: 3 to 15 words of letters and digits (about 90 characters)
TEXT = {f"text_{i}": r"[a-z]+\d+( [a-z]+\d+)*" for i in range(2)}


def with_patterns(schema: Schema, patterns: dict[str, str]) -> Schema:
    features = tuple(
        dataclasses.replace(f, pattern=StringPattern(regex=patterns[f.name]))
        if f.name in patterns
        else f
        for f in schema.features
    )
    return dataclasses.replace(schema, features=features)


def with_key(schema: Schema) -> Schema:
    return dataclasses.replace(schema, unique_keys=(("i_id",),))


def _race(contenders: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(rows: int, runs: int) -> None:
    table = make_table(rows)
    base = datacheck_schema(_bounds(table), _vocabularies(table))
    schemas = {
        "A (issue-2 checks)": base,
        "B (+6 code patterns, +key)": with_key(with_patterns(base, CODES)),
        "A +6 code patterns": with_patterns(base, CODES),
        "A +key i_id": with_key(base),
        "A +2 free-text patterns": with_patterns(base, TEXT),
    }
    dirty, _ = corrupt(table)
    for label, data in (("clean", table), ("1% bad rows", dirty)):
        found = {name: run_datacheck(data, s) for name, s in schemas.items()}
        assert len(set(found.values())) == 1, found  # the same rows quarantined
        medians = _race(
            {n: (lambda d=data, s=s: run_datacheck(d, s)) for n, s in schemas.items()}, runs
        )
        first = medians["A (issue-2 checks)"]
        print(
            f"{rows:,} rows, {label} ({found['A (issue-2 checks)']:,} quarantined), "
            f"median of {runs}:"
        )
        for name, seconds in medians.items():
            print(f"  {name:28s} {seconds:6.3f} s  {seconds / first:5.2f}x")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 7,
    )
