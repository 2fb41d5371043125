"""datacheck.spark on local-cluster[2,1,1024]: two executor processes, as on a real cluster.

One session serves the module (a Spark start takes tens of seconds here). The laws are the
Beam and Dask ones: the profile equals the in-memory profile of the same data, every row is
valid or quarantined, a crashed worker is retried by Spark and never gives a wrong answer.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from datacheck.errors import DatacheckError
from datacheck.schema import Comparator, ComparatorMethod, infer_schema
from datacheck.spark import _run as spark_run
from datacheck.spark import (
    check_dataset_on_spark,
    detect_feature_skew_spark,
    profile_spark,
    read_spark,
    spark_session,
    validate_spark,
)
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.testing import assert_profiles_equivalent
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    check_dataset,
    detect_feature_skew,
    validate_batches,
)

pytestmark = [
    pytest.mark.slow,
    # PySpark warns on import that it does not fully support pandas 3 (datacheck passes Arrow).
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ROWS = 150
T = TypeVar("T")


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


def _keyed_table(rows: int = ROWS) -> tuple[pa.Table, Any]:
    """A table whose keys repeat across partitions (and a few rows without a key), and a
    schema with two unique keys, one of them over two features."""
    table = make_table(rows)
    ids = (np.arange(rows) * 7) % 97  # rows 97.. repeat the ids of rows 0..
    table = table.append_column("id", pa.array(ids, mask=np.arange(rows) % 29 == 4))
    schema = replace(infer_schema(generate_statistics(table)), unique_keys=(("id",), ("k", "n")))
    return table, schema


def _by_row(quarantine: pa.Table) -> dict[int, list[tuple[str, str]]]:
    rows = quarantine.column(SOURCE_ROW_COLUMN).to_pylist()
    reasons = quarantine.column(REASONS_COLUMN).to_pylist()
    return {r: [(x["code"], x["feature"]) for x in rs] for r, rs in zip(rows, reasons, strict=True)}


@pytest.mark.parametrize("at_once", [True, False], ids=["one-job", "a-job-a-partition"])
def test_unique_keys_and_row_numbers_are_the_in_memory_ones(
    spark: Any, at_once: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The failed rows come to the driver in one job when they are small, else a partition at
    # a time: the same rows, numbered in the whole frame, either way.
    if at_once:  # no job a partition
        from pyspark.sql import DataFrame

        def refused(self: Any, prefetchPartitions: bool = False) -> Any:
            raise AssertionError("a job a partition for a few failed rows")

        monkeypatch.setattr(DataFrame, "toLocalIterator", refused)
    else:
        monkeypatch.setattr(spark_run, "_FETCH_AT_ONCE_BYTES", 0)
    table, schema = _keyed_table()
    words = table.column("s").to_pylist()
    words[3] = words[140] = "unseen"
    bad = table.set_column(table.schema.get_field_index("s"), "s", pa.array(words))
    frame = spark.createDataFrame(bad).repartition(3).cache()
    # The in-memory reference reads the frame's rows in its partitions' order.
    ordered = frame.toArrow()
    memory = pa.Table.from_batches(
        [c.quarantined for c in validate_batches(ordered.to_batches(max_chunksize=40), schema)]
    )
    assert memory.num_rows > 40  # both keys repeat across partitions
    result = validate_spark(frame, schema)
    quarantine = result.quarantine.toArrow()
    assert result.valid.count() + quarantine.num_rows == ROWS
    assert quarantine.column(SOURCE_FILE_COLUMN).null_count == quarantine.num_rows
    assert _by_row(quarantine) == _by_row(memory)  # the same rows, reasons in the same order
    seen: list[pa.RecordBatch] = []
    on_spark = check_dataset_on_spark(
        frame, schema, on_quarantine=lambda c: seen.append(c.quarantined)
    )
    expected = check_dataset(ordered, schema, on_quarantine=lambda c: None)
    assert _by_row(pa.Table.from_batches(seen)) == _by_row(memory)
    assert on_spark.report.summary == expected.report.summary
    codes = [(a.code, a.path, a.measured) for a in on_spark.report.anomalies]
    assert codes == [(a.code, a.path, a.measured) for a in expected.report.anomalies]
    assert ("DUPLICATE_KEY", "id") in {(str(c), p) for c, p, _ in codes}
    # Without the rows, the report still counts the duplicates.
    assert check_dataset_on_spark(frame, schema).report.anomalies == expected.report.anomalies
    frame.unpersist()


def test_feature_skew_joins_as_in_memory(spark: Any) -> None:
    rng = np.random.default_rng(5)
    n = 120
    ids = np.arange(n)
    train = pa.table(
        {
            "id": pa.array(ids, mask=ids % 50 == 7),
            "x": pa.array(rng.normal(size=n)),
            "n": pa.array(rng.integers(0, 5, n)),
            "s": pa.array(rng.choice(["a", "b"], n)),
            "t": pa.array(rng.integers(0, 3, n)),
            "only_train": pa.array(np.zeros(n)),
        }
    )
    serving_ids = np.concatenate([ids[10:], [200, 201, 15, 15]])  # new keys and duplicates
    m = serving_ids.size
    x = train.column("x").to_numpy()[np.minimum(serving_ids, n - 1)].copy()
    x[::9] += 1.0
    x[::13] = np.nan
    s = np.array(train.column("s").to_pylist())[np.minimum(serving_ids, n - 1)].astype(object)
    s[::11] = None
    serving = pa.table(
        {
            "id": pa.array(serving_ids),
            "x": pa.array(x),
            "n": pa.array(train.column("n").to_numpy()[np.minimum(serving_ids, n - 1)] * 1.0),
            "s": pa.array(s),
            "t": pa.array(["u"] * m),
            "only_serving": pa.array(np.ones(m)),
        }
    )
    memory = detect_feature_skew(train, serving, ["id"], max_examples=3)
    on_spark = detect_feature_skew_spark(
        spark.createDataFrame(train).repartition(2),
        spark.createDataFrame(serving),
        ["id"],
        max_examples=3,
    )
    got, want = on_spark.to_dict(), memory.to_dict()
    for features in (got["features"], want["features"]):
        for f in features:
            f.pop("examples")
    assert got == want
    assert [f.mismatches for f in on_spark.features if f.feature != "t"] != [0, 0, 0]
    for mine, theirs in zip(on_spark.features, memory.features, strict=True):
        assert len(mine.examples) == len(theirs.examples)
        bad_keys = {e["id"] for e in mine.examples}
        assert len(bad_keys) == len(mine.examples)
    # The profile comparators (skew of serving against training statistics): serving data
    # profiled on Spark, the distances the in-memory ones.
    schema = infer_schema(generate_statistics(train))
    skewed = replace(
        schema,
        features=tuple(
            replace(f, skew_comparator=Comparator(method=method, threshold=0.01))
            if (
                method := {
                    "x": ComparatorMethod.JENSEN_SHANNON,
                    "s": ComparatorMethod.L_INFINITY,
                }.get(f.name)
            )
            else f
            for f in schema.features
        ),
    )
    frame = spark.createDataFrame(train)
    on_engine = check_dataset_on_spark(frame, skewed, serving=spark.createDataFrame(serving))
    in_memory = check_dataset(frame.toArrow(), skewed, serving=serving)
    measured = [(m.path, m.kind, m.method, m.distance) for m in on_engine.report.measurements]
    expected = [(m.path, m.kind, m.method, m.distance) for m in in_memory.report.measurements]
    assert [m[:3] for m in measured] == [m[:3] for m in expected]
    assert {(m.path, m.method) for m in on_engine.report.measurements if m.enforced} >= {
        ("x", "jensen_shannon"),
        ("s", "l_infinity"),
    }
    assert [m[3] for m in measured] == pytest.approx([m[3] for m in expected], abs=1e-12)
    assert {str(a.code) for a in on_engine.report.anomalies} == {
        str(a.code) for a in in_memory.report.anomalies
    }


def test_a_killed_executor_is_replaced_and_the_profile_is_right(
    spark: Any, parts: list[str], tmp_path: Path
) -> None:
    marker = str(tmp_path / "killed-once")

    def kill_executor_once(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if not os.path.exists(marker):
                Path(marker).touch()
                # This Python worker's parent is PySpark's daemon, whose parent is the
                # executor's JVM: the executor process dies mid-task, as on a lost machine.
                daemon = os.getppid()
                with open(f"/proc/{daemon}/stat") as stat:
                    executor = int(stat.read().rsplit(")", 1)[1].split()[1])
                os.kill(executor, signal.SIGKILL)
                time.sleep(30)  # killed with its executor
            yield batch

    frame = read_spark(spark, parts).repartition(4)
    killing = frame.mapInArrow(kill_executor_once, frame.schema)
    profile = _within(240, lambda: profile_spark(killing))
    assert os.path.exists(marker)
    assert_profiles_equivalent(profile, generate_statistics(parts))


def test_a_task_that_always_fails_is_one_clear_error(spark: Any, parts: list[str]) -> None:
    def always_dies(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for _ in batches:
            os._exit(1)
        yield from ()

    frame = read_spark(spark, parts)
    dying = frame.mapInArrow(always_dies, frame.schema)
    with pytest.raises(DatacheckError, match="the Spark job failed") as caught:
        _within(240, lambda: profile_spark(dying))
    assert "\n" not in str(caught.value)


def _within(seconds: float, run: Callable[[], T]) -> T:
    """``run()``, failing the test rather than hanging when it takes over ``seconds``."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run)
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            pytest.fail(f"no answer within {seconds} s: a hang")


