"""run_generator (any generator over any source) and as_profile (the "data or profile" loader)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import InputNotFoundError
from datacheck.stats import (
    ProfileGenerator,
    as_profile,
    generate_statistics,
    is_profile_path,
    run_generator,
    save_profile,
)
from tests.strategies import assert_profiles_equivalent

TABLE = pa.table({"x": list(range(100)), "s": ["a", "b"] * 50})


class RowCount:
    def create_accumulator(self) -> int:
        return 0

    def add_input(self, acc: int, batch: pa.RecordBatch) -> int:
        return acc + batch.num_rows

    def merge_accumulators(self, accs: list[int]) -> int:
        return sum(accs)

    def compact(self, acc: int) -> int:
        return acc

    def extract_output(self, acc: int) -> int:
        return acc


def test_run_generator_runs_any_generator_over_files_and_tables(tmp_path: Path) -> None:
    pq.write_table(TABLE, tmp_path / "t.parquet")
    assert run_generator(RowCount(), tmp_path / "t.parquet", batch_size=7) == 100
    assert run_generator(RowCount(), TABLE.to_batches(max_chunksize=3)) == 100
    assert_profiles_equivalent(run_generator(ProfileGenerator(), TABLE), generate_statistics(TABLE))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("p.json", True),
        ("P.JSON", True),
        (Path("a/p.json"), True),
        ("d.csv", False),
        ("d.jsonl", False),
        (["p.json"], False),
    ],
)
def test_a_json_path_is_a_profile(source: object, expected: bool) -> None:
    assert is_profile_path(source) is expected


def test_as_profile_reads_loads_or_passes_through(tmp_path: Path) -> None:
    profile = generate_statistics(TABLE)
    save_profile(profile, tmp_path / "p.Json")
    pq.write_table(TABLE, tmp_path / "t.parquet")
    assert as_profile(profile) is profile
    assert_profiles_equivalent(as_profile(tmp_path / "p.Json"), profile)
    assert_profiles_equivalent(as_profile(str(tmp_path / "t.parquet")), profile)
    with pytest.raises(InputNotFoundError, match="no such profile file"):
        as_profile(tmp_path / "missing.json")


def test_as_profile_hands_data_to_another_generator() -> None:
    seen: list[object] = []

    def elsewhere(source: object, options: object) -> object:
        seen.append(source)
        return generate_statistics(TABLE)

    as_profile("data.csv", generate=elsewhere)  # type: ignore[arg-type]
    assert seen == ["data.csv"]
