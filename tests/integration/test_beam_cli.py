"""The command on Apache Beam: --runner and the Beam options after --, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datacheck.cli import build_parser, main
from datacheck.cli._runner_arg import pipeline_options
from datacheck.stats import generate_statistics, load_profile

CARS = Path(__file__).resolve().parents[1] / "data" / "demo" / "cars.csv"


@pytest.mark.beam
def test_beam_options_after_the_separator_reach_the_pipeline(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "stats",
            str(CARS),
            "--runner",
            "DirectRunner",
            "-o",
            str(tmp_path / "p.json"),
            "--",
            "--direct_num_workers=2",
        ]
    )
    assert args.data == [str(CARS)]
    assert args.beam_options == ["--direct_num_workers=2"]
    options = pipeline_options(args).get_all_options()
    assert options["direct_num_workers"] == 2
    assert options["direct_running_mode"] == "multi_processing"


@pytest.mark.beam
@pytest.mark.slow
def test_stats_on_two_direct_workers_gives_the_in_memory_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "profile.json"
    code = main(
        [
            "stats",
            str(CARS),
            "--runner",
            "DirectRunner",
            "-o",
            str(out),
            "--",
            "--direct_num_workers=2",
        ]
    )
    assert code == 0, capsys.readouterr().err
    profile, memory = load_profile(out), generate_statistics(str(CARS))
    assert profile.num_rows == memory.num_rows == 406
    assert list(profile.features) == list(memory.features)
    for path, feature in memory.features.items():
        assert profile.features[path].num_present == feature.num_present, path


@pytest.mark.beam
def test_infer_and_validate_run_on_the_direct_runner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema.json"
    assert main(["infer", str(CARS), "--runner", "DirectRunner", "-o", str(schema)]) == 0
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(CARS),
            "--schema",
            str(schema),
            "--runner",
            "DirectRunner",
            "--format",
            "json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "pass" and report["summary"]["row_count"] == 406


def test_beam_options_without_runner_are_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["stats", str(CARS), "--", "--direct_num_workers=2"]) == 2
    err = capsys.readouterr().err
    assert "need --runner" in err and len(err.strip().splitlines()) == 1


@pytest.mark.beam
def test_unknown_runner_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(CARS), "--runner", "HadoopRunner"]) == 2
    assert "unknown runner" in capsys.readouterr().err


@pytest.mark.beam
def test_a_file_that_fails_to_parse_is_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    lines = ["a,b"] + [f"{i},{i}" for i in range(300)]
    lines[200] = "1,2,3"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["stats", str(bad), "--runner", "DirectRunner"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("datacheck: error: ") and len(err.splitlines()) == 1
    assert f"{bad}: line 201 has 3 fields" in err


def _cars_with_martians(tmp_path: Path) -> Path:
    """cars.csv with every 25th car's Origin out of the inferred domain."""
    lines = CARS.read_text(encoding="utf-8").splitlines()
    out = [lines[0]] + [
        line.rsplit(",", 1)[0] + ",Mars" if i % 25 == 0 else line
        for i, line in enumerate(lines[1:])
    ]
    path = tmp_path / "martians.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.mark.beam
def test_validate_quarantine_on_beam_equals_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema.json"
    assert main(["infer", str(CARS), "-o", str(schema)]) == 0
    data = _cars_with_martians(tmp_path)
    memory, beam = tmp_path / "memory.parquet", tmp_path / "beam.parquet"
    base = ["validate", str(data), "--schema", str(schema), "--format", "json"]
    assert main([*base, "--quarantine", str(memory)]) == 1
    capsys.readouterr()
    assert main([*base, "--quarantine", str(beam), "--runner", "DirectRunner"]) == 1
    assert "quarantined 17 of 406 rows" in capsys.readouterr().err
    got, expected = pq.read_table(beam), pq.read_table(memory)
    assert got.num_rows == expected.num_rows == 17
    assert got.schema == expected.schema
    assert sorted(got.column("Name").to_pylist()) == sorted(expected.column("Name").to_pylist())


@pytest.mark.beam
def test_validate_quarantine_on_beam_without_bad_rows_writes_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema.json"
    assert main(["infer", str(CARS), "-o", str(schema)]) == 0
    out = tmp_path / "q.parquet"
    code = main(
        [
            "validate",
            str(CARS),
            "--schema",
            str(schema),
            "--quarantine",
            str(out),
            "--runner",
            "DirectRunner",
        ]
    )
    assert code == 0
    assert "quarantined 0 of 406 rows" in capsys.readouterr().out
    assert pq.read_table(out).num_rows == 0
