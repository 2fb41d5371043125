"""``datacheck validate`` row outputs on real data (palmerpenguins): --valid-out, sources,
counts per reason, and a dropped column that is the dataset's anomaly unless --strict-columns."""

from __future__ import annotations

import json
from pathlib import Path

import palmerpenguins
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.cli import main
from datacheck.io import read_batches
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    ValidationReport,
)

PENGUINS = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def penguins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    """The 2007-2008 seasons as the baseline schema; 2009 split by island into a directory, with
    a few broken rows."""
    frame = pd.read_csv(PENGUINS)
    early = tmp_path / "early.csv"
    frame[frame.year < 2009].to_csv(early, index=False)
    schema = tmp_path / "schema.json"
    assert main(["infer", str(early), "-o", str(schema)]) == 0
    later = frame[frame.year == 2009].copy()
    later.loc[later.index[[3, 40]], "species"] = "Emperor"  # outside the domain
    later.loc[later.index[7], "sex"] = "unknown"
    data = tmp_path / "2009"
    data.mkdir()
    for island, part in later.groupby("island"):
        part.to_csv(data / f"{island}.csv", index=False)
    capsys.readouterr()
    return {"schema": schema, "data": data, "dir": tmp_path}


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_valid_plus_quarantined_rows_are_the_rows_in(
    penguins: dict[str, Path], capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    good, bad = penguins["dir"] / f"good{suffix}", penguins["dir"] / f"bad{suffix}"
    code, out, _ = _run(
        capsys,
        "validate",
        str(penguins["data"]),
        "--schema",
        str(penguins["schema"]),
        "--quarantine",
        str(bad),
        "--valid-out",
        str(good),
    )
    assert code == 1
    rows_in = sum(b.num_rows for b in read_batches(penguins["data"]))
    valid = pa.Table.from_batches(list(read_batches(good)))
    quarantined = pa.Table.from_batches(list(read_batches(bad)))
    assert valid.num_rows + quarantined.num_rows == rows_in == 120
    assert quarantined.num_rows == 3
    assert valid.column_names == pd.read_csv(PENGUINS, nrows=1).columns.tolist()
    assert f"wrote 117 valid rows of 120 to {good}" in out
    assert f"quarantined 3 of 120 rows to {bad}" in out


def test_each_quarantined_row_names_its_file_and_row(
    penguins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = penguins["dir"] / "bad.parquet"
    _run(
        capsys,
        "validate",
        str(penguins["data"]),
        "--schema",
        str(penguins["schema"]),
        "--quarantine",
        str(bad),
    )
    table = pq.read_table(bad)
    assert table.column_names[-3:] == [REASONS_COLUMN, SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN]
    for row in table.to_pylist():
        # the row number is the file's row as pandas reads it (header not counted, from 0)
        original = pd.read_csv(row[SOURCE_FILE_COLUMN]).iloc[row[SOURCE_ROW_COLUMN]]
        assert original["species"] == row["species"] and original["sex"] == row["sex"]
    assert table.num_rows == 3
    assert sorted(table.column("species").to_pylist()).count("Emperor") == 2
    assert {Path(f).parent for f in table.column(SOURCE_FILE_COLUMN).to_pylist()} == {
        penguins["data"]
    }


def test_the_summary_counts_quarantined_rows_per_reason(
    penguins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = penguins["dir"] / "bad.jsonl"
    args = ["validate", str(penguins["data"]), "--schema", str(penguins["schema"])]
    _, out, _ = _run(capsys, *args, "--quarantine", str(bad))
    lines = out.splitlines()
    at = lines.index("quarantined rows per reason:")
    assert lines[at + 1].split() == ["3", "ENUM_TYPE_UNEXPECTED_STRING_VALUES"]
    _, out, err = _run(capsys, *args, "--quarantine", str(bad), "--format", "json")
    summary = json.loads(out)["summary"]
    assert summary["quarantined_rows"] == 3
    assert summary["quarantined_by_code"] == {"ENUM_TYPE_UNEXPECTED_STRING_VALUES": 3}
    read_back = ValidationReport.from_dict(json.loads(out)).summary  # checked by its schema
    assert (read_back.quarantined_rows, read_back.quarantined_by_code) == (
        3,
        summary["quarantined_by_code"],
    )
    assert "quarantined rows per reason:" in err  # stdout holds the report document only
    # Without row outputs the rows are not checked, and the report says so with null.
    _, out, _ = _run(capsys, *args, "--format", "json")
    assert json.loads(out)["summary"]["quarantined_by_code"] is None


def test_a_dropped_column_is_the_datasets_anomaly_not_every_rows(
    penguins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dropped = penguins["dir"] / "dropped.csv"
    pd.read_csv(PENGUINS).drop(columns="body_mass_g").to_csv(dropped, index=False)
    bad = penguins["dir"] / "bad.parquet"
    args = ["validate", str(dropped), "--schema", str(penguins["schema"]), "--format", "json"]
    code, out, _ = _run(capsys, *args, "--quarantine", str(bad))
    report = json.loads(out)
    assert code == 1
    assert ("SCHEMA_MISSING_COLUMN", "body_mass_g") in {
        (a["code"], a["path"]) for a in report["anomalies"]
    }
    missing = report["summary"]["quarantined_by_code"].get("SCHEMA_MISSING_COLUMN", 0)
    assert missing == 0
    assert pq.read_table(bad).num_rows < 344 // 10  # the rows failing other checks only
    _, out, _ = _run(capsys, *args, "--quarantine", str(bad), "--strict-columns")
    assert json.loads(out)["summary"]["quarantined_by_code"]["SCHEMA_MISSING_COLUMN"] == 344
    assert pq.read_table(bad).num_rows == 344


def test_valid_out_with_an_unknown_extension_is_exit_2(
    penguins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys,
        "validate",
        str(penguins["data"]),
        "--schema",
        str(penguins["schema"]),
        "--valid-out",
        str(penguins["dir"] / "good.txt"),
    )
    assert code == 2
    assert err.startswith("datacheck: error: --valid-out") and len(err.splitlines()) == 1
