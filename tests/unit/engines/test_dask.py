"""datacheck.dask on a LocalCluster of 2 worker processes: the in-memory profile and checks.

One cluster serves the module (starting one takes seconds). The laws are Beam's
(tests/unit/beam/test_stats.py): counts equal the in-memory profile's, sketch figures lie
within their error bounds, one input in the same partitions gives the same bytes; every row
comes out valid or quarantined, never both, never lost; a killed worker never gives a wrong
answer or a hang.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import dask  # noqa: E402
from dask.delayed import delayed  # noqa: E402
from distributed import Client  # noqa: E402

from datacheck.dask import (  # noqa: E402
    check_dataset_on_dask,
    dask_client,
    profile_dask,
    validate_dask,
)
from datacheck.errors import DatacheckError  # noqa: E402
from datacheck.schema import infer_schema  # noqa: E402
from datacheck.stats import (  # noqa: E402
    QUANTILE_RANKS,
    StatsOptions,
    generate_statistics,
    save_profile,
)
from datacheck.testing import assert_profiles_equivalent  # noqa: E402
from datacheck.validate import (  # noqa: E402
    REASONS_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    CheckedBatch,
    check_dataset,
    validate_batches,
)

pytestmark = pytest.mark.slow

ROWS = 150
T = TypeVar("T")


def make_frame(rows: int = ROWS, seed: int = 7) -> pd.DataFrame:
    """Every feature kind, with nulls, NaN and inf; under 200 rows so quantiles are exact."""
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[::17] = math.nan
    x[5] = math.inf
    words = np.array(["red", "green", "blue", "", "déjà"])
    s = words[rng.integers(0, 5, rows)].astype(object)
    s[np.arange(rows) % 13 == 1] = None
    return pd.DataFrame(
        {
            "x": x,
            "n": rng.integers(-50, 50, rows),
            "s": s,
            "b": rng.random(rows) < 0.3,
            "k": np.array(["p", "q", "r"])[np.arange(rows) % 3],
            "w": rng.uniform(0.5, 2.0, rows),
        }
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client(workers=2) as c:
        yield c


def _bytes(profile: object, path: Path) -> bytes:
    save_profile(profile, path)  # type: ignore[arg-type]
    return path.read_bytes()


def test_profile_equals_the_in_memory_profile(client: Client, tmp_path: Path) -> None:
    frame = make_frame()
    options = StatsOptions(weight="w", slice_by=("k",))
    profile = profile_dask(dd.from_pandas(frame, npartitions=6), options, split_every=2)
    assert profile.num_rows == ROWS
    assert_profiles_equivalent(profile, generate_statistics(frame, options))
    assert profile.options == options


def test_files_read_on_the_workers_give_the_in_memory_profile(
    client: Client, tmp_path: Path
) -> None:
    frame = make_frame()
    paths = []
    for i, start in enumerate(range(0, ROWS, 50)):
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(pa.Table.from_pandas(frame.iloc[start : start + 50]), path)
        paths.append(str(path))
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    for source in (paths, str(tmp_path / "part-*.parquet"), str(csv)):
        profile = profile_dask(source)
        expected = generate_statistics(source)
        assert_profiles_equivalent(profile, expected)
        assert profile.reader == expected.reader
    # Dask's own reader: the partitions never pass through this process.
    assert_profiles_equivalent(
        profile_dask(dd.read_parquet(paths)), generate_statistics(dd.read_parquet(paths).compute())
    )


def test_sketches_within_bounds_and_same_bytes_every_run(client: Client, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(0.0, 1.0, 20_000)
    frame = pd.DataFrame({"v": values, "c": rng.integers(0, 3000, 20_000).astype(str)})
    data = dd.from_pandas(frame, npartitions=10)
    profile = profile_dask(data)
    memory = generate_statistics(frame)
    epsilon = 2 * 1.65 / StatsOptions().kll_k  # twice the sketch's normalized rank error
    ordered = np.sort(values)
    numeric = profile.features["v"].numeric
    assert numeric is not None and numeric.num_values == 20_000
    for rank, q in zip(QUANTILE_RANKS, numeric.quantiles, strict=True):
        measured = np.searchsorted(ordered, q, side="right") / len(ordered)
        assert abs(measured - rank) <= epsilon + 1 / len(ordered), (rank, q, measured)
    strings, expected = profile.features["c"].string, memory.features["c"].string
    assert strings is not None and expected is not None
    assert strings.num_values == expected.num_values
    assert strings.distinct_lower_bound <= expected.distinct <= strings.distinct_upper_bound
    # Deterministic: the same partitions merged in the same tree, byte for byte.
    again = profile_dask(data)
    assert _bytes(profile, tmp_path / "a.json") == _bytes(again, tmp_path / "b.json")


def test_zero_rows_give_the_in_memory_profile_of_zero_rows(client: Client) -> None:
    empty = pd.DataFrame({"x": pd.Series([], dtype="float64")})
    profile = profile_dask(dd.from_pandas(empty, npartitions=1))
    assert profile.num_rows == 0 and list(profile.features) == ["x"]
    assert_profiles_equivalent(profile, generate_statistics(empty))


def _bad(frame: pd.DataFrame) -> pd.DataFrame:
    bad = frame.copy()
    bad.loc[[3, 40, 99], "k"] = "zzz"  # outside the inferred domain
    bad.loc[[40, 120], "s"] = "unseen"
    return bad


def test_validation_splits_every_row_once_as_in_memory(client: Client) -> None:
    frame = make_frame()
    schema = infer_schema(generate_statistics(frame))
    bad = _bad(frame)
    data = dd.from_pandas(bad, npartitions=4)
    result = validate_dask(data, schema)
    valid, quarantine = dask.compute(result.valid, result.quarantine)
    assert len(valid) + len(quarantine) == ROWS
    assert set(valid.index).isdisjoint(quarantine.index)
    expected = pa.concat_tables(
        pa.Table.from_batches([c.quarantined])
        for c in validate_batches(pa.Table.from_pandas(bad).to_batches(), schema)
    )
    assert sorted(quarantine.index) == [3, 40, 99, 120]
    assert len(quarantine) == expected.num_rows
    reasons = {
        i: sorted((r["code"], r["feature"]) for r in row)
        for i, row in zip(quarantine.index, quarantine[REASONS_COLUMN], strict=True)
    }
    assert reasons[40] == [
        ("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "k"),
        ("ENUM_TYPE_UNEXPECTED_STRING_VALUES", "s"),
    ]
    pd.testing.assert_frame_equal(valid, data.compute().drop(index=[3, 40, 99, 120]))


def test_check_dataset_on_dask_reports_as_in_memory(client: Client, tmp_path: Path) -> None:
    frame = _bad(make_frame())
    schema = infer_schema(generate_statistics(make_frame()))
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    seen: list[int] = []
    valid_rows: list[int] = []
    on_dask = check_dataset_on_dask(
        [str(path)],
        schema,
        on_quarantine=lambda c: seen.append(c.quarantined.num_rows),
        on_valid=lambda b: valid_rows.append(b.num_rows),
    )
    memory = check_dataset(str(path), schema, on_quarantine=lambda c: None)
    assert on_dask.report.summary == memory.report.summary
    assert sorted(a.code for a in on_dask.report.anomalies) == sorted(
        a.code for a in memory.report.anomalies
    )
    assert sum(seen) == 4 and sum(seen) + sum(valid_rows) == ROWS


def _by_row(quarantine: pa.Table) -> dict[int, list[tuple[str, str]]]:
    rows = quarantine.column(SOURCE_ROW_COLUMN).to_pylist()
    reasons = quarantine.column(REASONS_COLUMN).to_pylist()
    return {r: [(x["code"], x["feature"]) for x in rs] for r, rs in zip(rows, reasons, strict=True)}


def test_unique_keys_and_row_numbers_are_the_in_memory_ones(client: Client, tmp_path: Path) -> None:
    frame = _bad(make_frame())
    ids = (np.arange(ROWS) * 7) % 97  # rows 97.. repeat the ids of rows 0.., across partitions
    missing = [i % 29 == 4 for i in range(ROWS)]  # a few rows without a key
    frame["id"] = pd.array(
        [None if m else int(v) for m, v in zip(missing, ids, strict=True)], "Int64"
    )
    schema = replace(infer_schema(generate_statistics(frame)), unique_keys=(("id",), ("k", "n")))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    memory = pa.Table.from_batches(
        [c.quarantined for c in validate_batches(table.to_batches(max_chunksize=40), schema)]
    )
    assert memory.num_rows > 50  # both keys repeat
    data = dd.from_pandas(frame, npartitions=4)
    result = validate_dask(data, schema)
    valid, quarantine = dask.compute(result.valid, result.quarantine)
    assert len(valid) + len(quarantine) == ROWS
    assert quarantine[SOURCE_FILE_COLUMN].isna().all()
    # Every quarantined row names its row in the frame, with the in-memory reasons in order.
    got = pa.Table.from_pandas(quarantine[[REASONS_COLUMN, SOURCE_ROW_COLUMN]])
    assert _by_row(got) == _by_row(memory)
    assert sorted(quarantine.index) == sorted(memory.column(SOURCE_ROW_COLUMN).to_pylist())
    # check_dataset_on_dask: the same rows and report, from a frame and from files.
    path = tmp_path / "keyed.parquet"
    pq.write_table(table, path, row_group_size=40)
    expected = check_dataset(table, schema, on_quarantine=lambda c: None)
    for source in (data, [str(path)]):
        seen: list[pa.RecordBatch] = []
        on_dask = check_dataset_on_dask(source, schema, on_quarantine=partial(_collect, seen))
        assert _by_row(pa.Table.from_batches(seen)) == _by_row(memory)
        assert on_dask.report.summary == expected.report.summary
        assert on_dask.report.anomalies == expected.report.anomalies
    assert "DUPLICATE_KEY" in {str(a.code) for a in expected.report.anomalies}
    # Without the rows, the report still counts the duplicates.
    assert check_dataset_on_dask(data, schema).report.anomalies == expected.report.anomalies


def _collect(into: list[pa.RecordBatch], checked: CheckedBatch) -> None:
    into.append(checked.quarantined)


def _within(seconds: float, run: Callable[[], T]) -> T:
    """``run()``, failing the test rather than hanging when it takes over ``seconds``."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run)
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            pytest.fail(f"no answer within {seconds} s: a hang")


