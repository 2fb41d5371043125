"""datacheck.spark on local-cluster[2,1,1024]: two executor processes, as on a real cluster.

One session serves the module (a Spark start takes tens of seconds here). The laws are the
Beam and Dask ones: the profile equals the in-memory profile of the same data, every row is
valid or quarantined, a crashed worker is retried by Spark and never gives a wrong answer.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from datacheck.schema import infer_schema
from datacheck.spark import (
    check_dataset_on_spark,
    profile_spark,
    read_spark,
    spark_session,
    validate_spark,
)
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.testing import assert_profiles_equivalent
from datacheck.validate import REASONS_COLUMN, check_dataset

pytestmark = [
    pytest.mark.slow,
    # PySpark warns on import that it does not fully support pandas 3 (datacheck passes Arrow).
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ROWS = 150


def make_table(rows: int = ROWS, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[::17] = math.nan
    x[5] = math.inf
    words = np.array(["red", "green", "blue", "", "déjà"])
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(rows) % 11 == 3),
            "n": pa.array(rng.integers(-50, 50, rows)),
            "s": pa.array(words[rng.integers(0, 5, rows)], mask=np.arange(rows) % 13 == 1),
            "b": pa.array(rng.random(rows) < 0.3),
            "k": pa.array(np.array(["p", "q", "r"])[np.arange(rows) % 3]),
            "w": pa.array(rng.uniform(0.5, 2.0, rows)),
        }
    )


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    with spark_session("local-cluster[2,1,1024]") as session:
        yield session


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("parts")
    table = make_table()
    paths = []
    for i, start in enumerate(range(0, ROWS, 50)):
        path = folder / f"part-{i}.parquet"
        pq.write_table(table.slice(start, 50), path, row_group_size=20)
        paths.append(str(path))
    return paths


def test_profile_equals_the_in_memory_profile(spark: Any, parts: list[str]) -> None:
    options = StatsOptions(weight="w", slice_by=("k",))
    frame = read_spark(spark, parts).repartition(5)
    profile = profile_spark(frame, options)
    assert profile.num_rows == ROWS
    assert_profiles_equivalent(profile, generate_statistics(parts, options))
    assert all(f.numeric is None or f.numeric.row_order is None for f in profile.features.values())


def test_rows_in_are_valid_plus_quarantined_as_in_memory(spark: Any, parts: list[str]) -> None:
    table = make_table()
    schema = infer_schema(generate_statistics(table))
    bad = table.to_pandas()
    bad.loc[[3, 40, 99], "k"] = "zzz"
    bad.loc[[40, 120], "s"] = "unseen"
    frame = spark.createDataFrame(bad).repartition(3).cache()
    result = validate_spark(frame, schema)
    valid, quarantine = result.valid.count(), result.quarantine.collect()
    assert valid + len(quarantine) == ROWS and len(quarantine) == 4
    reasons = sorted(
        sorted((r["code"], r["feature"]) for r in row[REASONS_COLUMN]) for row in quarantine
    )
    assert [
        ("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "k"),
        ("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "s"),
    ] in reasons
    seen: list[int] = []
    on_spark = check_dataset_on_spark(
        frame, schema, on_quarantine=lambda c: seen.append(c.quarantined.num_rows)
    )
    memory = check_dataset(
        pa.Table.from_pandas(bad, preserve_index=False), schema, on_quarantine=lambda c: None
    )
    assert sum(seen) == 4
    assert on_spark.report.summary == memory.report.summary
    assert sorted(a.code for a in on_spark.report.anomalies) == sorted(
        a.code for a in memory.report.anomalies
    )


def test_a_crashed_worker_is_retried_never_a_wrong_answer(
    spark: Any, parts: list[str], tmp_path: Path
) -> None:
    marker = str(tmp_path / "crashed-once")

    def crash_once(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if not os.path.exists(marker):
                Path(marker).touch()
                os._exit(1)  # the Python worker dies mid-task
            yield batch

    frame = read_spark(spark, parts).repartition(4)
    crashing = frame.mapInArrow(crash_once, frame.schema)
    profile = profile_spark(crashing)
    assert os.path.exists(marker)
    assert_profiles_equivalent(profile, generate_statistics(parts))
