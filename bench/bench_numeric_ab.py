"""A/B of the numeric statistics accumulator against a git revision's, in one process.

Issue 13 added exact value counts of small-cardinality numeric features and the row order
(first, last, squared steps, non-decreasing) to the numeric accumulator. This profiles the
1M x 20 benchmark table (bench/_dataset.py) with this tree's accumulator and with the one of
``--ref`` (loaded from git as a module of its own and swapped in), interleaved, and prints the
median wall and CPU seconds of each and their ratios (this tree over the reference).

Run: ``.venv/bin/python bench/bench_numeric_ab.py [--ref HEAD] [--runs 7]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import make_table  # type: ignore[import-not-found]  # bench/ is on sys.path

import datacheck.stats._feature as feature_module
from datacheck.stats import generate_statistics

ROOT = Path(__file__).resolve().parents[1]


def _reference_accumulator(ref: str) -> type:
    source = subprocess.run(
        ["git", "show", f"{ref}:datacheck/stats/_numeric.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "reference_numeric.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reference_numeric", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accumulator: type = module.NumericAccumulator
    return accumulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    table = make_table()
    reference = _reference_accumulator(args.ref)
    tree: type = feature_module.NumericAccumulator  # type: ignore[attr-defined]  # a bench
    times: dict[str, list[tuple[float, float]]] = {"tree": [], "ref": []}
    for _ in range(args.runs):
        for name in ("tree", "ref"):
            chosen = reference if name == "ref" else tree
            with mock.patch.object(feature_module, "NumericAccumulator", chosen):
                wall, cpu = time.perf_counter(), time.process_time()
                generate_statistics(table)
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    med = {n: [statistics.median(t[i] for t in ts) for i in (0, 1)] for n, ts in times.items()}
    print(f"tree: wall {med['tree'][0]:.3f} s, cpu {med['tree'][1]:.3f} s")
    print(f"ref ({args.ref}): wall {med['ref'][0]:.3f} s, cpu {med['ref'][1]:.3f} s")
    print(
        f"ratio tree/ref: wall {med['tree'][0] / med['ref'][0]:.3f}, "
        f"cpu {med['tree'][1] / med['ref'][1]:.3f}"
    )


if __name__ == "__main__":
    main()
