"""A CSV file of a header only is data of zero rows: every command reads it (exit 0 or 1, never
the usage error 2), and validation names the missing rows when the schema asks for rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from datacheck.cli import main
from datacheck.stats import load_profile

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

DATA = "id,colour,score\n" + "".join(
    f"{i},{('red', 'green', 'blue')[i % 3]},{i % 10 / 2}\n" for i in range(60)
)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    empty, data = tmp_path / "empty.csv", tmp_path / "data.csv"
    empty.write_text("id,colour,score\n")
    data.write_text(DATA)
    schema = tmp_path / "schema.json"
    assert main(["infer", str(data), "-o", str(schema)]) == 0
    document = json.loads(schema.read_text())
    document["dataset"] = {"min_row_count": 1}
    needs_rows = tmp_path / "needs_rows.json"
    needs_rows.write_text(json.dumps(document))
    return {"empty": empty, "data": data, "schema": schema, "needs_rows": needs_rows}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _no_garbage(text: str) -> None:
    # Whole words only: "l_infinity" is a method's name.
    assert re.search(r"\b(nan|inf|infinity)\b", text.lower()) is None


def test_stats_profiles_zero_rows(files, tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    code, text, err = _run(capsys, "stats", str(files["empty"]), "-o", str(out))
    assert (code, err) == (0, "")
    assert text.startswith("0 rows, 3 features")
    _no_garbage(text)
    profile = load_profile(out)
    assert profile.num_rows == 0 and list(profile.features) == ["id", "colour", "score"]


def test_infer_of_zero_rows_requires_no_feature(files, tmp_path, capsys) -> None:
    schema = tmp_path / "s.json"
    code, text, _ = _run(capsys, "infer", str(files["empty"]), "-o", str(schema))
    assert code == 0 and "0 required" in text
    for feature in json.loads(schema.read_text())["features"]:
        assert feature["presence"] == {"min_fraction": 0.0, "min_count": 0}


def test_validate_reports_too_few_rows_when_the_schema_asks_for_rows(files, capsys) -> None:
    code, text, _ = _run(
        capsys, "validate", str(files["empty"]), "--schema", str(files["needs_rows"])
    )
    assert code == 1
    assert "DATASET_LOW_NUM_EXAMPLES" in text and "0 rows" in text
    _no_garbage(text)


def test_validate_json_of_zero_rows_against_a_baseline_passes_its_schema(files, capsys) -> None:
    code, text, _ = _run(
        capsys,
        "validate",
        str(files["empty"]),
        "--schema",
        str(files["needs_rows"]),
        "--baseline",
        str(files["data"]),
        "--format",
        "json",
    )
    assert code == 1
    document = json.loads(text)
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "report.v1.json").read_text())).validate(
        document
    )
    codes = {a["code"] for a in document["anomalies"]}
    assert "DATASET_LOW_NUM_EXAMPLES" in codes
    # Drift against an empty side is not measured: it says so, it does not make up distances.
    assert "STATS_NOT_AVAILABLE" in codes
    assert all(m["path"] is None for m in document["measurements"])


def test_validate_data_against_an_empty_baseline_could_not_compare(files, capsys) -> None:
    code, text, _ = _run(
        capsys,
        "validate",
        str(files["data"]),
        "--schema",
        str(files["schema"]),
        "--baseline",
        str(files["empty"]),
    )
    assert code in (0, 1)
    assert "STATS_NOT_AVAILABLE" in text and "no values" in text
    _no_garbage(text)


@pytest.mark.parametrize("baseline", [None, "data", "empty"])
def test_report_of_zero_rows_is_written(files, tmp_path, capsys, baseline) -> None:
    out = tmp_path / "r.html"
    args = ["report", str(files["empty"]), "-o", str(out)]
    if baseline is not None:
        args += ["--baseline", str(files[baseline])]
    code, _, err = _run(capsys, *args)
    assert code in (0, 1), err
    page = out.read_text()
    assert "0 rows" in page or ">0<" in page
    _no_garbage(page)
