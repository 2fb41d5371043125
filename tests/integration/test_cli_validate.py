"""``datacheck validate`` and ``datacheck skew`` end to end: output, exit codes, quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from datacheck.cli import main

REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "report.v1.json"

BASE = "id,age,colour,score\n" + "".join(
    f"{i},{20 + i % 50},{('red', 'green', 'blue')[i % 3]},{(i * 7) % 100 / 10}\n"
    for i in range(300)
)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    base = tmp_path / "base.csv"
    base.write_text(BASE)
    bad = tmp_path / "bad.csv"
    # two rows with an unknown colour, one with an age as text
    bad.write_text(
        BASE.replace("\n1,21,green", "\n1,21,purple")
        .replace("\n4,24,green", "\n4,24,purple")
        .replace("\n7,27,green", "\n7,old,green")
    )
    schema = tmp_path / "schema.json"
    assert main(["infer", str(base), "-o", str(schema)]) == 0
    return {"base": base, "bad": bad, "schema": schema, "dir": tmp_path}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_data_exits_0_with_a_pass_verdict(files, capsys) -> None:
    code, out, _ = _run(capsys, "validate", str(files["base"]), "--schema", str(files["schema"]))
    assert code == 0
    assert out.rstrip().splitlines()[-1].startswith("PASS")


def test_errors_exit_1_and_text_fits_80_columns(files, capsys) -> None:
    code, out, _ = _run(
        capsys,
        "validate",
        str(files["bad"]),
        "--schema",
        str(files["schema"]),
        "--baseline",
        str(files["base"]),
    )
    assert code == 1
    assert "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in out
    assert "jensen_shannon" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.rstrip().splitlines()[-1].startswith("FAIL")


def test_json_output_is_only_the_report_document(files, capsys) -> None:
    code, out, _ = _run(
        capsys,
        "validate",
        str(files["bad"]),
        "--schema",
        str(files["schema"]),
        "--baseline",
        str(files["base"]),
        "--format",
        "json",
    )
    document = json.loads(out)
    jsonschema.validate(document, json.loads(REPORT_SCHEMA.read_text(encoding="utf-8")))
    assert (code, document["verdict"]) == (1, "fail")
    assert {a["path"] for a in document["anomalies"]} == {"colour", "age"}


def test_baseline_may_be_a_profile_file(files, capsys) -> None:
    profile = files["dir"] / "base.profile.json"
    assert main(["stats", str(files["base"]), "-o", str(profile)]) == 0
    code, out, _ = _run(
        capsys,
        "validate",
        str(files["base"]),
        "--schema",
        str(files["schema"]),
        "--baseline",
        str(profile),
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["summary"]["baseline_row_count"] == 300


def test_schema_from_the_store_by_name_and_version(files, capsys) -> None:
    store = files["dir"] / "store"
    assert main(["infer", str(files["base"]), "--store", str(store), "--name", "shapes"]) == 0
    code, _, _ = _run(
        capsys, "validate", str(files["base"]), "--schema", "shapes@1", "--store", str(store)
    )
    assert code == 0


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_quarantine_keeps_every_failing_row_with_reasons(files, capsys, suffix: str) -> None:
    target = files["dir"] / f"bad{suffix}"
    code, out, _ = _run(
        capsys,
        "validate",
        str(files["bad"]),
        "--schema",
        str(files["schema"]),
        "--quarantine",
        str(target),
    )
    assert code == 1
    assert "quarantined 3 of 300 rows" in out
    table = pq.read_table(target) if suffix == ".parquet" else pajson.read_json(target)
    assert sorted(table.column("id").to_pylist()) == [1, 4, 7]
    reasons = {r["code"] for row in table.column("datacheck_reasons").to_pylist() for r in row}
    assert reasons == {"ENUM_TYPE_UNEXPECTED_STRING_VALUES", "UNEXPECTED_DATA_TYPE"}


def test_quarantine_note_goes_to_stderr_with_json(files, capsys) -> None:
    target = files["dir"] / "bad.parquet"
    _, out, err = _run(
        capsys,
        "validate",
        str(files["bad"]),
        "--schema",
        str(files["schema"]),
        "--quarantine",
        str(target),
        "--format",
        "json",
    )
    assert json.loads(out)["verdict"] == "fail"
    assert "quarantined 3 of 300 rows" in err


def test_quarantine_with_an_unknown_extension_is_exit_2(files, capsys) -> None:
    code, out, err = _run(
        capsys,
        "validate",
        str(files["bad"]),
        "--schema",
        str(files["schema"]),
        "--quarantine",
        str(files["dir"] / "bad.txt"),
    )
    assert (code, out) == (2, "")
    assert err.startswith("datacheck: error: --quarantine") and len(err.splitlines()) == 1


def test_schema_sharing_no_column_is_exit_2(files, capsys) -> None:
    other = files["dir"] / "other.csv"
    other.write_text("x,y\n1,2\n")
    code, _, err = _run(capsys, "validate", str(other), "--schema", str(files["schema"]))
    assert code == 2
    assert "share no name" in err and "Traceback" not in err


def test_unknown_environment_is_exit_2(files, capsys) -> None:
    code, _, err = _run(
        capsys,
        "validate",
        str(files["base"]),
        "--schema",
        str(files["schema"]),
        "--environment",
        "SERVING",
    )
    assert code == 2
    assert "SERVING" in err and len(err.splitlines()) == 1


def test_baseline_profile_of_another_format_version_is_exit_2(files, capsys) -> None:
    profile = files["dir"] / "future.json"
    assert main(["stats", str(files["base"]), "-o", str(profile)]) == 0
    document = json.loads(profile.read_text())
    document["format_version"] = 2
    profile.write_text(json.dumps(document))
    code, _, err = _run(
        capsys,
        "validate",
        str(files["base"]),
        "--schema",
        str(files["schema"]),
        "--baseline",
        str(profile),
    )
    assert code == 2
    assert "format_version" in err


def test_skew_counts_mismatches_and_one_sided_keys(tmp_path: Path, capsys) -> None:
    train, serving = tmp_path / "train.csv", tmp_path / "serving.csv"
    train.write_text("id,x,c\n1,1.0,a\n2,2.0,b\n3,3.0,c\n")
    serving.write_text("id,x,c\n1,1.0,a\n2,2.5,b\n9,3.0,c\n")
    code, out, _ = _run(capsys, "skew", str(train), str(serving), "--key", "id", "--format", "json")
    document = json.loads(out)
    x = next(f for f in document["features"] if f["feature"] == "x")
    assert code == 1
    assert (x["compared"], x["mismatches"], x["examples"]) == (2, 1, [{"id": 2}])
    assert (document["train_only_keys"], document["serving_only_keys"]) == (1, 1)


def test_skew_of_identical_data_exits_0(tmp_path: Path, capsys) -> None:
    train = tmp_path / "train.csv"
    train.write_text("id,x\n1,1.0\n2,2.0\n")
    code, _, _ = _run(capsys, "skew", str(train), str(train), "--key", "id")
    assert code == 0


def test_serving_skew_is_measured_and_reported(files, capsys) -> None:
    serving = files["dir"] / "serving.csv"
    # serving sees only red: the colour distribution is skewed
    serving.write_text(BASE.replace("green", "red").replace("blue", "red"))
    code, out, _ = _run(
        capsys,
        "validate",
        str(files["base"]),
        "--schema",
        str(files["schema"]),
        "--serving",
        str(serving),
        "--format",
        "json",
    )
    document = json.loads(out)
    assert code == 1
    assert ("COMPARATOR_L_INFTY_HIGH", "colour") in {
        (a["code"], a["path"]) for a in document["anomalies"]
    }
    assert {m["kind"] for m in document["measurements"]} == {"skew"}
