"""Patterns and unique keys on real data: palmerpenguins' penguins_raw.csv (written by R).

The field study's keys, checked on the data: ``Individual ID`` is ``N<nest>A<1|2>``
(``N1A1``), ``studyName`` is ``PAL<yy><yy>``; a row is identified by ``(Species, Sample
Number)`` (sample numbers restart for each species: ``(studyName, Sample Number)`` repeats
124 times) and, within a season, by ``(studyName, Individual ID)`` (a bird comes back in later
seasons). The schema is inferred from the first two seasons; the third season passes, and a
duplicated row and malformed identifiers injected into it are caught, each on its own row.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from datacheck.io import ReaderOptions
from datacheck.schema import Schema, StringPattern, infer_schema
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.validate import CheckedBatch, check_dataset

palmerpenguins = pytest.importorskip("palmerpenguins")

PENGUINS_RAW = Path(palmerpenguins.__file__).parent / "data" / "penguins-raw.csv"
_OURS = {"STRING_PATTERN_MISMATCH", "DUPLICATE_KEY"}


def _split(tmp_path: Path) -> tuple[Path, list[dict[str, str]], list[str]]:
    with PENGUINS_RAW.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    old = [r for r in rows if r["studyName"] != "PAL0910"]
    new = [r for r in rows if r["studyName"] == "PAL0910"]
    assert len(old) == 224 and len(new) == 120
    _write(tmp_path / "old.csv", header, old)
    return tmp_path / "old.csv", new, header


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _schema(old: Path) -> Schema:
    inferred = infer_schema(generate_statistics(old, options=StatsOptions(reader=ReaderOptions())))
    features = tuple(
        dataclasses.replace(f, pattern=StringPattern(regex=regex))
        if (regex := {"Individual ID": r"N\d+A[12]", "studyName": r"PAL\d{4}"}.get(f.name))
        else f
        for f in inferred.features
    )
    return dataclasses.replace(
        inferred,
        features=features,
        unique_keys=(("Species", "Sample Number"), ("studyName", "Individual ID")),
    )


def _ours(path: Path, schema: Schema) -> tuple[set[tuple[str, str | None]], dict[int, set[Any]]]:
    seen: list[CheckedBatch] = []
    report = check_dataset(path, schema, on_quarantine=seen.append).report
    anomalies = {(str(a.code), a.path) for a in report.anomalies if str(a.code) in _OURS}
    rows: dict[int, set[Any]] = {}
    offset = 0
    for checked in seen:
        reasons = checked.quarantined.column("datacheck_reasons").to_pylist()
        for row, rs in zip(checked.quarantined_rows, reasons, strict=True):
            mine = {(r["code"], r["feature"]) for r in rs if r["code"] in _OURS}
            if mine:
                rows[offset + int(row)] = mine
        offset += checked.batch.num_rows
    return anomalies, rows


def test_the_whole_study_has_these_keys_and_patterns(tmp_path: Path) -> None:
    old, _, _ = _split(tmp_path)
    assert _ours(PENGUINS_RAW, _schema(old)) == (set(), {})


def test_study_and_sample_number_alone_are_not_a_key(tmp_path: Path) -> None:
    old, _, _ = _split(tmp_path)
    schema = dataclasses.replace(_schema(old), unique_keys=(("studyName", "Sample Number"),))
    anomalies, rows = _ours(PENGUINS_RAW, schema)
    assert anomalies == {("DUPLICATE_KEY", "studyName,Sample Number")}
    assert len(rows) == 124


def test_the_next_season_passes_and_injected_faults_are_caught(tmp_path: Path) -> None:
    old, new, header = _split(tmp_path)
    schema = _schema(old)
    clean = _write(tmp_path / "new.csv", header, new)
    assert _ours(clean, schema) == (set(), {})

    faulty = [dict(r) for r in new]
    faulty[10]["Individual ID"] = "N1A3"  # no third egg
    faulty[20]["Individual ID"] = "n21a1"  # lower case
    faulty.append(dict(new[5]))  # row 120: the same record twice
    anomalies, rows = _ours(_write(tmp_path / "faulty.csv", header, faulty), schema)
    assert anomalies == {
        ("STRING_PATTERN_MISMATCH", "Individual ID"),
        ("DUPLICATE_KEY", "Species,Sample Number"),
        ("DUPLICATE_KEY", "studyName,Individual ID"),
    }
    assert rows == {
        10: {("STRING_PATTERN_MISMATCH", "Individual ID")},
        20: {("STRING_PATTERN_MISMATCH", "Individual ID")},
        120: {
            ("DUPLICATE_KEY", "Species,Sample Number"),
            ("DUPLICATE_KEY", "studyName,Individual ID"),
        },
    }