class _FakeSession:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize(
    ("failures", "message", "starts"),
    [
        (["[JAVA_GATEWAY_EXITED] Java gateway process exited"], None, 2),
        (["[JAVA_GATEWAY_EXITED] exited", "[JAVA_GATEWAY_EXITED] exited"], "exited", 2),
        (["JAVA_HOME is not set"], "JAVA_HOME is not set", 1),
    ],
    ids=["exited-once", "exited-twice", "other-error"],
)
def test_a_jvm_that_quits_before_its_port_is_started_once_more(
    monkeypatch: pytest.MonkeyPatch, failures: list[str], message: str | None, starts: int
) -> None:
    from pyspark.sql import SparkSession

    calls: list[int] = []
    left = list(failures)
    session = _FakeSession()

    def get_or_create(self: object) -> _FakeSession:
        calls.append(1)
        if left:
            raise RuntimeError(left.pop(0))
        return session

    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", get_or_create)
    monkeypatch.setattr(spark_run.time, "sleep", lambda seconds: None)
    if message is None:
        with spark_run.spark_session("local[1]") as started:
            assert started is session
        assert session.stopped
    else:
        with pytest.raises(DatacheckError, match=message):
            spark_run.spark_session("local[1]").__enter__()  # fails before it yields
    assert len(calls) == starts
