"""``datacheck stats --verbose`` lists each numeric feature's quantiles, labelled p0 to p100."""

from __future__ import annotations

from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.stats import QUANTILE_LABELS

CARS = Path(__file__).resolve().parents[2] / "data" / "demo" / "cars.csv"


def _stats(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main(["stats", str(CARS), *extra]) == 0
    return capsys.readouterr().out


def _quantiles(out: str, feature: str) -> dict[str, str]:
    """Label -> value text of one feature's quantile lines."""
    lines = out.splitlines()
    start = lines.index(feature) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line)
    words = " ".join(block).split()
    return dict(zip(words[::2], words[1::2], strict=True))


def test_verbose_labels_every_quantile(capsys) -> None:
    out = _stats(capsys, "--verbose")
    weight = _quantiles(out, "Weight_in_lbs")
    assert list(weight) == list(QUANTILE_LABELS)
    # p0 and p100 are the exact extremes, p50 the median of the summary line.
    assert (weight["p0"], weight["p50"], weight["p100"]) == ("1,613", "2,815", "5,140")
    assert "1,613 / 2,815 / 5,140" in out
    years = _quantiles(out, "Year")
    assert years["p0"] == "1970-01-01" and years["p100"] == "1982-01-01"
    assert "Name" not in [line.strip() for line in out.split("quantiles (")[1].splitlines()]
    assert max(len(line) for line in out.splitlines()) <= 80


def test_without_verbose_no_quantile_lines(capsys) -> None:
    out = _stats(capsys)
    assert "quantiles (" not in out and " p50 " not in out
