"""One input gives one profile, byte for byte: run after run, process after process, and merge
after merge (users diff profiles, and pipelines cache on them)."""

from __future__ import annotations

import hashlib
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from datacheck.stats import (
    StatsOptions,
    generate_statistics,
    load_profile,
    merge_profiles,
    save_profile,
)
from datacheck.stats._serde import profile_to_json

#: Rows enough for every sketch to compact (KLL past k=200, distinct strings past the exact cap,
#: the weighted sample past its 2,048 items), in several batches.
ROWS = 60_000


def _table(rows: int = ROWS, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "price": rng.lognormal(3.0, 1.0, rows),
            "count": rng.integers(0, 10**9, rows),
            "code": rng.integers(0, 20_000, rows).astype(str),
            "tags": pa.array([list(range(i % 4)) for i in range(rows)]),
            "weight": rng.uniform(0.5, 2.0, rows),
        }
    )


def _digest(profile: object) -> str:
    return hashlib.sha256(profile_to_json(profile).encode()).hexdigest()  # type: ignore[arg-type]


def test_one_file_profiled_three_times_gives_the_same_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    pacsv.write_csv(_table().drop_columns(["tags"]), data)
    images = set()
    for run in range(3):
        out = tmp_path / f"profile-{run}.json"
        save_profile(generate_statistics(data, StatsOptions(batch_size=8_192)), out)
        images.add(out.read_bytes())
    assert len(images) == 1


def test_a_weighted_profile_gives_the_same_bytes_twice() -> None:
    batches = _table().to_batches(max_chunksize=7_000)
    options = StatsOptions(weight="weight", batch_size=7_000)
    assert _digest(generate_statistics(batches, options)) == _digest(
        generate_statistics(batches, options)
    )


def test_merging_the_same_profiles_in_the_same_order_gives_the_same_bytes(
    tmp_path: Path,
) -> None:
    table = _table()
    for i, start in enumerate(range(0, ROWS, 12_000)):
        save_profile(generate_statistics(table.slice(start, 12_000)), tmp_path / f"{i}.json")
    parts = sorted(tmp_path.glob("*.json"))

    def merged() -> str:
        profile = load_profile(parts[0])
        for path in parts[1:]:
            profile = merge_profiles(profile, load_profile(path))
        return _digest(profile)

    assert merged() == merged()


_IN_A_PROCESS = """
import hashlib
import numpy as np
import pyarrow as pa
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.stats._serde import profile_to_json
{table}
batches = _table().to_batches(max_chunksize=9_000)
profile = generate_statistics(batches, StatsOptions(weight="weight", batch_size=9_000))
print(hashlib.sha256(profile_to_json(profile).encode()).hexdigest())
"""


def test_two_processes_give_the_same_bytes() -> None:
    # A fresh interpreter each: nothing seeded by the first run can carry over to the second.
    code = _IN_A_PROCESS.format(table=inspect.getsource(_table).replace("ROWS", str(ROWS)))
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:]
    digests = {r.stdout.strip() for r in runs}
    assert len(digests) == 1 and len(next(iter(digests))) == 64
