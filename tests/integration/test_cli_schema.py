"""The infer and schema commands end to end: files, the store, errors and exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.cli._schema_arg import add_schema_arguments, resolve_schema
from datacheck.errors import InputNotFoundError
from datacheck.schema import SchemaStore, load_schema, load_tfdv_schema

CSV = "city,temp,rainy\nOslo,3,true\nRome,18,false\nOslo,5,true\nRome,21,false\nOslo,4,true\n"
MORE = "city,temp,rainy\nOslo,3,true\nLima,30,false\nRome,-2,false\n"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATACHECK_STORE", raising=False)
    (tmp_path / "more.csv").write_text(MORE)
    path = tmp_path / "weather.csv"
    path.write_text(CSV)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_infer_prints_the_schema_document(data: Path, capsys) -> None:
    code, out, _ = run(capsys, "infer", str(data))
    assert code == 0
    assert [f["name"] for f in json.loads(out)["features"]] == ["city", "temp", "rainy"]


def test_infer_writes_a_file_with_ranges(data: Path, capsys) -> None:
    code, out, _ = run(capsys, "infer", str(data), "-o", "s.json", "--infer-ranges")
    assert code == 0 and out.startswith("wrote s.json: 3 features")
    assert load_schema("s.json").feature("temp").domain is not None


def test_infer_writes_tfdv_pbtxt(data: Path, capsys) -> None:
    pytest.importorskip("tensorflow_metadata")
    assert run(capsys, "infer", str(data), "-o", "schema.pbtxt")[0] == 0
    assert load_tfdv_schema("schema.pbtxt").feature_names == ("city", "temp", "rainy")


def test_infer_from_a_profile(data: Path, capsys) -> None:
    from datacheck.stats import generate_statistics, save_profile

    save_profile(generate_statistics(str(data)), "profile.json")
    code, out, _ = run(capsys, "infer", "profile.json")
    assert code == 0 and json.loads(out)["features"][0]["name"] == "city"


def test_infer_saves_to_the_default_store(data: Path, capsys) -> None:
    code, out, _ = run(capsys, "infer", str(data), "--name", "weather", "-m", "first cut")
    assert code == 0 and out.startswith("saved weather@1 in .datacheck/schemas")
    assert SchemaStore(".datacheck/schemas").history("weather")[0].message == "first cut"


def test_store_comes_from_the_environment(data: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DATACHECK_STORE", "elsewhere")
    run(capsys, "infer", str(data), "--name", "w")
    assert SchemaStore("elsewhere").versions("w") == [1]


def test_message_without_name_is_a_usage_error(data: Path, capsys) -> None:
    code, _, err = run(capsys, "infer", str(data), "-m", "x")
    assert (
        code == 2
        and err
        == "datacheck: error: -m/--message needs --name NAME: it describes a stored version\n"
    )


def test_log_lists_versions(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w", "-m", "one")
    run(capsys, "infer", str(data), "--name", "w", "-m", "two")
    code, out, _ = run(capsys, "schema", "log", "w")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "version",
        "saved",
        "(UTC)",
        "parent",
        "hash",
        "message",
    ]
    assert lines[2].split()[-1] == "one" and lines[3].split()[-1] == "two"
    assert all(len(line) <= 80 for line in lines)


def test_show_prints_a_table_within_80_columns(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    code, out, _ = run(capsys, "schema", "show", "w@1")
    assert code == 0 and out.startswith("w@1: version 1, 3 features")
    assert all(len(line) <= 80 for line in out.splitlines())


def test_show_json_is_the_document(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    code, out, _ = run(capsys, "schema", "show", "w", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == 1


def test_diff_two_versions_marks_breaking_changes(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    run(capsys, "infer", str(data), "--name", "w", "--infer-ranges")
    code, out, _ = run(capsys, "schema", "diff", "w@1", "w@2")
    assert code == 0
    # city (too few rows for a value domain) gets a string length, temp a range.
    lines = out.splitlines()
    assert lines[0] == "BREAKING  feature 'city': string_length.min: none -> 1"
    assert lines[2].startswith("BREAKING  feature 'temp': domain: none -> ")
    assert lines[-1] == "3 changes; 3 breaking under BACKWARD"


def test_diff_check_exits_1_on_breaking_change(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    run(capsys, "infer", str(data), "--name", "w", "--infer-ranges")
    assert run(capsys, "schema", "diff", "w@1", "w@2", "--check")[0] == 1
    assert run(capsys, "schema", "diff", "w@2", "w@1", "--check")[0] == 0
    assert run(capsys, "schema", "diff", "w@1", "w@2", "--check", "--mode", "FORWARD")[0] == 0


def test_diff_two_files_as_json(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "-o", "a.json")
    run(capsys, "infer", str(data), "-o", "b.json", "--infer-ranges")
    code, out, _ = run(capsys, "schema", "diff", "a.json", "b.json", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["compatible"] is False
    assert [c["kind"] for c in document["changes"]] == [
        "RANGE_NARROWED",
        "RANGE_NARROWED",
        "DOMAIN_ADDED",
    ]


def test_update_saves_a_relaxed_version(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w", "--infer-ranges")
    code, out, _ = run(capsys, "schema", "update", "w", "more.csv")
    assert code == 0 and out.splitlines()[-1].startswith("saved w@2 (")
    store = SchemaStore(".datacheck/schemas")
    assert store.metadata("w", 2).parent == 1
    assert all(c.backward_compatible for c in store.diff("w", 1, 2))


def test_update_with_the_same_data_saves_nothing(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    code, out, _ = run(capsys, "schema", "update", "w", str(data))
    assert code == 0 and out.endswith("nothing saved\n")
    assert SchemaStore(".datacheck/schemas").versions("w") == [1]


def test_update_dry_run_saves_nothing(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w", "--infer-ranges")
    code, out, _ = run(capsys, "schema", "update", "w", "more.csv", "--dry-run")
    assert code == 0 and "not saved (--dry-run)" in out
    assert SchemaStore(".datacheck/schemas").versions("w") == [1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["schema", "show", "nope"], "no schema named 'nope'"),
        (["schema", "log", "nope"], "no schema named 'nope'"),
        (["schema", "show", "w@7"], "schema 'w' has no version 7 (versions: 1)"),
        (["schema", "show", "w@latest"], "the version after '@' must be a positive integer"),
        (["schema", "show", "missing.json"], "missing.json: no such schema file"),
        (["schema", "show", "bad.json"], "bad.json: malformed JSON at line 1 column 2"),
        (["schema", "show", "typo.json"], "typo.json: /featurs: Additional properties"),
        (["schema", "show", "future.json"], "future.json: /format_version: 9 is newer"),
        (
            ["schema", "show", "minmax.json"],
            "minmax.json: /features/0/domain/min: int domain min 5",
        ),
        (["schema", "show", "dup.json"], "dup.json: /features/1/name: duplicate feature name 'x'"),
        (["schema", "update", "nope", "more.csv"], "no schema named 'nope'"),
        (["infer", "absent.csv"], "absent.csv"),
        (["schema", "log", "../up"], "not a valid schema name"),
    ],
)
def test_bad_input_exits_2_with_one_line(data: Path, capsys, argv: list[str], message: str) -> None:
    run(capsys, "infer", str(data), "--name", "w")
    Path("bad.json").write_text("{")
    Path("typo.json").write_text(
        '{"format_version": 1, "version": 1, "features": [], "featurs": []}'
    )
    Path("future.json").write_text('{"format_version": 9, "version": 1, "features": []}')
    x = '{"name": "x", "type": "int", "domain": {"kind": "int", "min": 5, "max": 1}}'
    Path("minmax.json").write_text(f'{{"format_version": 1, "version": 1, "features": [{x}]}}')
    y = '{"name": "x", "type": "int"}'
    Path("dup.json").write_text(f'{{"format_version": 1, "version": 1, "features": [{y}, {y}]}}')
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("datacheck: error: ") and err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_the_installed_command_runs(data: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "datacheck", "schema", "show", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("datacheck: error: .datacheck/schemas: no schema named 'nope'")


def _args(schema: str, store: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(schema=schema, store=store)


def test_resolve_schema_reads_a_file(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "-o", "s.json")
    assert resolve_schema(_args("s.json")).feature_names == ("city", "temp", "rainy")


def test_resolve_schema_reads_name_and_version_from_the_store(data: Path, capsys) -> None:
    run(capsys, "infer", str(data), "--name", "w", "--store", "st")
    run(capsys, "infer", str(data), "--name", "w", "--store", "st", "--infer-ranges")
    assert resolve_schema(_args("w", "st")).version == 2
    assert resolve_schema(_args("w@1", "st")).version == 1


def test_resolve_schema_store_from_the_environment(data: Path, capsys, monkeypatch) -> None:
    run(capsys, "infer", str(data), "--name", "w", "--store", "envstore")
    monkeypatch.setenv("DATACHECK_STORE", "envstore")
    assert resolve_schema(_args("w")).version == 1


def test_resolve_schema_reads_tfdv_pbtxt(data: Path, capsys) -> None:
    pytest.importorskip("tensorflow_metadata")
    run(capsys, "infer", str(data), "-o", "schema.pbtxt")
    assert resolve_schema(_args("schema.pbtxt")).feature("city") is not None


def test_resolve_schema_missing_file_is_input_not_found(data: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such schema file"):
        resolve_schema(_args("nope.json"))


def test_add_schema_arguments_parses_both_options() -> None:
    parser = argparse.ArgumentParser()
    add_schema_arguments(parser)
    args = parser.parse_args(["--schema", "taxi@3", "--store", "/s"])
    assert (args.schema, args.store) == ("taxi@3", "/s")


def test_update_warns_and_says_what_it_cannot_fix(tmp_path: Path, monkeypatch, capsys) -> None:
    # vega_datasets' cars, corrupted: half the horsepower values gone, cylinders as decimals.
    vega = pytest.importorskip("vega_datasets").data
    monkeypatch.chdir(tmp_path)
    cars = vega.cars()
    cars.to_csv("cars.csv", index=False)
    broken = cars.assign(
        Horsepower=cars["Horsepower"].where(cars.index % 2 == 1),
        Cylinders=cars["Cylinders"] + 0.5,
    )
    broken.to_csv("broken.csv", index=False)
    run(capsys, "infer", "cars.csv", "--name", "cars", "--store", "s")
    code, out, _ = run(capsys, "schema", "update", "cars", "broken.csv", "--store", "s")
    assert code == 1
    assert "feature 'Horsepower': presence.min_fraction: 0.8366 ->" in out
    assert "warning: feature 'Horsepower': presence.min_fraction falls from 0.8366" in out
    assert "still fails: UNEXPECTED_DATA_TYPE: feature 'Cylinders'" in out
    assert out.splitlines()[-1].startswith("saved cars@2 (")
    assert out.splitlines()[-1].endswith("broken.csv still fails it (1 error above)")
    # Nothing left to relax: the command does not claim the data is accepted.
    code, out, _ = run(capsys, "schema", "update", "cars", "broken.csv", "--store", "s")
    assert code == 1 and "already accepts" not in out
    assert out.splitlines()[-1].startswith("cars@2: nothing an update can relax")


def test_a_profile_given_as_the_schema_points_to_baseline(data: Path, capsys) -> None:
    run(capsys, "stats", str(data), "-o", "profile.json")
    code, _, err = run(capsys, "validate", str(data), "--schema", "profile.json")
    assert code == 2
    assert "profile.json: this is a profile" in err and "what --baseline takes" in err
    assert "Additional properties" not in err
