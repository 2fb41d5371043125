"""``--engine`` on the command: dask profiles and validates as in memory; bad combinations are
one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datacheck.cli import main
from datacheck.schema import load_schema
from datacheck.stats import generate_statistics, load_profile
from datacheck.testing import assert_profiles_equivalent

CARS = Path(__file__).parents[2] / "data" / "demo"


@pytest.mark.parametrize(
    "flags",
    [
        ["--spark-master", "local[1]"],
        ["--engine", "dask", "--spark-master", "local[1]"],
        ["--engine", "spark", "--dask-address", "tcp://127.0.0.1:1"],
        ["--engine", "spark", "--runner", "DirectRunner"],
    ],
)
def test_an_option_without_its_engine_is_one_line_and_exit_2(
    flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["stats", str(CARS / "cars.csv"), "-o", str(tmp_path / "p.json"), *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "engine" in err
    assert not (tmp_path / "p.json").exists()


@pytest.mark.slow
def test_dask_engine_profiles_and_validates_as_in_memory(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    on_dask, memory = tmp_path / "dask.json", tmp_path / "memory.json"
    assert main(["stats", str(CARS / "cars.csv"), "--engine", "dask", "-o", str(on_dask)]) == 0
    assert main(["stats", str(CARS / "cars.csv"), "-o", str(memory)]) == 0
    assert_profiles_equivalent(load_profile(on_dask), load_profile(memory))
    schema = tmp_path / "schema.json"
    assert main(["infer", str(memory), "-o", str(schema)]) == 0
    quarantine = tmp_path / "q.parquet"
    changed = str(CARS / "cars_changed.csv")
    code = main(
        [
            "validate",
            changed,
            "--schema",
            str(schema),
            "--engine",
            "dask",
            "--quarantine",
            str(quarantine),
            "--format",
            "json",
        ]
    )
    memory_quarantine = tmp_path / "mq.parquet"
    expected = main(
        [
            "validate",
            changed,
            "--schema",
            str(schema),
            "--quarantine",
            str(memory_quarantine),
            "--format",
            "json",
        ]
    )
    assert code == expected == 1
    assert pq.read_table(quarantine).num_rows == pq.read_table(memory_quarantine).num_rows > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        # --engine beam anywhere, with Beam's options after a bare "--" (refused before: they
        # needed --runner, which --engine beam stands for)
        ["stats", "DATA", "-o", "OUT", "--engine", "beam", "--", "--direct_num_workers=1"],
        ["stats", "--engine=beam", "DATA", "-o", "OUT", "--", "--direct_num_workers=1"],
        ["infer", "--engine", "beam", "DATA", "-o", "OUT", "--", "--direct_num_workers=1"],
    ],
)
def test_engine_beam_takes_beam_options_anywhere(command: list[str], tmp_path: Path) -> None:
    pytest.importorskip("apache_beam")
    out = tmp_path / "out.json"
    args = [
        str(CARS / "cars.csv") if a == "DATA" else str(out) if a == "OUT" else a for a in command
    ]
    assert main(args) == 0
    if command[0] == "stats":
        profile = load_profile(out)
        memory = generate_statistics(str(CARS / "cars.csv"))
        assert_profiles_equivalent(profile, memory)
        # It ran on Beam: Beam's profiles carry no numeric row order.
        assert all(
            f.numeric is None or f.numeric.row_order is None for f in profile.features.values()
        )
    else:
        assert load_schema(out).features


def test_beam_options_without_beam_are_one_line_naming_both_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "stats",
            str(CARS / "cars.csv"),
            "-o",
            str(tmp_path / "p.json"),
            "--engine",
            "local",
            "--",
            "--x=1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--runner or --engine beam" in err


def _skew_pair(tmp_path: Path) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from datacheck.io import read_batches

    cars = pa.Table.from_batches(list(read_batches(CARS / "cars.csv"))).replace_schema_metadata(
        None
    )
    cars = cars.append_column("id", pa.array(range(cars.num_rows), pa.int64()))
    serving = cars.set_column(
        cars.schema.get_field_index("Weight_in_lbs"),
        "Weight_in_lbs",
        pc.if_else(
            pc.less(cars["id"], 40), pc.add(cars["Weight_in_lbs"], 1), cars["Weight_in_lbs"]
        ),
    )
    train_path, serving_path = tmp_path / "train.parquet", tmp_path / "serving.parquet"
    pq.write_table(cars, train_path)
    pq.write_table(serving, serving_path)
    return train_path, serving_path


@pytest.mark.slow
def test_skew_on_spark_reports_what_the_local_join_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyspark")
    import json

    train, serving = _skew_pair(tmp_path)
    command = ["skew", str(train), str(serving), "--key", "id", "--format", "json"]
    assert main(command) == 1
    local = json.loads(capsys.readouterr().out)
    assert main([*command, "--engine", "spark", "--spark-master", "local[1]"]) == 1
    spark = json.loads(capsys.readouterr().out)
    weight = next(f for f in spark["features"] if f["feature"] == "Weight_in_lbs")
    assert weight["mismatches"] == 40  # every shifted row differs, and only those
    for report in (local, spark):
        for feature in report["features"]:
            feature.pop("examples")
    assert spark == local


def test_skew_spark_master_without_spark_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, serving = _skew_pair(tmp_path)
    code = main(["skew", str(train), str(serving), "--key", "id", "--spark-master", "local[1]"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "engine" in err
