"""``datacheck schema show`` and ``datacheck validate`` with patterns and unique keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datacheck.cli import main
from datacheck.schema import Feature, FeatureType, Schema, StringPattern, save_schema

SCHEMA = Schema(
    features=(
        Feature(name="id", type=FeatureType.STRING, pattern=StringPattern(regex=r"N\d+A[12]")),
        Feature(name="n", type=FeatureType.INT),
    ),
    unique_keys=(("id",),),
)


@pytest.fixture
def schema_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATACHECK_STORE", raising=False)
    path = tmp_path / "schema.json"
    save_schema(SCHEMA, path)
    return path


def test_show_prints_the_pattern_and_the_keys(
    schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "show", str(schema_file)]) == 0
    out = capsys.readouterr().out
    assert "unique keys: (id)" in out
    assert "/N\\d+A[12]/" in out


def test_validate_quarantines_bad_ids_and_repeated_keys(
    schema_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,n\nN1A1,1\nN1A2,2\nN1A1,3\nX,4\n")
    quarantine = tmp_path / "q.jsonl"
    code = main(
        [
            "validate",
            str(data),
            "--schema",
            str(schema_file),
            "--quarantine",
            str(quarantine),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {a["code"] for a in report["anomalies"]} == {"STRING_PATTERN_MISMATCH", "DUPLICATE_KEY"}
    rows = [json.loads(line) for line in quarantine.read_text().splitlines()]
    reasons = {r["id"] + str(r["n"]): [x["code"] for x in r["datacheck_reasons"]] for r in rows}
    assert reasons == {"N1A13": ["DUPLICATE_KEY"], "X4": ["STRING_PATTERN_MISMATCH"]}