# The workers cannot import this module (pytest imports it by path), so what runs there is
# local to the test: pickled by value.


def test_a_worker_killed_mid_run_is_recovered(client: Client) -> None:
    def _slow_part(frame: pd.DataFrame) -> pd.DataFrame:
        time.sleep(0.5)
        return frame

    frame = make_frame()
    parts = [delayed(_slow_part)(frame.iloc[i : i + 10]) for i in range(0, ROWS, 10)]
    data = dd.from_delayed(parts, meta=frame.iloc[:0])
    pids = sorted(client.run(os.getpid).values())

    def kill_one() -> None:
        time.sleep(1.5)  # the workers are busy with the slow partitions by now
        os.kill(pids[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    profile = _within(120, lambda: profile_dask(data))
    killer.join()
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # the worker did die, mid-run
    assert_profiles_equivalent(profile, generate_statistics(frame))
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_a_task_that_always_kills_its_worker_is_one_clear_error(
    client: Client, tmp_path: Path
) -> None:
    def _part_that_kills_its_worker(frame: pd.DataFrame) -> pd.DataFrame:
        os._exit(1)  # the worker process dies mid-task, as on an out-of-memory kill

    frame = make_frame()
    data = dd.from_delayed(
        [delayed(_part_that_kills_its_worker)(frame)],
        meta=frame.iloc[:0],
    )
    client.run_on_scheduler(_set_allowed_failures, 1)
    try:
        with pytest.raises(DatacheckError, match="Dask worker died"):
            _within(120, lambda: profile_dask(data))
    finally:
        client.run_on_scheduler(_set_allowed_failures, 3)


def _set_allowed_failures(count: int, dask_scheduler: object = None) -> None:
    dask_scheduler.allowed_failures = count  # type: ignore[attr-defined]
