"""``datacheck report`` and ``datacheck validate --report``: the page, the exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datacheck.cli import main

BASE = "id,age,colour\n" + "".join(
    f"{i},{20 + i % 50},{('red', 'green', 'blue')[i % 3]}\n" for i in range(300)
)
#: the same columns, older people and mostly red
SHIFTED = "id,age,colour\n" + "".join(
    f"{i},{60 + i % 30},{('red', 'red', 'red', 'blue')[i % 4]}\n" for i in range(300)
)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "base.csv").write_text(BASE)
    (tmp_path / "new.csv").write_text(SHIFTED)
    return {"base": tmp_path / "base.csv", "new": tmp_path / "new.csv", "dir": tmp_path}


def _cards(page: str) -> list[str]:
    return re.findall(r'<article [^>]*data-name="([^"]*)"', page)


def test_report_of_data_alone_writes_the_page_and_exits_0(files, capsys):
    out = files["dir"] / "r.html"
    assert main(["report", str(files["base"]), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert sorted(_cards(page)) == ["age", "colour", "id"]
    assert f"report written to {out}" in capsys.readouterr().err


def test_report_against_a_drifted_baseline_exits_1_and_marks_the_drift(files, capsys):
    out = files["dir"] / "r.html"
    code = main(["report", str(files["new"]), "--baseline", str(files["base"]), "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    assert code == 1
    assert "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in page
    assert "COMPARATOR_L_INFTY_HIGH" in page
    assert "drifted feature(s)" in capsys.readouterr().out


def test_report_of_a_profile_file_against_a_schema_shows_the_schema(files, capsys):
    profile, schema, out = (files["dir"] / n for n in ("p.json", "s.json", "r.html"))
    assert main(["stats", str(files["base"]), "-o", str(profile)]) == 0
    assert main(["infer", str(profile), "-o", str(schema)]) == 0
    assert main(["report", str(profile), "--schema", str(schema), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<div class="dcr-schema">') == 3
    assert '<span class="dcr-verdict pass">PASS</span>' in page


def test_environment_without_a_schema_is_a_usage_error(files, capsys):
    out = files["dir"] / "r.html"
    code = main(["report", str(files["base"]), "--environment", "SERVING", "-o", str(out)])
    assert code == 2
    assert "needs --schema" in capsys.readouterr().err
    assert not out.exists()


def test_validate_writes_the_report_and_keeps_stdout_for_the_json_document(files, capsys):
    schema, out = files["dir"] / "s.json", files["dir"] / "v.html"
    assert main(["infer", str(files["base"]), "-o", str(schema)]) == 0
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(files["new"]),
            "--schema",
            str(schema),
            "--baseline",
            str(files["base"]),
            "--format",
            "json",
            "--report",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.lstrip().startswith("{")
    assert "report written to" in captured.err
    assert '<span class="dcr-verdict fail">FAIL</span>' in out.read_text(encoding="utf-8")


def test_a_column_the_baseline_had_and_the_data_lacks_is_flagged(files):
    (files["dir"] / "fewer.csv").write_text(
        "\n".join(",".join(line.split(",")[:2]) for line in BASE.splitlines()) + "\n"
    )
    out = files["dir"] / "r.html"
    code = main(
        [
            "report",
            str(files["dir"] / "fewer.csv"),
            "--baseline",
            str(files["base"]),
            "-o",
            str(out),
        ]
    )
    page = out.read_text(encoding="utf-8")
    assert code == 1
    assert sorted(_cards(page)) == ["age", "colour", "id"]
    assert "SCHEMA_MISSING_COLUMN" in page and "absent from the data" in page
