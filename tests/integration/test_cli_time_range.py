"""A date's range where people read schemas: ``datacheck schema show`` and the HTML report."""

from __future__ import annotations

from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.report import render_html
from datacheck.schema import TimeDomain, load_schema
from datacheck.stats import generate_statistics

CSV = "day,n\n2007-11-09,1\n2007-11-20,2\n2007-12-03,3\n"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATACHECK_STORE", raising=False)
    path = tmp_path / "eggs.csv"
    path.write_text(CSV)
    return path


def test_schema_show_prints_the_inferred_min(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["infer", str(data), "--name", "eggs"]) == 0
    capsys.readouterr()
    assert main(["schema", "show", "eggs"]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("day ")]
    assert "[2007-10-16, inf]" in row


def test_the_report_shows_the_range(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infer", str(data), "-o", "s.json"]) == 0
    schema = load_schema("s.json")
    assert schema.feature("day").domain == TimeDomain(min="2007-10-16")
    page = render_html(generate_statistics(data), schema=schema)
    assert "[2007-10-16, ∞]" in page
