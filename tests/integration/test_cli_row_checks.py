"""Row checks from the command line: validate reports and quarantines, schema show lists them,
a bad expression or an unknown custom check is one line and exit 2; the HTML report lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.report import render_html
from datacheck.schema import Schema, load_schema
from datacheck.validate import check_dataset

CSV = "start,end,total,a,b\n1,2,3.0,1.0,2.0\n5,4,3.0,1.0,2.0\n2,3,3.5,1.0,2.0\n3,3,3.0,1.0,2.0\n"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATACHECK_STORE", raising=False)
    data = tmp_path / "orders.csv"
    data.write_text(CSV)
    assert main(["infer", str(data), "-o", "schema.json"]) == 0
    document = json.loads((tmp_path / "schema.json").read_text())
    document["row_checks"] = [
        {"name": "order", "expression": "end >= start"},
        {"name": "sum", "expression": "total == a + b", "tolerance": 0.01, "on_null": "fail"},
    ]
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(document))
    return data, schema


def test_validate_reports_and_quarantines_row_check_failures(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema = files
    capsys.readouterr()
    code = main(["validate", str(data), "--schema", str(schema), "--quarantine", "bad.jsonl"])
    out = capsys.readouterr().out
    assert code == 1
    assert "ROW_CHECK_FAILED" in out
    assert "row check 'order'" in out and "row check 'sum'" in out
    rows = [json.loads(line) for line in Path("bad.jsonl").read_text().splitlines()]
    reasons = {r["start"]: [x["feature"] for x in r["datacheck_reasons"]] for r in rows}
    assert reasons == {5: ["order"], 2: ["sum"]}


def test_validate_json_report_carries_the_share(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema = files
    capsys.readouterr()
    main(["validate", str(data), "--schema", str(schema), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    measured = {
        a["measured"]["check"]: a["measured"]["failed_rows"]
        for a in report["anomalies"]
        if a["code"] == "ROW_CHECK_FAILED"
    }
    assert measured == {"order": 1, "sum": 1}


def test_schema_show_lists_the_row_checks(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, schema = files
    capsys.readouterr()
    assert main(["schema", "show", str(schema)]) == 0
    out = capsys.readouterr().out
    assert "order" in out and "end >= start" in out
    assert "total == a + b (± 0.01; null fails)" in out


def test_a_bad_expression_is_one_line_naming_pointer_and_character(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema = files
    document = json.loads(schema.read_text())
    document["row_checks"][0]["expression"] = "end >= strat"
    schema.write_text(json.dumps(document))
    capsys.readouterr()
    code = main(["validate", str(data), "--schema", str(schema)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "/row_checks/0/expression" in err and "character 8: column 'strat'" in err


def test_an_unregistered_custom_check_is_one_line(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, schema = files
    document = json.loads(schema.read_text())
    document["row_checks"] = [{"name": "k", "check": "nobody.registered"}]
    schema.write_text(json.dumps(document))
    capsys.readouterr()
    code = main(["validate", str(data), "--schema", str(schema)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "custom check 'nobody.registered' is not registered" in err


def test_the_html_report_lists_row_checks_with_their_failing_rows(
    files: tuple[Path, Path],
) -> None:
    data, schema_path = files
    schema: Schema = load_schema(schema_path)
    done = check_dataset(str(data), schema)
    html = render_html(done.profile, schema=schema, validation=done.report)
    assert "<h4>Row checks</h4>" in html
    assert "<code>end &gt;= start</code>" in html
    assert "1 (25" in html  # one failing row of four
